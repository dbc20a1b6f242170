#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

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

/* The sum of the eight lanes of v. */
__attribute__((target("avx2,fma")))
static inline float lane_sum(__m256 v) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
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
    return lane_sum(_mm256_add_ps(sum0, sum1));
}

__attribute__((target("avx2,fma")))
void membrane_attention_scores_avx2(const float *q, long ldq, const float *kt, long ldk, long keys, long d,
                                    float scale, float *e, long lde, long rows) {
    const __m256 sc = _mm256_set1_ps(scale);
    const long full = keys & ~31L;
    for (long r = 0; r < rows; r++) {
        const float *qr = q + r * ldq;
        float *er = e + r * lde;
        long j = 0;
        for (; j < full; j += 32) {
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (long c = 0; c < d; c++) {
                const __m256 qc = _mm256_broadcast_ss(qr + c);
                const float *k = kt + c * ldk + j;
                a0 = _mm256_fmadd_ps(qc, _mm256_loadu_ps(k), a0);
                a1 = _mm256_fmadd_ps(qc, _mm256_loadu_ps(k + 8), a1);
                a2 = _mm256_fmadd_ps(qc, _mm256_loadu_ps(k + 16), a2);
                a3 = _mm256_fmadd_ps(qc, _mm256_loadu_ps(k + 24), a3);
            }
            _mm256_storeu_ps(er + j, _mm256_mul_ps(a0, sc));
            _mm256_storeu_ps(er + j + 8, _mm256_mul_ps(a1, sc));
            _mm256_storeu_ps(er + j + 16, _mm256_mul_ps(a2, sc));
            _mm256_storeu_ps(er + j + 24, _mm256_mul_ps(a3, sc));
        }
        for (; j < keys; j += 8) {
            __m256 a = _mm256_setzero_ps();
            for (long c = 0; c < d; c++)
                a = _mm256_fmadd_ps(_mm256_broadcast_ss(qr + c), _mm256_loadu_ps(kt + c * ldk + j), a);
            a = _mm256_mul_ps(a, sc);
            if (j + 8 <= keys) {
                _mm256_storeu_ps(er + j, a);
            } else {
                __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
                __m256i keep = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(keys - j)), lanes);
                _mm256_maskstore_ps(er + j, keep, a);
            }
        }
    }
}

/* The eight sums of the lanes of a[0..7], in order, as one vector. */
__attribute__((target("avx2,fma")))
static inline __m256 lane_sums8(const __m256 *a) {
    __m256 t0 = _mm256_hadd_ps(a[0], a[1]), t1 = _mm256_hadd_ps(a[2], a[3]);
    __m256 t2 = _mm256_hadd_ps(a[4], a[5]), t3 = _mm256_hadd_ps(a[6], a[7]);
    __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}


/* e^x for x <= 0 on eight lanes, for softmax rows: 2^y with y = x log2(e) split into a rounded
   integer n and f in [-1/2, 1/2], 2^f by a degree-5 minimax polynomial (relative error 2.4e-7
   in float arithmetic). Cheaper than exp_nonpositive8 (no Cody-Waite step, one degree less):
   the rounding of y costs relative accuracy only where e^x < 2^-20, which a softmax row with
   its maximum at 0 cannot notice. Below 2^-126 the result stays at 2^-126 (about 1e-38; masked
   keys at -infinity weigh that, not 0). */
__attribute__((target("avx2,fma")))
static inline __m256 softmax_exp8(__m256 x) {
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 y = _mm256_max_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _mm256_set1_ps(-126.0f));
    __m256 t = _mm256_add_ps(y, magic);
    __m256 f = _mm256_sub_ps(y, _mm256_sub_ps(t, magic));
    __m256 p = _mm256_set1_ps(1.327647129073739e-3f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(9.675540961325169e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.550713092088699e-2f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.4022120237350464e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.931469440460205e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0000001192092896f));
    /* t's low mantissa bits hold n (two's complement, above the magic's 0x400000 bit, which
       the shift by 23 pushes out). */
    __m256i bits = _mm256_add_epi32(_mm256_slli_epi32(_mm256_castps_si256(t), 23), _mm256_set1_epi32(127 << 23));
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

/* row[j] = softmax_exp8(row[j] - shift) for j < n (a multiple of 8); returns their sum. */
__attribute__((target("avx2,fma")))
static inline float softmax_exp_row(float *row, long n, float shift) {
    const __m256 s = _mm256_set1_ps(shift);
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 e0 = softmax_exp8(_mm256_sub_ps(_mm256_loadu_ps(row + i), s));
        __m256 e1 = softmax_exp8(_mm256_sub_ps(_mm256_loadu_ps(row + i + 8), s));
        _mm256_storeu_ps(row + i, e0);
        _mm256_storeu_ps(row + i + 8, e1);
        a0 = _mm256_add_ps(a0, e0);
        a1 = _mm256_add_ps(a1, e1);
    }
    if (i < n) {
        __m256 e0 = softmax_exp8(_mm256_sub_ps(_mm256_loadu_ps(row + i), s));
        _mm256_storeu_ps(row + i, e0);
        a0 = _mm256_add_ps(a0, e0);
    }
    return lane_sum(_mm256_add_ps(a0, a1));
}


/* row[j] = scale * q . kt[:, j] for j < span (a multiple of 8): eight key blocks at a time, so
   eight independent FMA chains cover the FMA latency. */
__attribute__((target("avx2,fma")))
static inline void score_row(const float *q, const float *kt, long ldk, long span, long d, float scale, float *row) {
    const __m256 sc = _mm256_set1_ps(scale);
    long j = 0;
    for (; j + 64 <= span; j += 64) {
        __m256 a[8];
        for (int i = 0; i < 8; i++) a[i] = _mm256_setzero_ps();
        for (long c = 0; c < d; c++) {
            const __m256 qc = _mm256_broadcast_ss(q + c);
            const float *k = kt + c * ldk + j;
            for (int i = 0; i < 8; i++) a[i] = _mm256_fmadd_ps(qc, _mm256_loadu_ps(k + 8 * i), a[i]);
        }
        for (int i = 0; i < 8; i++) _mm256_storeu_ps(row + j + 8 * i, _mm256_mul_ps(a[i], sc));
    }
    for (; j < span; j += 8) {
        __m256 a = _mm256_setzero_ps();
        for (long c = 0; c < d; c++)
            a = _mm256_fmadd_ps(_mm256_broadcast_ss(q + c), _mm256_loadu_ps(kt + c * ldk + j), a);
        _mm256_storeu_ps(row + j, _mm256_mul_ps(a, sc));
    }
}

/* Scores of two query rows over the same keys: each block of keys is loaded once for both
   (the same FMA chains per row as score_row, so the same values). */
__attribute__((target("avx2,fma")))
static inline void score_rows2(const float *q0, const float *q1, const float *kt, long ldk, long span, long d,
                               float scale, float *row0, float *row1) {
    const __m256 sc = _mm256_set1_ps(scale);
    long j = 0;
    for (; j + 32 <= span; j += 32) {
        __m256 a[4], b[4];
        for (int i = 0; i < 4; i++) { a[i] = _mm256_setzero_ps(); b[i] = _mm256_setzero_ps(); }
        for (long c = 0; c < d; c++) {
            const __m256 x0 = _mm256_broadcast_ss(q0 + c), x1 = _mm256_broadcast_ss(q1 + c);
            const float *k = kt + c * ldk + j;
            for (int i = 0; i < 4; i++) {
                const __m256 kv = _mm256_loadu_ps(k + 8 * i);
                a[i] = _mm256_fmadd_ps(x0, kv, a[i]);
                b[i] = _mm256_fmadd_ps(x1, kv, b[i]);
            }
        }
        for (int i = 0; i < 4; i++) {
            _mm256_storeu_ps(row0 + j + 8 * i, _mm256_mul_ps(a[i], sc));
            _mm256_storeu_ps(row1 + j + 8 * i, _mm256_mul_ps(b[i], sc));
        }
    }
    for (; j < span; j += 8) {
        __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
        for (long c = 0; c < d; c++) {
            const __m256 kv = _mm256_loadu_ps(kt + c * ldk + j);
            a = _mm256_fmadd_ps(_mm256_broadcast_ss(q0 + c), kv, a);
            b = _mm256_fmadd_ps(_mm256_broadcast_ss(q1 + c), kv, b);
        }
        _mm256_storeu_ps(row0 + j, _mm256_mul_ps(a, sc));
        _mm256_storeu_ps(row1 + j, _mm256_mul_ps(b, sc));
    }
}

/* A row of `span` scores (a multiple of 8) turned into e^(s - max) in place, lanes at and past
   `valid` weighing (next to) nothing; returns 1 / their sum. */
__attribute__((target("avx2,fma")))
static inline float softmax_row(float *row, long valid, long span) {
    if (valid < span) {
        const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i dead = _mm256_cmpgt_epi32(lanes, _mm256_set1_epi32((int)(valid - (span - 8)) - 1));
        __m256 last = _mm256_loadu_ps(row + span - 8);
        _mm256_storeu_ps(row + span - 8, _mm256_blendv_ps(last, _mm256_set1_ps(-__builtin_inff()), _mm256_castsi256_ps(dead)));
    }
    __m256 m = _mm256_loadu_ps(row);
    for (long j = 8; j < span; j += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(row + j));
    __m128 mh = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    mh = _mm_max_ps(mh, _mm_movehl_ps(mh, mh));
    mh = _mm_max_ss(mh, _mm_shuffle_ps(mh, mh, 1));
    return 1.0f / softmax_exp_row(row, span, _mm_cvtss_f32(mh));
}

/* out[c] = inv * sum_j e[j] vt[c][j] for one row: eight channels at a time, one chain each. */
__attribute__((target("avx2,fma")))
static inline void weigh_values(const float *e, const float *vt, long ldk, long span, long d, float inv, float *out) {
    long c = 0;
    for (; c + 8 <= d; c += 8) {
        __m256 acc[8];
        for (int i = 0; i < 8; i++) acc[i] = _mm256_setzero_ps();
        for (long j = 0; j < span; j += 8) {
            const __m256 ej = _mm256_loadu_ps(e + j);
            for (int i = 0; i < 8; i++) acc[i] = _mm256_fmadd_ps(ej, _mm256_loadu_ps(vt + (c + i) * ldk + j), acc[i]);
        }
        _mm256_storeu_ps(out + c, _mm256_mul_ps(lane_sums8(acc), _mm256_set1_ps(inv)));
    }
    for (; c < d; c++) {
        __m256 acc = _mm256_setzero_ps();
        for (long j = 0; j < span; j += 8)
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(e + j), _mm256_loadu_ps(vt + c * ldk + j), acc);
        out[c] = lane_sum(acc) * inv;
    }
}

/* weigh_values for two rows: four channels at a time for both, each block of values loaded
   once. The four sums of a block are reduced in lane_sums8's order, so a head width that is a
   multiple of 8 gives weigh_values's results exactly. */
__attribute__((target("avx2,fma")))
static inline void weigh_values2(const float *e0, const float *e1, const float *vt, long ldk, long span, long d,
                                 float inv0, float inv1, float *out0, float *out1) {
    long c = 0;
    for (; c + 4 <= d; c += 4) {
        __m256 a[4], b[4];
        for (int i = 0; i < 4; i++) { a[i] = _mm256_setzero_ps(); b[i] = _mm256_setzero_ps(); }
        for (long j = 0; j < span; j += 8) {
            const __m256 x0 = _mm256_loadu_ps(e0 + j), x1 = _mm256_loadu_ps(e1 + j);
            for (int i = 0; i < 4; i++) {
                const __m256 v = _mm256_loadu_ps(vt + (c + i) * ldk + j);
                a[i] = _mm256_fmadd_ps(x0, v, a[i]);
                b[i] = _mm256_fmadd_ps(x1, v, b[i]);
            }
        }
        __m256 ua = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
        __m256 ub = _mm256_hadd_ps(_mm256_hadd_ps(b[0], b[1]), _mm256_hadd_ps(b[2], b[3]));
        __m128 sa = _mm_add_ps(_mm256_castps256_ps128(ua), _mm256_extractf128_ps(ua, 1));
        __m128 sb = _mm_add_ps(_mm256_castps256_ps128(ub), _mm256_extractf128_ps(ub, 1));
        _mm_storeu_ps(out0 + c, _mm_mul_ps(sa, _mm_set1_ps(inv0)));
        _mm_storeu_ps(out1 + c, _mm_mul_ps(sb, _mm_set1_ps(inv1)));
    }
    for (; c < d; c++) {
        __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
        for (long j = 0; j < span; j += 8) {
            const __m256 v = _mm256_loadu_ps(vt + c * ldk + j);
            a = _mm256_fmadd_ps(_mm256_loadu_ps(e0 + j), v, a);
            b = _mm256_fmadd_ps(_mm256_loadu_ps(e1 + j), v, b);
        }
        out0[c] = lane_sum(a) * inv0;
        out1[c] = lane_sum(b) * inv1;
    }
}

__attribute__((target("avx2,fma")))
void membrane_attention_rows_avx2(const float *q, long ldq, const float *kt, const float *vt, long ldk,
                                  long keys, long d, float scale, long first_query, long rows,
                                  float *out, long ldo, float *rows_e, long lde, float *inv_out) {
    long r = 0;
    /* Without a causal mask every row sees the same keys: rows go in pairs (with lde 0 the
       pair's second row uses the scratch's second half, rows_e holding 2 * ldk floats). */
    if (first_query < 0) {
        const long span = (keys + 7) / 8 * 8, second = lde ? lde : ldk;
        for (; r + 2 <= rows; r += 2) {
            float *row0 = rows_e + r * lde, *row1 = row0 + second;
            score_rows2(q + r * ldq, q + (r + 1) * ldq, kt, ldk, span, d, scale, row0, row1);
            const float inv0 = softmax_row(row0, keys, span), inv1 = softmax_row(row1, keys, span);
            if (inv_out) { inv_out[r] = inv0; inv_out[r + 1] = inv1; }
            weigh_values2(row0, row1, vt, ldk, span, d, inv0, inv1, out + r * ldo, out + (r + 1) * ldo);
        }
    }
    for (; r < rows; r++) {
        /* Keys this query sees, and the 8-float blocks that cover them. */
        const long valid = first_query < 0 ? keys : first_query + r + 1 < keys ? first_query + r + 1 : keys;
        const long span = (valid + 7) / 8 * 8;
        float *row = rows_e + r * lde;
        score_row(q + r * ldq, kt, ldk, span, d, scale, row);
        const float inv = softmax_row(row, valid, span);
        if (inv_out) inv_out[r] = inv;
        weigh_values(row, vt, ldk, span, d, inv, out + r * ldo);
    }
}

/* GELU(x) = x/2 (1 + erf(x / sqrt 2)) on eight lanes, erf as Kernels/FastMath.swift's fastErf
   (same constants) with the division 1 / (1 + p a) by a reciprocal estimate and one Newton step. */
__attribute__((target("avx2,fma")))
static inline __m256 gelu8(__m256 x) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f));
    __m256 sign = _mm256_and_ps(z, sign_mask), a = _mm256_andnot_ps(sign_mask, z);
    __m256 d = _mm256_fmadd_ps(a, _mm256_set1_ps(0.39f), one);
    __m256 t = _mm256_rcp_ps(d);
    t = _mm256_mul_ps(t, _mm256_fnmadd_ps(d, t, _mm256_set1_ps(2.0f)));
    __m256 q = _mm256_set1_ps(-0.2275373786687851f);
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(0.8866654634475708f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(-0.6354020237922668f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(0.649560809135437f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(0.09138785302639008f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(0.23532530665397644f));
    q = _mm256_mul_ps(q, t);
    __m256 e = _mm256_fnmadd_ps(q, exp_nonpositive8(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(a, a))), one);
    __m256 erf = _mm256_or_ps(e, sign);
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(one, erf));
}

__attribute__((target("avx2,fma")))
void membrane_geglu_rows_avx2(const float *x, float *y, long rows, long half) {
    for (long r = 0; r < rows; r++) {
        const float *a = x + r * 2 * half, *gate = a + half;
        float *out = y + r * half;
        long j = 0;
        for (; j + 8 <= half; j += 8)
            _mm256_storeu_ps(out + j, _mm256_mul_ps(_mm256_loadu_ps(a + j), gelu8(_mm256_loadu_ps(gate + j))));
        if (j < half) {
            const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            const __m256i keep = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(half - j)), lanes);
            __m256 v = _mm256_mul_ps(_mm256_maskload_ps(a + j, keep), gelu8(_mm256_maskload_ps(gate + j, keep)));
            _mm256_maskstore_ps(out + j, keep, v);
        }
    }
}

#else

float membrane_exp_shifted_row_avx2(const float *x, float *y, long n, float shift) {
    (void)x; (void)y; (void)n; (void)shift;
    __builtin_trap();  /* never called: CPUFeatures has no AVX2 here */
}

void membrane_attention_scores_avx2(const float *q, long ldq, const float *kt, long ldk, long keys, long d,
                                    float scale, float *e, long lde, long rows) {
    (void)q; (void)ldq; (void)kt; (void)ldk; (void)keys; (void)d; (void)scale; (void)e; (void)lde; (void)rows;
    __builtin_trap();
}

void membrane_attention_rows_avx2(const float *q, long ldq, const float *kt, const float *vt, long ldk,
                                  long keys, long d, float scale, long first_query, long rows,
                                  float *out, long ldo, float *rows_e, long lde, float *inv_out) {
    (void)q; (void)ldq; (void)kt; (void)vt; (void)ldk; (void)keys; (void)d; (void)scale;
    (void)first_query; (void)rows; (void)out; (void)ldo; (void)rows_e; (void)lde; (void)inv_out;
    __builtin_trap();
}

void membrane_geglu_rows_avx2(const float *x, float *y, long rows, long half) {
    (void)x; (void)y; (void)rows; (void)half;
    __builtin_trap();
}

#endif
