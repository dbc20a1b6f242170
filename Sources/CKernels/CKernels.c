#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int membrane_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* e^x for x <= 0 on eight lanes: n = round(x / ln 2), r = x - n ln 2 (Cody-Waite), a degree-6
   polynomial for e^r, times 2^n. Same constants as Kernels/FastMath.swift. */
__attribute__((target("avx2,fma")))
static inline __m256 exp_nonpositive8(__m256 x) {
    const __m256 limit = _mm256_set1_ps(-87.33f);
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 tiny = _mm256_cmp_ps(x, limit, _CMP_LT_OQ);
    __m256 xc = _mm256_blendv_ps(x, limit, tiny);
    __m256 t = _mm256_fmadd_ps(xc, _mm256_set1_ps(1.44269504088896341f), magic);
    __m256 n = _mm256_sub_ps(t, magic);
    __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B400000));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(0.0013814546400681138f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.00836869701743126f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.04166838899254799f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.1666652113199234f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.4999999403953552f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23));
    return _mm256_andnot_ps(tiny, _mm256_mul_ps(p, scale));
}

__attribute__((target("avx2,fma")))
float membrane_exp_shifted_row_avx2(const float *x, float *y, long n, float shift) {
    const __m256 s = _mm256_set1_ps(shift);
    /* A ragged tail is done as the last 8 floats, read before the full blocks overwrite them
       (y may be x); of it, only the lanes past the last full block are added to the sum. */
    __m256 tail = exp_nonpositive8(_mm256_sub_ps(_mm256_loadu_ps(x + n - 8), s));
    __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 e0 = exp_nonpositive8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
        __m256 e1 = exp_nonpositive8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), s));
        _mm256_storeu_ps(y + i, e0);
        _mm256_storeu_ps(y + i + 8, e1);
        sum0 = _mm256_add_ps(sum0, e0);
        sum1 = _mm256_add_ps(sum1, e1);
    }
    if (i + 8 <= n) {
        __m256 e0 = exp_nonpositive8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
        _mm256_storeu_ps(y + i, e0);
        sum0 = _mm256_add_ps(sum0, e0);
        i += 8;
    }
    if (i < n) {
        long keep = n - i;
        _mm256_storeu_ps(y + n - 8, tail);
        /* lane l of the tail is element n - 8 + l, new when l >= 8 - keep */
        __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i fresh = _mm256_cmpgt_epi32(lanes, _mm256_set1_epi32((int)(7 - keep)));
        sum1 = _mm256_add_ps(sum1, _mm256_and_ps(tail, _mm256_castsi256_ps(fresh)));
    }
    __m256 sum = _mm256_add_ps(sum0, sum1);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

#else

int membrane_cpu_has_avx2_fma(void) { return 0; }

float membrane_exp_shifted_row_avx2(const float *x, float *y, long n, float shift) {
    (void)x; (void)y; (void)n; (void)shift;
    __builtin_trap();  /* never called: membrane_cpu_has_avx2_fma() is 0 */
}

#endif
