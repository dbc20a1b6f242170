#ifndef MEMBRANE_VECTOR512_H
#define MEMBRANE_VECTOR512_H

/* 512-bit helpers shared by the AVX-512 kernel files (x86-64 only, included after immintrin.h). */

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

/* The lanes of a block of 16 holding the first `n` floats (all from 16 on). */
AVX512 static inline __mmask16 first_lanes(long n) {
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
}

/* The shared core of the exponentials: x = n ln 2 + r with n whole (returned in `ni`) and
   e^r by its polynomial, for x already clamped to the caller's range. */
AVX512 static inline __m512 exp_reduced16(__m512 xc, __m512i *ni) {
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    const __m512 t = _mm512_fmadd_ps(xc, _mm512_set1_ps(1.44269504088896341f), magic);
    const __m512 n = _mm512_sub_ps(t, magic);
    *ni = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000));
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), xc);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(0.0013814546400681138f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.00836869701743126f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.04166838899254799f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.1666652113199234f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.4999999403953552f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return p;
}

/* e^x for x <= 0 on 16 lanes, as exp_nonpositive8 of CKernels.c (0 below -87.33). */
AVX512 static inline __m512 exp_nonpositive16(__m512 x) {
    const __m512 limit = _mm512_set1_ps(-87.33f);
    const __mmask16 tiny = _mm512_cmp_ps_mask(x, limit, _CMP_LT_OQ);
    const __m512 xc = _mm512_mask_mov_ps(x, tiny, limit);
    __m512i ni;
    const __m512 p = exp_reduced16(xc, &ni);
    const __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(ni, _mm512_set1_epi32(127)), 23));
    return _mm512_maskz_mov_ps((__mmask16)~tiny, _mm512_mul_ps(p, scale));
}

/* The lanes of a block of 16 holding the first `n` floats: none for n <= 0, all from 16 on. */
AVX512 static inline __mmask16 lanes16(long n) {
    return n <= 0 ? (__mmask16)0 : first_lanes(n);
}

#endif
