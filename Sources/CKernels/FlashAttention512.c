#include "CKernels.h"

/* Flash attention on 512-bit vectors: queries go in blocks of FLASH_ROWS rows and keys in
   blocks of FLASH_KEYS; a block's scores live only in an L1-sized buffer, the softmax runs
   online (running row maxima and sums, the output rescaled when a maximum grows), and the
   backward recomputes the probabilities from the forward's log-sum-exp per row. Nothing of
   size queries x keys is ever stored. Every sum runs in a fixed order (keys in block order,
   rows in row order), so results do not depend on how callers split the work. */

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>
#include "Vector512.h"

enum { FLASH_ROWS = 8, FLASH_KEYS = 64 };

/* s[r * FLASH_KEYS + j] = sum_c a[r * d + c] * bt[c * FLASH_KEYS + j] for the 8 rows of `a`
   and one key block `bt` (d rows of FLASH_KEYS floats, contiguous). */
AVX512 static void block_products(const float *a, long d, const float *bt, float *s) {
    for (long half = 0; half < FLASH_KEYS; half += 32) {
        __m512 acc[FLASH_ROWS][2];
        for (int r = 0; r < FLASH_ROWS; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
        for (long c = 0; c < d; c++) {
            const float *row = bt + c * FLASH_KEYS + half;
            const __m512 b0 = _mm512_loadu_ps(row), b1 = _mm512_loadu_ps(row + 16);
            for (int r = 0; r < FLASH_ROWS; r++) {
                const __m512 x = _mm512_set1_ps(a[r * d + c]);
                acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
            }
        }
        for (int r = 0; r < FLASH_ROWS; r++) {
            _mm512_storeu_ps(s + r * FLASH_KEYS + half, acc[r][0]);
            _mm512_storeu_ps(s + r * FLASH_KEYS + half + 16, acc[r][1]);
        }
    }
}

/* o[r * d + c] = alpha[r] o[r * d + c] + sum_{j < nk} p[r * FLASH_KEYS + j] x[j * ldx + c]:
   the block's weighted rows of x (values, or keys for the query gradient) added to 8 rows. */
AVX512 static void add_weighted_rows(const float *p, const float *x, long ldx, long nk, long d,
                                     const float *alpha, float *o) {
    const long step = d <= 48 ? 48 : 32;
    for (long c0 = 0; c0 < d; c0 += step) {
        const long width = d - c0 < step ? d - c0 : step;
        const __mmask16 m0 = lanes16(width), m1 = lanes16(width - 16), m2 = lanes16(width - 32);
        __m512 acc[FLASH_ROWS][3];
        for (int r = 0; r < FLASH_ROWS; r++) {
            const __m512 a = _mm512_set1_ps(alpha[r]);
            const float *row = o + r * d + c0;
            acc[r][0] = _mm512_mul_ps(a, _mm512_maskz_loadu_ps(m0, row));
            acc[r][1] = _mm512_mul_ps(a, _mm512_maskz_loadu_ps(m1, row + 16));
            acc[r][2] = _mm512_mul_ps(a, _mm512_maskz_loadu_ps(m2, row + 32));
        }
        for (long j = 0; j < nk; j++) {
            const float *row = x + j * ldx + c0;
            const __m512 x0 = _mm512_maskz_loadu_ps(m0, row), x1 = _mm512_maskz_loadu_ps(m1, row + 16);
            const __m512 x2 = _mm512_maskz_loadu_ps(m2, row + 32);
            for (int r = 0; r < FLASH_ROWS; r++) {
                const __m512 w = _mm512_set1_ps(p[r * FLASH_KEYS + j]);
                acc[r][0] = _mm512_fmadd_ps(w, x0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(w, x1, acc[r][1]);
                acc[r][2] = _mm512_fmadd_ps(w, x2, acc[r][2]);
            }
        }
        for (int r = 0; r < FLASH_ROWS; r++) {
            float *row = o + r * d + c0;
            _mm512_mask_storeu_ps(row, m0, acc[r][0]);
            _mm512_mask_storeu_ps(row + 16, m1, acc[r][1]);
            _mm512_mask_storeu_ps(row + 32, m2, acc[r][2]);
        }
    }
}

/* dst[j * ldd + c] += sum_r p[r * FLASH_KEYS + j] rows[r * d + c], over r < nrows in order, for
   j < nk rounded up to a multiple of 8 (dst must have those rows; p is zero past nk): the block's
   contribution to key and value gradients (rows: query rows or their output gradients). Keys go
   8 at a time, so 24 independent sums take one multiply-add per query row each. */
AVX512 static void add_transposed_products(const float *p, const float *rows, long nrows, long nk, long d,
                                           float *dst, long ldd) {
    const long step = d <= 48 ? 48 : 32;
    for (long c0 = 0; c0 < d; c0 += step) {
        const long width = d - c0 < step ? d - c0 : step;
        const __mmask16 m0 = lanes16(width), m1 = lanes16(width - 16), m2 = lanes16(width - 32);
        for (long j0 = 0; j0 < nk; j0 += 8) {
            __m512 acc[8][3];
            for (int j = 0; j < 8; j++) {
                const float *out = dst + (j0 + j) * ldd + c0;
                acc[j][0] = _mm512_maskz_loadu_ps(m0, out);
                acc[j][1] = _mm512_maskz_loadu_ps(m1, out + 16);
                acc[j][2] = _mm512_maskz_loadu_ps(m2, out + 32);
            }
            for (long r = 0; r < nrows; r++) {
                const float *row = rows + r * d + c0, *pr = p + r * FLASH_KEYS + j0;
                const __m512 x0 = _mm512_maskz_loadu_ps(m0, row), x1 = _mm512_maskz_loadu_ps(m1, row + 16);
                const __m512 x2 = _mm512_maskz_loadu_ps(m2, row + 32);
                for (int j = 0; j < 8; j++) {
                    const __m512 w = _mm512_set1_ps(pr[j]);
                    acc[j][0] = _mm512_fmadd_ps(w, x0, acc[j][0]);
                    acc[j][1] = _mm512_fmadd_ps(w, x1, acc[j][1]);
                    acc[j][2] = _mm512_fmadd_ps(w, x2, acc[j][2]);
                }
            }
            for (int j = 0; j < 8; j++) {
                float *out = dst + (j0 + j) * ldd + c0;
                _mm512_mask_storeu_ps(out, m0, acc[j][0]);
                _mm512_mask_storeu_ps(out + 16, m1, acc[j][1]);
                _mm512_mask_storeu_ps(out + 32, m2, acc[j][2]);
            }
        }
    }
}

/* Keys query `row` of the call sees: all, or with a causal mask the first first_query + row + 1. */
static inline long visible_keys(long keys, long first_query, long row) {
    if (first_query < 0) return keys;
    const long v = first_query + row + 1;
    return v < keys ? v : keys;
}

/* Copies `n` rows of width d (ld apart) into 8 contiguous rows times `factor`, zero rows past n. */
AVX512 static void load_rows(const float *src, long ld, long n, long d, float factor, float *dst) {
    const __m512 f = _mm512_set1_ps(factor);
    for (long r = 0; r < FLASH_ROWS; r++)
        for (long c = 0; c < d; c += 16) {
            const __mmask16 m = first_lanes(d - c);
            const __m512 x = r < n ? _mm512_maskz_loadu_ps(m, src + r * ld + c) : _mm512_setzero_ps();
            _mm512_mask_storeu_ps(dst + r * d + c, m, _mm512_mul_ps(f, x));
        }
}

/* Sets s[r * FLASH_KEYS + j] to -infinity for the keys j >= valid[r] of the block. */
AVX512 static void mask_block(float *s, const long *valid) {
    const __m512 minus_inf = _mm512_set1_ps(-INFINITY);
    for (int r = 0; r < FLASH_ROWS; r++) {
        if (valid[r] >= FLASH_KEYS) continue;
        for (long j = 0; j < FLASH_KEYS; j += 16) {
            const __mmask16 hidden = (__mmask16)~lanes16(valid[r] - j);
            _mm512_mask_storeu_ps(s + r * FLASH_KEYS + j, hidden, minus_inf);
        }
    }
}

/* The keys of block j0 each of the 8 rows r0 + r sees (padding rows: all `nk`). */
static void block_valid(long keys, long first_query, long r0, long n, long j0, long nk, long *valid) {
    for (long r = 0; r < FLASH_ROWS; r++) {
        const long v = r < n ? visible_keys(keys, first_query, r0 + r) - j0 : nk;
        valid[r] = v < 0 ? 0 : v > FLASH_KEYS ? FLASH_KEYS : v;
    }
}

/* The online softmax of one block for 8 rows: turns scores s into e^(s - m') in place, where
   m' = max(m, block maximum) becomes the new running maximum m; the running sums l and the
   factors alpha = e^(m - m') that rescale what was accumulated so far are updated. */
AVX512 static void online_softmax(float *s, float *m, float *l, float *alpha) {
    for (int r = 0; r < FLASH_ROWS; r++) {
        float *row = s + r * FLASH_KEYS;
        const __m512 mx = _mm512_max_ps(_mm512_max_ps(_mm512_loadu_ps(row), _mm512_loadu_ps(row + 16)),
                                        _mm512_max_ps(_mm512_loadu_ps(row + 32), _mm512_loadu_ps(row + 48)));
        const float block_max = _mm512_reduce_max_ps(mx);
        const float top = block_max > m[r] ? block_max : m[r];
        /* e^0 is 1 exactly: most blocks after the first leave the maximum where it was. */
        alpha[r] = m[r] == -INFINITY ? 0.0f : m[r] == top ? 1.0f : expf(m[r] - top);
        const __m512 shift = _mm512_set1_ps(top);
        __m512 sum = _mm512_setzero_ps();
        for (long j = 0; j < FLASH_KEYS; j += 16) {
            const __m512 e = exp_nonpositive16(_mm512_sub_ps(_mm512_loadu_ps(row + j), shift));
            _mm512_storeu_ps(row + j, e);
            sum = _mm512_add_ps(sum, e);
        }
        l[r] = l[r] * alpha[r] + _mm512_reduce_add_ps(sum);
        m[r] = top;
    }
}

/* Row blocks that share each key block while it is in the L1 cache. */
enum { FLASH_GROUP = 4 };

/* The masked scores of one 8-row block (rows r0 .. r0 + n - 1 of the call, scaled queries qs)
   against key block j0, into s; returns how many keys of the block any of the rows sees (0: none,
   and s is not written). */
AVX512 static long masked_scores(const float *qs, long d, const float *kt, long keys, long first_query,
                                 long r0, long n, long j0, float *s) {
    const long block_end = visible_keys(keys, first_query, r0 + n - 1);
    if (j0 >= block_end) return 0;
    const long nk = block_end - j0 < FLASH_KEYS ? block_end - j0 : FLASH_KEYS;
    long valid[FLASH_ROWS];
    block_products(qs, d, kt + j0 * d, s);
    block_valid(keys, first_query, r0, n, j0, nk, valid);
    mask_block(s, valid);
    return nk;
}

/* Rows of the 8-row block starting at r0 among `rows`. */
static inline long block_rows(long rows, long r0) { return rows - r0 < FLASH_ROWS ? rows - r0 : FLASH_ROWS; }

AVX512 void membrane_flash_forward_avx512(const float *q, long ldq, const float *kt, const float *v,
                                          long ldv, long keys, long d, float scale, long first_query, long rows,
                                          float *out, long ldo, float *lse, float *scratch) {
    const long block = FLASH_ROWS * d;
    float *qs = scratch, *o = qs + FLASH_GROUP * block, *s = o + FLASH_GROUP * block;
    float m[FLASH_GROUP][FLASH_ROWS], l[FLASH_GROUP][FLASH_ROWS], alpha[FLASH_ROWS];
    for (long g0 = 0; g0 < rows; g0 += FLASH_GROUP * FLASH_ROWS) {
        const long blocks = (rows - g0 + FLASH_ROWS - 1) / FLASH_ROWS < FLASH_GROUP
                          ? (rows - g0 + FLASH_ROWS - 1) / FLASH_ROWS : FLASH_GROUP;
        for (long b = 0; b < blocks; b++) {
            const long r0 = g0 + b * FLASH_ROWS, n = block_rows(rows, r0);
            load_rows(q + r0 * ldq, ldq, n, d, scale, qs + b * block);
            for (long i = 0; i < block; i++) o[b * block + i] = 0;
            for (int r = 0; r < FLASH_ROWS; r++) { m[b][r] = -INFINITY; l[b][r] = 0; }
        }
        const long last = g0 + blocks * FLASH_ROWS < rows ? g0 + blocks * FLASH_ROWS : rows;
        const long end = visible_keys(keys, first_query, last - 1);
        for (long j0 = 0; j0 < end; j0 += FLASH_KEYS) {
            for (long b = 0; b < blocks; b++) {
                const long r0 = g0 + b * FLASH_ROWS;
                const long nk = masked_scores(qs + b * block, d, kt, keys, first_query, r0, block_rows(rows, r0), j0, s);
                if (nk == 0) continue;
                online_softmax(s, m[b], l[b], alpha);
                add_weighted_rows(s, v + j0 * ldv, ldv, nk, d, alpha, o + b * block);
            }
        }
        for (long b = 0; b < blocks; b++) {
            const long r0 = g0 + b * FLASH_ROWS, n = block_rows(rows, r0);
            for (long r = 0; r < n; r++) {
                const __m512 f = _mm512_set1_ps(1.0f / l[b][r]);
                for (long c = 0; c < d; c += 16) {
                    const __mmask16 mk = first_lanes(d - c);
                    _mm512_mask_storeu_ps(out + (r0 + r) * ldo + c, mk,
                                          _mm512_mul_ps(f, _mm512_maskz_loadu_ps(mk, o + b * block + r * d + c)));
                }
                if (lse) lse[r0 + r] = m[b][r] + logf(l[b][r]);
            }
        }
    }
}

/* Per 8-row block of the backward: the scaled queries, the output gradients, the query
   gradient so far (each block's rows right after the previous block's, for all FLASH_GROUP
   blocks), and each row's log-sum-exp and rowsum(dout out). */
typedef struct {
    float *qs, *go, *gq;
    float top[FLASH_ROWS], delta[FLASH_ROWS];
} flash_rows;

/* The probabilities p and score gradients ds (when `scores`) of one 8-row block against key
   block j0, and the block's query gradient; returns the keys of the block any row sees (0: p
   and ds are zero). */
AVX512 static long block_gradients(flash_rows *br, const float *kt, const float *vt, const float *k, long ldkv,
                                   long keys, long d, long first_query, long r0, long n, long j0, int scores,
                                   int with_dq, float *p, float *ds) {
    _Static_assert(FLASH_ROWS == 8, "ones holds one 1 per row of a block");
    static const float ones[FLASH_ROWS] = {1, 1, 1, 1, 1, 1, 1, 1};
    const long nk = masked_scores(br->qs, d, kt, keys, first_query, r0, n, j0, p);
    if (nk == 0) {
        for (long i = 0; i < FLASH_ROWS * FLASH_KEYS; i++) p[i] = ds[i] = 0;
        return 0;
    }
    for (int r = 0; r < FLASH_ROWS; r++) {
        const __m512 shift = _mm512_set1_ps(br->top[r]);
        for (long j = 0; j < FLASH_KEYS; j += 16) {
            float *x = p + r * FLASH_KEYS + j;
            _mm512_storeu_ps(x, exp_nonpositive16(_mm512_sub_ps(_mm512_loadu_ps(x), shift)));
        }
    }
    if (!scores) return nk;
    /* dS = P (dO V^T - delta), zero wherever P is. */
    block_products(br->go, d, vt + j0 * d, ds);
    for (int r = 0; r < FLASH_ROWS; r++) {
        const __m512 dr = _mm512_set1_ps(br->delta[r]);
        for (long j = 0; j < FLASH_KEYS; j += 16) {
            float *x = ds + r * FLASH_KEYS + j;
            const __m512 pr = _mm512_loadu_ps(p + r * FLASH_KEYS + j);
            _mm512_storeu_ps(x, _mm512_mul_ps(pr, _mm512_sub_ps(_mm512_loadu_ps(x), dr)));
        }
    }
    if (with_dq) add_weighted_rows(ds, k + j0 * ldkv, ldkv, nk, d, ones, br->gq);
    return nk;
}

AVX512 void membrane_flash_backward_avx512(const float *q, const float *k, const float *out, const float *dout,
                                           long ld, long ldkv, const float *kt, const float *vt, long queries,
                                           long keys, long d, float scale, long first_query, const float *lse,
                                           float *dq, float *dk, float *dv, float *scratch) {
    const long block = FLASH_ROWS * d, tile = FLASH_ROWS * FLASH_KEYS;
    float *p = scratch, *ds = p + FLASH_GROUP * tile, *rows_scratch = ds + FLASH_GROUP * tile;
    const int scores = dq != 0 || dk != 0;
    flash_rows br[FLASH_GROUP];
    for (long b = 0; b < FLASH_GROUP; b++) {
        br[b].qs = rows_scratch + b * block;
        br[b].go = br[b].qs + FLASH_GROUP * block;
        br[b].gq = br[b].go + FLASH_GROUP * block;
    }
    for (long g0 = 0; g0 < queries; g0 += FLASH_GROUP * FLASH_ROWS) {
        const long blocks = (queries - g0 + FLASH_ROWS - 1) / FLASH_ROWS < FLASH_GROUP
                          ? (queries - g0 + FLASH_ROWS - 1) / FLASH_ROWS : FLASH_GROUP;
        for (long b = 0; b < blocks; b++) {
            const long r0 = g0 + b * FLASH_ROWS, n = block_rows(queries, r0);
            load_rows(q + r0 * ld, ld, n, d, scale, br[b].qs);
            load_rows(dout + r0 * ld, ld, n, d, 1.0f, br[b].go);
            for (long i = 0; i < block; i++) br[b].gq[i] = 0;
            for (long r = 0; r < FLASH_ROWS; r++) {
                br[b].top[r] = r < n ? lse[r0 + r] : 0.0f;
                float sum = 0;
                if (r < n && scores)
                    for (long c = 0; c < d; c++) sum += dout[(r0 + r) * ld + c] * out[(r0 + r) * ld + c];
                br[b].delta[r] = sum;
            }
        }
        const long last = g0 + blocks * FLASH_ROWS < queries ? g0 + blocks * FLASH_ROWS : queries;
        const long end = visible_keys(keys, first_query, last - 1);
        for (long j0 = 0; j0 < end; j0 += FLASH_KEYS) {
            /* Every block's probabilities first; then the key and value gradients of the key block
               take all the group's rows in one pass (rows in order, as block after block would). */
            long nk = 0;
            for (long b = 0; b < blocks; b++) {
                const long r0 = g0 + b * FLASH_ROWS;
                const long seen = block_gradients(&br[b], kt, vt, k, ldkv, keys, d, first_query, r0,
                                                  block_rows(queries, r0), j0, scores, dq != 0, p + b * tile,
                                                  ds + b * tile);
                if (seen > nk) nk = seen;
            }
            if (nk == 0) continue;
            if (dv) add_transposed_products(p, br[0].go, blocks * FLASH_ROWS, nk, d, dv + j0 * ldkv, ldkv);
            if (dk) add_transposed_products(ds, br[0].qs, blocks * FLASH_ROWS, nk, d, dk + j0 * ldkv, ldkv);
        }
        if (dq)
            for (long b = 0; b < blocks; b++) {
                const long r0 = g0 + b * FLASH_ROWS, n = block_rows(queries, r0);
                for (long r = 0; r < n; r++)
                    for (long c = 0; c < d; c++) dq[(r0 + r) * ld + c] = scale * br[b].gq[r * d + c];
            }
    }
}

#else

void membrane_flash_forward_avx512(const float *q, long ldq, const float *kt, const float *v, long ldv,
                                   long keys, long d, float scale, long first_query, long rows,
                                   float *out, long ldo, float *lse, float *scratch) {
    (void)q; (void)ldq; (void)kt; (void)v; (void)ldv; (void)keys; (void)d; (void)scale;
    (void)first_query; (void)rows; (void)out; (void)ldo; (void)lse; (void)scratch;
    __builtin_trap();  /* never called: KernelISA is generic here */
}

void membrane_flash_backward_avx512(const float *q, const float *k, const float *out, const float *dout,
                                    long ld, long ldkv, const float *kt, const float *vt, long queries,
                                    long keys, long d, float scale, long first_query, const float *lse,
                                    float *dq, float *dk, float *dv, float *scratch) {
    (void)q; (void)k; (void)out; (void)dout; (void)ld; (void)ldkv; (void)kt; (void)vt; (void)queries;
    (void)keys; (void)d; (void)scale; (void)first_query; (void)lse; (void)dq; (void)dk; (void)dv; (void)scratch;
    __builtin_trap();
}

#endif
