#ifndef MEMBRANE_CKERNELS_H
#define MEMBRANE_CKERNELS_H

/* Kernels written with AVX2/FMA or AVX-512 intrinsics, compiled for that instruction set per
   function and called only when Kernels' KernelISA (from CPUFeatures, from membrane_cpuid_read)
   chose it. The _avx512 functions need AVX-512 F, BW, VL and DQ besides AVX2 and FMA. */

/* The cpuid words that name the vector instruction sets, and the XCR0 register that says which
   register states the operating system saves. All zero on other architectures; leaves the
   processor does not have are zero. */
typedef struct {
    unsigned int leaf1_ecx;         /* CPUID.1:ECX (SSE4.2, FMA, OSXSAVE, AVX) */
    unsigned int leaf7_ebx;         /* CPUID.(7,0):EBX (AVX2, AVX-512 F/DQ/CD/BW/VL) */
    unsigned int leaf7_edx;         /* CPUID.(7,0):EDX (AMX-BF16, AMX-TILE, AMX-INT8) */
    unsigned int leaf7_1_eax;       /* CPUID.(7,1):EAX (AVX512-BF16) */
    unsigned long long xcr0;        /* XGETBV(0); 0 when OSXSAVE is clear (XGETBV would fault) */
} membrane_cpuid;

/* Fills *out from this processor. */
void membrane_cpuid_read(membrane_cpuid *out);

/* y[j] = e^(x[j] - shift) for j < n (n >= 8; y may be x; shift >= max x[j]); returns the sum of
   the y[j]. The exponential is the one of Kernels' fastExpNonPositive (0 below -87.33). */
float membrane_exp_shifted_row_avx2(const float *x, float *y, long n, float shift);

/* Attention scores of `rows` queries: e[r * lde + j] = scale * sum_c q[r * ldq + c] * kt[c * ldk + j]
   for j < keys, c < d. `kt` is one head's keys transposed (d rows of at least keys floats,
   readable up to the next multiple of 8). For small head widths, where a packed GEMM spends
   more on packing and clearing C than on the products. */
void membrane_attention_scores_avx2(const float *q, long ldq, const float *kt, long ldk, long keys, long d,
                                    float scale, float *e, long lde, long rows);

/* Attention of `rows` queries of one head, scores, softmax and values fused row by row:
   out[r * ldo + c] = sum_j p[r][j] vt[c * ldk + j] with p[r] = softmax_j(scale * q_r . k_j) over
   the keys query r sees: all `keys`, or, when first_query >= 0 (causal), the first
   min(keys, first_query + r + 1). `kt` and `vt` are the head's keys and values transposed (d rows
   of ldk floats, ldk a multiple of 8 >= keys, finite up to ldk). Row r's unnormalized
   probabilities e^(s - max) are left in rows_e + r * lde (ldk floats each; lde 0: a scratch of
   2 * ldk floats reused by all rows) and, when inv_out is not NULL, 1 / sum of them in inv_out[r]. One row's scores stay
   in the L1 cache from the dot products to the weighted sum of values; without a causal mask,
   rows go in pairs that share every load of keys and values. */
void membrane_attention_rows_avx2(const float *q, long ldq, const float *kt, const float *vt, long ldk,
                                  long keys, long d, float scale, long first_query, long rows,
                                  float *out, long ldo, float *rows_e, long lde, float *inv_out);

/* Row-major C = alpha * A B + beta * C (C is not read when beta is 0) for small matrices, with
   no packing of A: A's element (i, p) is a[i * ars + p * acs], B's element (p, j) is
   b[p * brs + j * bcs], C's is c[i * ldc + j]. When bcs != 1 (B given transposed), each panel of
   16 columns of B is first copied into `panel` (k * 16 floats); otherwise `panel` is not used.
   Each element of C is one FMA chain over p in order, whatever m, n and the caller's blocking. */
void membrane_small_sgemm_avx2(long m, long n, long k, float alpha, const float *a, long ars, long acs,
                               const float *b, long brs, long bcs, float beta, float *c, long ldc, float *panel);

/* GEGLU of `rows` rows [a (half floats), gate (half floats)]: y[r, j] = a[j] * gelu(gate[j]),
   exact GELU through Kernels' erf approximation (absolute error below 1e-6). */
void membrane_geglu_rows_avx2(const float *x, float *y, long rows, long half);

/* membrane_small_sgemm_avx2 on 512-bit vectors, with the same results bit for bit; `panel`
   holds k * 32 floats when bcs != 1. */
void membrane_small_sgemm_avx512(long m, long n, long k, float alpha, const float *a, long ars, long acs,
                                 const float *b, long brs, long bcs, float beta, float *c, long ldc, float *panel);

/* membrane_exp_shifted_row_avx2 on 512-bit vectors (any n >= 1); the sum runs over 16 lanes. */
float membrane_exp_shifted_row_avx512(const float *x, float *y, long n, float shift);

/* membrane_geglu_rows_avx2 on 512-bit vectors. */
void membrane_geglu_rows_avx512(const float *x, float *y, long rows, long half);

/* y[i] = f(x[i]) for i < n (y may be x), f by `kind`: 0 SiLU x sigmoid(x), 1 exact GELU,
   2 QuickGELU x sigmoid(1.702 x); the exponential and erf of Kernels' fastExp and fastErf. */
void membrane_activation_avx512(int kind, const float *x, float *y, long n);

/* dx[i] = g[i] f'(x[i]) for i < n (dx may be g), `kind` as membrane_activation_avx512's. */
void membrane_activation_backward_avx512(int kind, const float *x, const float *g, float *dx, long n);

/* The norm sums of Kernels/Sums.swift over 16 lanes: blocks of 64 floats added in float, the
   block totals (and the elements past the last block) in double. sum_blocked returns the sum;
   centered_moments gives sum d and sum d^2 with d = x - center; centered_dot gives sum g and
   sum g (x - center) with g = dy, or dy * w when w is not NULL. */
double membrane_sum_blocked_avx512(const float *x, long n);
void membrane_centered_moments_avx512(const float *x, long n, float center, double *s1_out, double *s2_out);
void membrane_centered_dot_avx512(const float *dy, const float *x, const float *w, long n, float center,
                                  double *s1_out, double *s2_out);

/* Flash attention forward of `rows` queries of one head on 512-bit vectors: out[r * ldo + c] =
   sum_j p[r][j] v[j * ldv + c] with p[r] = softmax_j(scale * q_r . k_j) over the keys query r
   sees (all `keys`, or with first_query >= 0 the first first_query + r + 1). `kt` holds the
   head's keys in blocks of 64, each transposed: key j0 + j, element c at kt[j0 * d + c * 64 + j]
   for j0 a multiple of 64, zero past `keys` up to the next multiple of 64. When
   `lse` is not NULL, lse[r] receives the row's log-sum-exp of the scaled scores, which
   membrane_flash_backward_avx512 needs. `scratch`: 64 d + 512 floats. */
void membrane_flash_forward_avx512(const float *q, long ldq, const float *kt, const float *v, long ldv,
                                   long keys, long d, float scale, long first_query, long rows,
                                   float *out, long ldo, float *lse, float *scratch);

/* Flash attention backward of one head (all `queries` rows; q, out, dout, dq rows `ld` floats
   apart, k, dk, dv rows `ldkv` apart; kt and vt the head's keys and values in the forward's
   blocks). From
   the forward's `out` and `lse` and the output gradient `dout`, writes dq = scale dS K
   (overwritten) and adds dk += scale dS^T Q and dv += P^T dout, where dS = P (dout V^T -
   rowsum(dout out)); any of dq, dk, dv may be NULL (vt is read only for dq or dk). dk and dv
   need rows up to `keys` rounded up to a multiple of 64 (the rows past `keys` receive zeros
   added). `scratch`: 96 d + 4096 floats. */
void membrane_flash_backward_avx512(const float *q, const float *k, const float *out, const float *dout,
                                    long ld, long ldkv, const float *kt, const float *vt, long queries,
                                    long keys, long d, float scale, long first_query, const float *lse,
                                    float *dq, float *dk, float *dv, float *scratch);

#endif
