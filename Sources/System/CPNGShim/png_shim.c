#include "png_shim.h"

#include <png.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *message;
    size_t capacity;
    FILE *file;
    volatile int truncated;
    volatile int has_message; /* set when the shim wrote a better message than libpng's */
} shim_context;

static void set_message(char *message, size_t capacity, const char *format, ...) {
    if (message == NULL || capacity == 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(message, capacity, format, args);
    va_end(args);
}

/* libpng error callback: record the text, then return to the setjmp point of the caller. */
static void on_error(png_structp png, png_const_charp text) {
    shim_context *context = (shim_context *)png_get_error_ptr(png);
    if (context != NULL && !context->has_message) {
        set_message(context->message, context->capacity, "%s", text);
    }
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

/* Records a failure message and returns to the setjmp point of the caller. */
__attribute__((noreturn, format(printf, 3, 4)))
static void fail(png_structp png, shim_context *context, const char *format, ...) {
    if (context->message != NULL && context->capacity > 0) {
        va_list args;
        va_start(args, format);
        vsnprintf(context->message, context->capacity, format, args);
        va_end(args);
    }
    context->has_message = 1;
    png_error(png, "failed");
}

static void read_data(png_structp png, png_bytep data, size_t length) {
    shim_context *context = (shim_context *)png_get_io_ptr(png);
    size_t got = fread(data, 1, length, context->file);
    if (got != length) {
        if (ferror(context->file)) {
            fail(png, context, "read error: %s", strerror(errno));
        }
        context->truncated = 1;
        fail(png, context, "the PNG data is truncated (the file ends early)");
    }
}

int membrane_png_write(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height,
                       int channels, char *message, size_t capacity) {
    set_message(message, capacity, "%s", "");
    if (path == NULL || pixels == NULL) {
        set_message(message, capacity, "null path or pixel buffer");
        return MEMBRANE_PNG_ERR_ARGUMENT;
    }
    if (width == 0 || height == 0 || width > PNG_USER_WIDTH_MAX || height > PNG_USER_HEIGHT_MAX) {
        set_message(message, capacity, "invalid image size %ux%u", width, height);
        return MEMBRANE_PNG_ERR_ARGUMENT;
    }
    int color_type;
    switch (channels) {
    case 1: color_type = PNG_COLOR_TYPE_GRAY; break;
    case 2: color_type = PNG_COLOR_TYPE_GRAY_ALPHA; break;
    case 3: color_type = PNG_COLOR_TYPE_RGB; break;
    case 4: color_type = PNG_COLOR_TYPE_RGB_ALPHA; break;
    default:
        set_message(message, capacity, "unsupported channel count %d (expected 1 to 4)", channels);
        return MEMBRANE_PNG_ERR_ARGUMENT;
    }
    size_t row_bytes = (size_t)width * (size_t)channels;

    FILE *file = fopen(path, "wb");
    if (file == NULL) {
        set_message(message, capacity, "cannot create file: %s", strerror(errno));
        return MEMBRANE_PNG_ERR_OPEN;
    }
    shim_context context = {message, capacity, file, 0, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context, on_error, on_warning);
    png_infop info = png == NULL ? NULL : png_create_info_struct(png);
    if (png == NULL || info == NULL) {
        png_destroy_write_struct(&png, NULL);
        fclose(file);
        remove(path);
        set_message(message, capacity, "out of memory creating the libpng writer");
        return MEMBRANE_PNG_ERR_MEMORY;
    }
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        png_destroy_write_struct(&png, &info);
        fclose(file);
        remove(path);
        return MEMBRANE_PNG_ERR_WRITE;
    }
    rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (rows == NULL) fail(png, &context, "out of memory for row pointers");
    for (uint32_t y = 0; y < height; y++) {
        rows[y] = (png_bytep)(pixels + (size_t)y * row_bytes);
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);

    int failed = fflush(file) != 0 || ferror(file);
    int saved_errno = errno;
    if (fclose(file) != 0 && !failed) {
        failed = 1;
        saved_errno = errno;
    }
    if (failed) {
        remove(path);
        set_message(message, capacity, "cannot write file: %s", strerror(saved_errno));
        return MEMBRANE_PNG_ERR_WRITE;
    }
    return MEMBRANE_PNG_OK;
}

int membrane_png_read(const char *path, uint8_t **pixels, uint32_t *width, uint32_t *height,
                      int *channels, char *message, size_t capacity) {
    set_message(message, capacity, "%s", "");
    if (path == NULL || pixels == NULL || width == NULL || height == NULL || channels == NULL) {
        set_message(message, capacity, "null argument");
        return MEMBRANE_PNG_ERR_ARGUMENT;
    }
    *pixels = NULL;
    *width = 0;
    *height = 0;
    *channels = 0;

    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        set_message(message, capacity, "cannot open file: %s", strerror(errno));
        return MEMBRANE_PNG_ERR_OPEN;
    }
    png_byte signature[8];
    size_t got = fread(signature, 1, sizeof signature, file);
    if (got == 0) {
        int is_error = ferror(file);
        fclose(file);
        set_message(message, capacity, is_error ? "cannot read file" : "not a PNG file (the file is empty)");
        return is_error ? MEMBRANE_PNG_ERR_OPEN : MEMBRANE_PNG_ERR_NOT_PNG;
    }
    if (png_sig_cmp(signature, 0, got) != 0) {
        fclose(file);
        set_message(message, capacity, "not a PNG file (bad signature)");
        return MEMBRANE_PNG_ERR_NOT_PNG;
    }
    if (got < sizeof signature) {
        fclose(file);
        set_message(message, capacity, "the PNG data is truncated (file ends inside the signature)");
        return MEMBRANE_PNG_ERR_TRUNCATED;
    }

    shim_context context = {message, capacity, file, 0, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, on_error, on_warning);
    png_infop info = png == NULL ? NULL : png_create_info_struct(png);
    if (png == NULL || info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        fclose(file);
        set_message(message, capacity, "out of memory creating the libpng reader");
        return MEMBRANE_PNG_ERR_MEMORY;
    }
    uint8_t *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    volatile int code = MEMBRANE_PNG_ERR_DECODE;
    if (setjmp(png_jmpbuf(png))) {
        free(buffer);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        return context.truncated ? MEMBRANE_PNG_ERR_TRUNCATED : code;
    }
    png_set_read_fn(png, &context, read_data);
    png_set_sig_bytes(png, (int)sizeof signature);
    png_read_info(png, info);

    png_uint_32 w = 0, h = 0;
    int bit_depth = 0, color_type = 0;
    png_get_IHDR(png, info, &w, &h, &bit_depth, &color_type, NULL, NULL, NULL);
    int has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    if (bit_depth == 16) png_set_scale_16(png);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (has_trns) png_set_tRNS_to_alpha(png);
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && (has_trns || (color_type & PNG_COLOR_MASK_ALPHA))) {
        png_set_gray_to_rgb(png);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int out_channels = png_get_channels(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if ((out_channels != 1 && out_channels != 3 && out_channels != 4) ||
        row_bytes != (size_t)w * (size_t)out_channels) {
        fail(png, &context, "unexpected pixel layout after conversion (%d channels, %zu bytes per row)",
             out_channels, row_bytes);
    }
    if (h != 0 && row_bytes > SIZE_MAX / h) {
        code = MEMBRANE_PNG_ERR_MEMORY;
        fail(png, &context, "image too large (%ux%u)", (unsigned)w, (unsigned)h);
    }
    buffer = (uint8_t *)malloc(row_bytes * h);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * h);
    if (buffer == NULL || rows == NULL) {
        code = MEMBRANE_PNG_ERR_MEMORY;
        fail(png, &context, "out of memory for a %ux%u image", (unsigned)w, (unsigned)h);
    }
    for (png_uint_32 y = 0; y < h; y++) {
        rows[y] = buffer + (size_t)y * row_bytes;
    }
    png_read_image(png, rows);
    png_read_end(png, NULL);

    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    free(rows);
    *pixels = buffer;
    *width = w;
    *height = h;
    *channels = out_channels;
    return MEMBRANE_PNG_OK;
}

void membrane_png_free(uint8_t *pixels) { free(pixels); }

const char *membrane_png_version(void) { return png_get_libpng_ver(NULL); }
