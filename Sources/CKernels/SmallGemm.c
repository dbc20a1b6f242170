#include "CKernels.h"

/* A GEMM for the small matrices of a small UNet (tens to hundreds of rows and columns), where
   a packed BLAS GEMM spends much of its time packing both operands and clearing C. Here nothing
   is packed: each block of up to 6 rows x 16 columns of C keeps its sums in 12 registers, reads
   B's row segments straight from memory and broadcasts A's elements one by one. Every element
   of C is one chain of FMAs over p = 0, 1, ..., k - 1, so its value does not depend on how C is
   cut into blocks, on m, or on the number of cores. */

#if defined(__x86_64__)
#include <immintrin.h>

/* Lanes of a 16-column panel holding columns: all of them when cols >= 16. */
__attribute__((target("avx2,fma")))
static inline void panel_masks(long cols, __m256i *lo, __m256i *hi) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    *lo = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(cols > 16 ? 16 : cols)), lanes);
    *hi = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(cols > 16 ? 16 : cols) - 8), lanes);
}

/* Eight floats at p: all of them when `full`, else the lanes of `mask` (the rest read as 0). */
__attribute__((target("avx2,fma")))
static inline __m256 load_half(const float *p, int full, __m256i mask) {
    return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}

/* Stores v at p: all eight lanes when `full`, else the lanes of `mask`. */
__attribute__((target("avx2,fma")))
static inline void store_half(float *p, __m256 v, int full, __m256i mask) {
    if (full) _mm256_storeu_ps(p, v); else _mm256_maskstore_ps(p, mask, v);
}

/* Rows [0, R) x columns [0, 16) (masked to `cols` when cols < 16) of C, from A's element (i, p)
   at a[i * ars + p * acs] and B's row p at b + p * ldb. */
#define SMALL_GEMM_BLOCK(R)                                                                                 \
__attribute__((target("avx2,fma")))                                                                        \
static void block_##R(long k, float alpha, const float *a, long ars, long acs, const float *b, long ldb,   \
                      float beta, float *c, long ldc, long cols) {                                          \
    __m256 lo[R], hi[R];                                                                                    \
    for (int r = 0; r < R; r++) { lo[r] = _mm256_setzero_ps(); hi[r] = _mm256_setzero_ps(); }            \
    if (cols > 8) {                                                                                         \
        /* Both halves; the second masked when the panel is cut (loop-invariant: unswitched). */            \
        const int full = cols >= 16;                                                                        \
        __m256i mlo, mhi;                                                                                   \
        panel_masks(cols, &mlo, &mhi);                                                                      \
        for (long p = 0; p < k; p++) {                                                                      \
            const __m256 b0 = _mm256_loadu_ps(b + p * ldb), b1 = load_half(b + p * ldb + 8, full, mhi);     \
            const float *ap = a + p * acs;                                                                  \
            for (int r = 0; r < R; r++) {                                                                   \
                const __m256 x = _mm256_broadcast_ss(ap + r * ars);                                         \
                lo[r] = _mm256_fmadd_ps(x, b0, lo[r]);                                                      \
                hi[r] = _mm256_fmadd_ps(x, b1, hi[r]);                                                      \
            }                                                                                               \
        }                                                                                                   \
        const __m256 al = _mm256_set1_ps(alpha), be = _mm256_set1_ps(beta);                                 \
        for (int r = 0; r < R; r++) {                                                                       \
            float *cr = c + r * ldc;                                                                        \
            __m256 v0 = _mm256_mul_ps(lo[r], al), v1 = _mm256_mul_ps(hi[r], al);                            \
            if (beta != 0) {                                                                                \
                v0 = _mm256_fmadd_ps(_mm256_loadu_ps(cr), be, v0);                                          \
                v1 = _mm256_fmadd_ps(load_half(cr + 8, full, mhi), be, v1);                                 \
            }                                                                                               \
            _mm256_storeu_ps(cr, v0);                                                                       \
            store_half(cr + 8, v1, full, mhi);                                                              \
        }                                                                                                   \
    } else {                                                                                                \
        __m256i mlo, mhi;                                                                                   \
        panel_masks(cols, &mlo, &mhi);                                                                      \
        for (long p = 0; p < k; p++) {                                                                      \
            const __m256 b0 = _mm256_maskload_ps(b + p * ldb, mlo);                                         \
            const float *ap = a + p * acs;                                                                  \
            for (int r = 0; r < R; r++)                                                                     \
                lo[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(ap + r * ars), b0, lo[r]);                      \
        }                                                                                                   \
        const __m256 al = _mm256_set1_ps(alpha), be = _mm256_set1_ps(beta);                                 \
        for (int r = 0; r < R; r++) {                                                                       \
            float *cr = c + r * ldc;                                                                        \
            __m256 v0 = _mm256_mul_ps(lo[r], al);                                                           \
            if (beta != 0) v0 = _mm256_fmadd_ps(_mm256_maskload_ps(cr, mlo), be, v0);                       \
            _mm256_maskstore_ps(cr, mlo, v0);                                                               \
        }                                                                                                   \
    }                                                                                                       \
}

SMALL_GEMM_BLOCK(1)
SMALL_GEMM_BLOCK(2)
SMALL_GEMM_BLOCK(3)
SMALL_GEMM_BLOCK(4)
SMALL_GEMM_BLOCK(5)
SMALL_GEMM_BLOCK(6)

/* Rows [0, R) x columns [0, 8) (masked to `cols` when cols < 8): for C of at most 8 columns,
   where 16-column blocks would leave half their FMAs idle. Up to 12 rows keep 12 chains going. */
#define SMALL_GEMM_NARROW(R)                                                                                \
__attribute__((target("avx2,fma")))                                                                        \
static void narrow_##R(long k, float alpha, const float *a, long ars, long acs, const float *b, long ldb,  \
                       float beta, float *c, long ldc, long cols) {                                         \
    __m256 acc[R];                                                                                          \
    for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();                                               \
    __m256i mlo, mhi;                                                                                       \
    panel_masks(cols, &mlo, &mhi);                                                                          \
    for (long p = 0; p < k; p++) {                                                                          \
        const __m256 b0 = cols >= 8 ? _mm256_loadu_ps(b + p * ldb) : _mm256_maskload_ps(b + p * ldb, mlo);  \
        const float *ap = a + p * acs;                                                                      \
        for (int r = 0; r < R; r++)                                                                         \
            acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(ap + r * ars), b0, acc[r]);                        \
    }                                                                                                       \
    const __m256 al = _mm256_set1_ps(alpha), be = _mm256_set1_ps(beta);                                     \
    for (int r = 0; r < R; r++) {                                                                           \
        float *cr = c + r * ldc;                                                                            \
        __m256 v0 = _mm256_mul_ps(acc[r], al);                                                              \
        if (beta != 0) v0 = _mm256_fmadd_ps(_mm256_maskload_ps(cr, mlo), be, v0);                           \
        _mm256_maskstore_ps(cr, mlo, v0);                                                                   \
    }                                                                                                       \
}

SMALL_GEMM_NARROW(1)
SMALL_GEMM_NARROW(2)
SMALL_GEMM_NARROW(3)
SMALL_GEMM_NARROW(4)
SMALL_GEMM_NARROW(5)
SMALL_GEMM_NARROW(6)
SMALL_GEMM_NARROW(7)
SMALL_GEMM_NARROW(8)
SMALL_GEMM_NARROW(9)
SMALL_GEMM_NARROW(10)
SMALL_GEMM_NARROW(11)
SMALL_GEMM_NARROW(12)

typedef void (*small_gemm_block)(long, float, const float *, long, long, const float *, long, float, float *, long, long);
static const small_gemm_block blocks[7] = {0, block_1, block_2, block_3, block_4, block_5, block_6};
static const small_gemm_block narrows[13] = {0, narrow_1, narrow_2, narrow_3, narrow_4, narrow_5, narrow_6,
                                             narrow_7, narrow_8, narrow_9, narrow_10, narrow_11, narrow_12};

/* B's columns [0, cols) (element (p, j) at b[p * brs + j * bcs]) as k rows of `width` floats,
   zero past cols. */
static void pack_panel(const float *b, long brs, long bcs, long k, long cols, long width, float *panel) {
    for (long j = 0; j < width; j++) {
        if (j < cols) {
            const float *col = b + j * bcs;
            for (long p = 0; p < k; p++) panel[p * width + j] = col[p * brs];
        } else {
            for (long p = 0; p < k; p++) panel[p * width + j] = 0;
        }
    }
}

__attribute__((target("avx2,fma")))
void membrane_small_sgemm_avx2(long m, long n, long k, float alpha, const float *a, long ars, long acs,
                               const float *b, long brs, long bcs, float beta, float *c, long ldc, float *panel) {
    /* C of at most 8 columns in 8-column blocks of up to 12 rows, else 16 columns by 6 rows. */
    const long width = n <= 8 ? 8 : 16;
    for (long j = 0; j < n; j += width) {
        const long cols = n - j < width ? n - j : width;
        const float *bp = b + j * bcs;
        long ldb = brs;
        if (bcs != 1) {
            pack_panel(bp, brs, bcs, k, cols, width, panel);
            bp = panel;
            ldb = width;
        }
        long i = 0;
        if (width == 8) {
            for (; i + 12 <= m; i += 12) narrow_12(k, alpha, a + i * ars, ars, acs, bp, ldb, beta, c + i * ldc + j, ldc, cols);
            if (i < m) narrows[m - i](k, alpha, a + i * ars, ars, acs, bp, ldb, beta, c + i * ldc + j, ldc, cols);
        } else {
            for (; i + 6 <= m; i += 6) block_6(k, alpha, a + i * ars, ars, acs, bp, ldb, beta, c + i * ldc + j, ldc, cols);
            if (i < m) blocks[m - i](k, alpha, a + i * ars, ars, acs, bp, ldb, beta, c + i * ldc + j, ldc, cols);
        }
    }
}

#else

void membrane_small_sgemm_avx2(long m, long n, long k, float alpha, const float *a, long ars, long acs,
                               const float *b, long brs, long bcs, float beta, float *c, long ldc, float *panel) {
    (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)ars; (void)acs; (void)b; (void)brs; (void)bcs;
    (void)beta; (void)c; (void)ldc; (void)panel;
    __builtin_trap();  /* never called: CPUFeatures has no AVX2 here */
}

#endif
