/*
 * png_shim.h: whole-image PNG reading and writing over libpng.
 *
 * libpng reports errors by longjmp-ing out of its own calls. These functions catch that with
 * setjmp inside C, so no longjmp ever crosses a Swift frame: every failure comes back as an
 * error code plus a message in the caller's buffer.
 */
#ifndef MEMBRANE_PNG_SHIM_H
#define MEMBRANE_PNG_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    MEMBRANE_PNG_OK = 0,
    MEMBRANE_PNG_ERR_ARGUMENT = 1,  /* bad width, height, channel count or null pointer */
    MEMBRANE_PNG_ERR_OPEN = 2,      /* the file cannot be opened (message has strerror) */
    MEMBRANE_PNG_ERR_NOT_PNG = 3,   /* empty file, or no PNG signature */
    MEMBRANE_PNG_ERR_TRUNCATED = 4, /* the data ends early */
    MEMBRANE_PNG_ERR_DECODE = 5,    /* libpng rejected the data (message has libpng's text) */
    MEMBRANE_PNG_ERR_MEMORY = 6,    /* out of memory, or the image is too large */
    MEMBRANE_PNG_ERR_WRITE = 7      /* writing or closing the file failed */
};

/*
 * Writes an 8-bit PNG. `pixels` holds `height` rows of `width * channels` bytes, interleaved;
 * channels is 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA). On failure the partial file is
 * removed and `message` (of `capacity` bytes, may be NULL) describes the problem.
 */
int membrane_png_write(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height,
                       int channels, char *message, size_t capacity);

/*
 * Reads a PNG into 8-bit interleaved pixels: 16-bit samples are scaled down, palettes and
 * low bit depths are expanded, transparency becomes an alpha channel. Gray images stay gray
 * (1 channel); gray with alpha becomes RGBA. So *channels is 1, 3 or 4.
 * On success *pixels is a malloc'ed buffer of width * height * channels bytes that the caller
 * releases with membrane_png_free.
 */
int membrane_png_read(const char *path, uint8_t **pixels, uint32_t *width, uint32_t *height,
                      int *channels, char *message, size_t capacity);

/* Releases a buffer returned by membrane_png_read. */
void membrane_png_free(uint8_t *pixels);

/* The libpng version in use at run time, e.g. "1.6.39". */
const char *membrane_png_version(void);

#ifdef __cplusplus
}
#endif

#endif
