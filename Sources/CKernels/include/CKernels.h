#ifndef MEMBRANE_CKERNELS_H
#define MEMBRANE_CKERNELS_H

/* Kernels written with AVX2/FMA intrinsics, compiled for that instruction set per function and
   called only after membrane_cpu_has_avx2_fma() says the processor has it. */

/* 1 when the processor supports AVX2 and FMA, else 0. */
int membrane_cpu_has_avx2_fma(void);

/* y[j] = e^(x[j] - shift) for j < n (n >= 8; y may be x; shift >= max x[j]); returns the sum of
   the y[j]. The exponential is the one of Kernels' fastExpNonPositive (0 below -87.33). */
float membrane_exp_shifted_row_avx2(const float *x, float *y, long n, float shift);

#endif
