int membrane_png_placeholder(void);
