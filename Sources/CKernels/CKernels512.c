#include "CKernels.h"

/* The row kernels of CKernels.c and Kernels' Swift loops on 512-bit vectors: softmax
   exponentials, GEGLU, SiLU / GELU / QuickGELU and their derivatives, and the blocked sums of
   the norms. Each element is computed with the same constants and the same steps as the AVX2
   or Swift version (with FMA where those multiply and add), so values agree to within a few
   ulp; sums run over 16 lanes, so they are rounded in another (fixed) order than over 8. */

#if defined(__x86_64__)
#include <immintrin.h>
#include "Vector512.h"

/* e^x on 16 lanes, as Kernels' fastExp: inputs clamped to [-104, 88.75], 2^n applied in two
   halves (subnormal results and overflow to infinity come out of the second product), NaN
   passed through. */
AVX512 static inline __m512 exp16(__m512 x) {
    const __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)), _mm512_set1_ps(88.75f));
    __m512i ni;
    const __m512 p = exp_reduced16(xc, &ni);
    const __m512i n1 = _mm512_srai_epi32(ni, 1), n2 = _mm512_sub_epi32(ni, n1);
    const __m512i bias = _mm512_set1_epi32(127);
    const __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, bias), 23));
    const __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, bias), 23));
    const __m512 y = _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

/* erf's series in t = 1 / (1 + 0.39 |x|), as Kernels' fastErf: erf |x| = 1 - series * e^(-x^2). */
AVX512 static inline __m512 erf_series16(__m512 t) {
    __m512 q = _mm512_set1_ps(-0.2275373786687851f);
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(0.8866654634475708f));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(-0.6354020237922668f));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(0.649560809135437f));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(0.09138785302639008f));
    q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(0.23532530665397644f));
    q = _mm512_mul_ps(q, t);
    return q;
}

/* erf on 16 lanes, as Kernels' fastErf (same constants, an exact division for t). */
AVX512 static inline __m512 erf16(__m512 x) {
    const __m512 sign_mask = _mm512_set1_ps(-0.0f), one = _mm512_set1_ps(1.0f);
    const __m512 sign = _mm512_and_ps(x, sign_mask), a = _mm512_andnot_ps(sign_mask, x);
    const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(a, _mm512_set1_ps(0.39f), one));
    const __m512 q = erf_series16(t);
    const __m512 e = _mm512_fnmadd_ps(q, exp16(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(a, a))), one);
    return _mm512_or_ps(e, sign);
}

/* Exact GELU, x/2 (1 + erf(x / sqrt 2)). */
AVX512 static inline __m512 gelu16(__m512 x) {
    const __m512 erf = erf16(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)));
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), _mm512_add_ps(_mm512_set1_ps(1.0f), erf));
}

/* GELU's derivative Phi(x) + x phi(x). */
AVX512 static inline __m512 gelu_derivative16(__m512 x) {
    const __m512 half = _mm512_set1_ps(0.5f);
    const __m512 cdf = _mm512_mul_ps(half, _mm512_add_ps(_mm512_set1_ps(1.0f),
                                                         erf16(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)))));
    const __m512 pdf = _mm512_mul_ps(exp16(_mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(-0.5f), x), x)),
                                     _mm512_set1_ps(0.39894228040143268f));
    return _mm512_fmadd_ps(x, pdf, cdf);
}

/* 1 / (1 + e^(-a x)). */
AVX512 static inline __m512 sigmoid16(__m512 x, float a) {
    const __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, exp16(_mm512_mul_ps(x, _mm512_set1_ps(-a)))));
}

/* f(x) for membrane_activation_avx512's kinds. */
AVX512 static inline __m512 activation16(int kind, __m512 x) {
    if (kind == 1) return gelu16(x);
    return _mm512_mul_ps(x, sigmoid16(x, kind == 0 ? 1.0f : 1.702f));
}

/* f'(x): SiLU-like s (1 + a x (1 - s)) with s = sigmoid(a x), or GELU's. */
AVX512 static inline __m512 activation_derivative16(int kind, __m512 x) {
    if (kind == 1) return gelu_derivative16(x);
    const float a = kind == 0 ? 1.0f : 1.702f;
    const __m512 one = _mm512_set1_ps(1.0f), s = sigmoid16(x, a);
    const __m512 ax = _mm512_mul_ps(x, _mm512_set1_ps(a));
    return _mm512_mul_ps(s, _mm512_fmadd_ps(ax, _mm512_sub_ps(one, s), one));
}

AVX512 void membrane_activation_avx512(int kind, const float *x, float *y, long n) {
    for (long i = 0; i < n; i += 16) {
        const __mmask16 m = first_lanes(n - i);
        _mm512_mask_storeu_ps(y + i, m, activation16(kind, _mm512_maskz_loadu_ps(m, x + i)));
    }
}

AVX512 void membrane_activation_backward_avx512(int kind, const float *x, const float *g, float *dx, long n) {
    for (long i = 0; i < n; i += 16) {
        const __mmask16 m = first_lanes(n - i);
        const __m512 d = activation_derivative16(kind, _mm512_maskz_loadu_ps(m, x + i));
        _mm512_mask_storeu_ps(dx + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, g + i), d));
    }
}

AVX512 float membrane_exp_shifted_row_avx512(const float *x, float *y, long n, float shift) {
    const __m512 s = _mm512_set1_ps(shift);
    __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512 e0 = exp_nonpositive16(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
        const __m512 e1 = exp_nonpositive16(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), s));
        _mm512_storeu_ps(y + i, e0);
        _mm512_storeu_ps(y + i + 16, e1);
        sum0 = _mm512_add_ps(sum0, e0);
        sum1 = _mm512_add_ps(sum1, e1);
    }
    /* The rest in blocks of 16, the last masked (lanes past n load -infinity: e^x = 0). */
    for (; i < n; i += 16) {
        const __mmask16 m = first_lanes(n - i);
        const __m512 v = _mm512_mask_loadu_ps(_mm512_set1_ps(-__builtin_inff()), m, x + i);
        const __m512 e = exp_nonpositive16(_mm512_sub_ps(v, s));
        _mm512_mask_storeu_ps(y + i, m, e);
        sum0 = _mm512_add_ps(sum0, e);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(sum0, sum1));
}

/* GELU on 16 lanes as gelu8 of CKernels.c: erf's division by a 14-bit reciprocal estimate and
   one Newton step. */
AVX512 static inline __m512 geglu_gelu16(__m512 x) {
    const __m512 sign_mask = _mm512_set1_ps(-0.0f), one = _mm512_set1_ps(1.0f);
    const __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f));
    const __m512 sign = _mm512_and_ps(z, sign_mask), a = _mm512_andnot_ps(sign_mask, z);
    const __m512 d = _mm512_fmadd_ps(a, _mm512_set1_ps(0.39f), one);
    __m512 t = _mm512_rcp14_ps(d);
    t = _mm512_mul_ps(t, _mm512_fnmadd_ps(d, t, _mm512_set1_ps(2.0f)));
    const __m512 q = erf_series16(t);
    const __m512 e = _mm512_fnmadd_ps(q, exp_nonpositive16(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(a, a))), one);
    const __m512 erf = _mm512_or_ps(e, sign);
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), _mm512_add_ps(one, erf));
}

AVX512 void membrane_geglu_rows_avx512(const float *x, float *y, long rows, long half) {
    for (long r = 0; r < rows; r++) {
        const float *a = x + r * 2 * half, *gate = a + half;
        float *out = y + r * half;
        for (long j = 0; j < half; j += 16) {
            const __mmask16 m = first_lanes(half - j);
            const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, a + j), geglu_gelu16(_mm512_maskz_loadu_ps(m, gate + j)));
            _mm512_mask_storeu_ps(out + j, m, v);
        }
    }
}

/* Elements per block of the norm sums: added in float over 16 lanes, the block totals in double
   (as Kernels/Sums.swift does over 8 lanes). */
#define SUM_BLOCK 64

AVX512 double membrane_sum_blocked_avx512(const float *x, long n) {
    double total = 0;
    long i = 0;
    for (; i + SUM_BLOCK <= n; i += SUM_BLOCK) {
        __m512 acc = _mm512_loadu_ps(x + i);
        for (long k = 16; k < SUM_BLOCK; k += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(x + i + k));
        total += (double)_mm512_reduce_add_ps(acc);
    }
    for (; i < n; i++) total += (double)x[i];
    return total;
}

AVX512 void membrane_centered_moments_avx512(const float *x, long n, float center, double *s1_out, double *s2_out) {
    const __m512 m = _mm512_set1_ps(center);
    double s1 = 0, s2 = 0;
    long i = 0;
    for (; i + SUM_BLOCK <= n; i += SUM_BLOCK) {
        __m512 a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps();
        for (long k = 0; k < SUM_BLOCK; k += 16) {
            const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + i + k), m);
            a1 = _mm512_add_ps(a1, d);
            a2 = _mm512_fmadd_ps(d, d, a2);
        }
        s1 += (double)_mm512_reduce_add_ps(a1);
        s2 += (double)_mm512_reduce_add_ps(a2);
    }
    for (; i < n; i++) {
        const double d = (double)(x[i] - center);
        s1 += d;
        s2 += d * d;
    }
    *s1_out = s1;
    *s2_out = s2;
}

AVX512 void membrane_centered_dot_avx512(const float *dy, const float *x, const float *w, long n, float center,
                                         double *s1_out, double *s2_out) {
    const __m512 m = _mm512_set1_ps(center);
    double s1 = 0, s2 = 0;
    long i = 0;
    for (; i + SUM_BLOCK <= n; i += SUM_BLOCK) {
        __m512 a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps();
        for (long k = 0; k < SUM_BLOCK; k += 16) {
            __m512 g = _mm512_loadu_ps(dy + i + k);
            if (w) g = _mm512_mul_ps(g, _mm512_loadu_ps(w + i + k));
            a1 = _mm512_add_ps(a1, g);
            a2 = _mm512_fmadd_ps(g, _mm512_sub_ps(_mm512_loadu_ps(x + i + k), m), a2);
        }
        s1 += (double)_mm512_reduce_add_ps(a1);
        s2 += (double)_mm512_reduce_add_ps(a2);
    }
    for (; i < n; i++) {
        const double g = (double)(w ? dy[i] * w[i] : dy[i]);
        s1 += g;
        s2 += g * (double)(x[i] - center);
    }
    *s1_out = s1;
    *s2_out = s2;
}

#else

#define NEVER __builtin_trap()  /* never called: KernelISA is generic here */
void membrane_activation_avx512(int kind, const float *x, float *y, long n) { (void)kind; (void)x; (void)y; (void)n; NEVER; }
void membrane_activation_backward_avx512(int kind, const float *x, const float *g, float *dx, long n) {
    (void)kind; (void)x; (void)g; (void)dx; (void)n; NEVER;
}
float membrane_exp_shifted_row_avx512(const float *x, float *y, long n, float shift) {
    (void)x; (void)y; (void)n; (void)shift; NEVER;
}
void membrane_geglu_rows_avx512(const float *x, float *y, long rows, long half) { (void)x; (void)y; (void)rows; (void)half; NEVER; }
double membrane_sum_blocked_avx512(const float *x, long n) { (void)x; (void)n; NEVER; }
void membrane_centered_moments_avx512(const float *x, long n, float center, double *s1_out, double *s2_out) {
    (void)x; (void)n; (void)center; (void)s1_out; (void)s2_out; NEVER;
}
void membrane_centered_dot_avx512(const float *dy, const float *x, const float *w, long n, float center,
                                  double *s1_out, double *s2_out) {
    (void)dy; (void)x; (void)w; (void)n; (void)center; (void)s1_out; (void)s2_out; NEVER;
}

#endif
