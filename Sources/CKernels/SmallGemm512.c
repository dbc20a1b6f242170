#include "CKernels.h"

/* The small-matrix GEMM of SmallGemm.c on 512-bit vectors: blocks of up to 8 rows x 32 columns
   of C (16 accumulators) when C is wider than 16 columns, else up to 12 rows x 16 columns, with
   partial panels handled by lane masks. As there, nothing is packed (except a transposed B's
   panel), and every element of C is one FMA chain over p = 0, 1, ..., k - 1 followed by the same
   alpha and beta steps: the results are the bits of membrane_small_sgemm_avx2's, whatever the
   blocking, m or the number of cores. */

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

/* The lanes of a 16-float half holding `cols` columns (all of them from 16 on, none below 1). */
AVX512 static inline __mmask16 lanes_mask(long cols) {
    if (cols >= 16) return (__mmask16)0xFFFF;
    if (cols <= 0) return 0;
    return (__mmask16)((1u << cols) - 1u);
}

/* Rows [0, R) x columns [0, 32) of C (the second 16 masked to `cols - 16`), from A's element
   (i, p) at a[i * ars + p * acs] and B's row p at b + p * ldb. */
#define WIDE_BLOCK(R)                                                                                        \
AVX512 static void wide_##R(long k, float alpha, const float *a, long ars, long acs, const float *b, long ldb, \
                            float beta, float *c, long ldc, long cols) {                                     \
    __m512 lo[R], hi[R];                                                                                     \
    for (int r = 0; r < R; r++) { lo[r] = _mm512_setzero_ps(); hi[r] = _mm512_setzero_ps(); }              \
    const __mmask16 mhi = lanes_mask(cols - 16);                                                             \
    for (long p = 0; p < k; p++) {                                                                           \
        const __m512 b0 = _mm512_loadu_ps(b + p * ldb), b1 = _mm512_maskz_loadu_ps(mhi, b + p * ldb + 16);  \
        const float *ap = a + p * acs;                                                                       \
        for (int r = 0; r < R; r++) {                                                                        \
            const __m512 x = _mm512_set1_ps(ap[r * ars]);                                                    \
            lo[r] = _mm512_fmadd_ps(x, b0, lo[r]);                                                           \
            hi[r] = _mm512_fmadd_ps(x, b1, hi[r]);                                                           \
        }                                                                                                    \
    }                                                                                                        \
    const __m512 al = _mm512_set1_ps(alpha), be = _mm512_set1_ps(beta);                                      \
    for (int r = 0; r < R; r++) {                                                                            \
        float *cr = c + r * ldc;                                                                             \
        __m512 v0 = _mm512_mul_ps(lo[r], al), v1 = _mm512_mul_ps(hi[r], al);                                 \
        if (beta != 0) {                                                                                     \
            v0 = _mm512_fmadd_ps(_mm512_loadu_ps(cr), be, v0);                                               \
            v1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mhi, cr + 16), be, v1);                               \
        }                                                                                                    \
        _mm512_storeu_ps(cr, v0);                                                                            \
        _mm512_mask_storeu_ps(cr + 16, mhi, v1);                                                             \
    }                                                                                                        \
}

WIDE_BLOCK(1)
WIDE_BLOCK(2)
WIDE_BLOCK(3)
WIDE_BLOCK(4)
WIDE_BLOCK(5)
WIDE_BLOCK(6)
WIDE_BLOCK(7)
WIDE_BLOCK(8)

/* Rows [0, R) x columns [0, 16) of C (masked to `cols`): for C of at most 16 columns, or the
   last panel of a wider C, up to 12 rows keeping 12 chains going. */
#define NARROW_BLOCK(R)                                                                                      \
AVX512 static void narrow_##R(long k, float alpha, const float *a, long ars, long acs, const float *b,      \
                              long ldb, float beta, float *c, long ldc, long cols) {                         \
    __m512 acc[R];                                                                                           \
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();                                                \
    const __mmask16 m = lanes_mask(cols);                                                                    \
    for (long p = 0; p < k; p++) {                                                                           \
        const __m512 b0 = _mm512_maskz_loadu_ps(m, b + p * ldb);                                             \
        const float *ap = a + p * acs;                                                                       \
        for (int r = 0; r < R; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(ap[r * ars]), b0, acc[r]);       \
    }                                                                                                        \
    const __m512 al = _mm512_set1_ps(alpha), be = _mm512_set1_ps(beta);                                      \
    for (int r = 0; r < R; r++) {                                                                            \
        float *cr = c + r * ldc;                                                                             \
        __m512 v0 = _mm512_mul_ps(acc[r], al);                                                               \
        if (beta != 0) v0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, cr), be, v0);                           \
        _mm512_mask_storeu_ps(cr, m, v0);                                                                    \
    }                                                                                                        \
}

NARROW_BLOCK(1)
NARROW_BLOCK(2)
NARROW_BLOCK(3)
NARROW_BLOCK(4)
NARROW_BLOCK(5)
NARROW_BLOCK(6)
NARROW_BLOCK(7)
NARROW_BLOCK(8)
NARROW_BLOCK(9)
NARROW_BLOCK(10)
NARROW_BLOCK(11)
NARROW_BLOCK(12)

typedef void (*block512)(long, float, const float *, long, long, const float *, long, float, float *, long, long);
static const block512 wides[9] = {0, wide_1, wide_2, wide_3, wide_4, wide_5, wide_6, wide_7, wide_8};
static const block512 narrows[13] = {0, narrow_1, narrow_2, narrow_3, narrow_4, narrow_5, narrow_6,
                                     narrow_7, narrow_8, narrow_9, narrow_10, narrow_11, narrow_12};

/* B's columns [0, cols) (element (p, j) at b[p * brs + j * bcs]) as k rows of `width` floats,
   zero past cols. */
static void pack_panel512(const float *b, long brs, long bcs, long k, long cols, long width, float *panel) {
    for (long j = 0; j < width; j++) {
        if (j < cols) {
            const float *col = b + j * bcs;
            for (long p = 0; p < k; p++) panel[p * width + j] = col[p * brs];
        } else {
            for (long p = 0; p < k; p++) panel[p * width + j] = 0;
        }
    }
}

AVX512 void membrane_small_sgemm_avx512(long m, long n, long k, float alpha, const float *a, long ars, long acs,
                                        const float *b, long brs, long bcs, float beta, float *c, long ldc,
                                        float *panel) {
    for (long j = 0; j < n;) {
        /* A panel of 32 columns while more than 16 remain, else one of up to 16. */
        const long width = n - j > 16 ? 32 : 16;
        const long cols = n - j < width ? n - j : width;
        const float *bp = b + j * bcs;
        long ldb = brs;
        if (bcs != 1) {
            pack_panel512(bp, brs, bcs, k, cols, width, panel);
            bp = panel;
            ldb = width;
        }
        long i = 0;
        if (width == 32) {
            for (; i + 8 <= m; i += 8) wide_8(k, alpha, a + i * ars, ars, acs, bp, ldb, beta, c + i * ldc + j, ldc, cols);
            if (i < m) wides[m - i](k, alpha, a + i * ars, ars, acs, bp, ldb, beta, c + i * ldc + j, ldc, cols);
        } else {
            for (; i + 12 <= m; i += 12) narrow_12(k, alpha, a + i * ars, ars, acs, bp, ldb, beta, c + i * ldc + j, ldc, cols);
            if (i < m) narrows[m - i](k, alpha, a + i * ars, ars, acs, bp, ldb, beta, c + i * ldc + j, ldc, cols);
        }
        j += cols;
    }
}

#else

void membrane_small_sgemm_avx512(long m, long n, long k, float alpha, const float *a, long ars, long acs,
                                 const float *b, long brs, long bcs, float beta, float *c, long ldc, float *panel) {
    (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)ars; (void)acs; (void)b; (void)brs; (void)bcs;
    (void)beta; (void)c; (void)ldc; (void)panel;
    __builtin_trap();  /* never called: KernelISA is generic here */
}

#endif
