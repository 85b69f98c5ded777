// Unfolding images into column matrices and folding them back (Chellapilla et al. 2006), compiled
// three times (AVX-512, AVX2 + FMA, baseline) by `NERVA_KERNEL`. Rows of the column matrix are short
// (7 to 28 floats at the DCGAN and LeNet shapes), so the loops are written for the compiler to
// vectorise with a constant stride: 1 and 2 get their own loops, any other stride the general one.
#include "Internal.h"

/// The output positions `o` (in `*lower..<*upper`) whose tap at kernel offset `k` reads inside
/// `0..<size`: `0 ≤ o·stride − padding + k < size`.
static inline __attribute__((always_inline)) void valid_outputs(int64_t k, int64_t size, int64_t out_size,
                                                                int64_t stride, int64_t padding,
                                                                int64_t *lower, int64_t *upper) {
    int64_t first = padding - k, last = size - 1 + padding - k;
    int64_t lo = first <= 0 ? 0 : (first + stride - 1) / stride;
    int64_t up = last < 0 ? 0 : last / stride + 1;
    if (lo > out_size) lo = out_size;
    if (up > out_size) up = out_size;
    *lower = lo;
    *upper = up > lo ? up : lo;
}

static inline __attribute__((always_inline)) void im2col(const NervaConvShape *restrict shape,
                                                          const float *restrict x, float *restrict columns,
                                                          int64_t row_stride) {
    const int64_t h = shape->height, w = shape->width, ho = shape->out_h, wo = shape->out_w;
    const int64_t s = shape->stride, p = shape->padding;
    float *restrict row = columns;
    for (int64_t c = 0; c < shape->in_channels; c++) {
        const float *restrict plane = x + c * h * w;
        for (int64_t i = 0; i < shape->kernel_h; i++) {
            int64_t r0, r1;
            valid_outputs(i, h, ho, s, p, &r0, &r1);
            for (int64_t j = 0; j < shape->kernel_w; j++) {
                int64_t q0, q1;
                valid_outputs(j, w, wo, s, p, &q0, &q1);
                for (int64_t oh = 0; oh < ho; oh++) {
                    float *restrict d = row + oh * wo;
                    if (oh < r0 || oh >= r1) {
                        for (int64_t o = 0; o < wo; o++) d[o] = 0;
                        continue;
                    }
                    // Pixel (oh·s − p + i, o·s − p + j) for o in q0..<q1.
                    const float *restrict src = plane + (oh * s - p + i) * w + (q0 * s - p + j);
                    for (int64_t o = 0; o < q0; o++) d[o] = 0;
                    float *restrict out = d + q0;
                    const int64_t n = q1 - q0;
                    if (s == 1) {
                        for (int64_t o = 0; o < n; o++) out[o] = src[o];
                    } else if (s == 2) {
                        for (int64_t o = 0; o < n; o++) out[o] = src[2 * o];
                    } else {
                        for (int64_t o = 0; o < n; o++) out[o] = src[o * s];
                    }
                    for (int64_t o = q1; o < wo; o++) d[o] = 0;
                }
                row += row_stride;
            }
        }
    }
}

static inline __attribute__((always_inline)) void col2im(const NervaConvShape *restrict shape,
                                                          const float *restrict columns, int64_t row_stride,
                                                          float *restrict x) {
    const int64_t h = shape->height, w = shape->width, ho = shape->out_h, wo = shape->out_w;
    const int64_t s = shape->stride, p = shape->padding;
    for (int64_t e = 0; e < shape->in_channels * h * w; e++) x[e] = 0;
    const float *restrict row = columns;
    for (int64_t c = 0; c < shape->in_channels; c++) {
        float *restrict plane = x + c * h * w;
        for (int64_t i = 0; i < shape->kernel_h; i++) {
            int64_t r0, r1;
            valid_outputs(i, h, ho, s, p, &r0, &r1);
            for (int64_t j = 0; j < shape->kernel_w; j++) {
                int64_t q0, q1;
                valid_outputs(j, w, wo, s, p, &q0, &q1);
                const int64_t n = q1 - q0;
                for (int64_t oh = r0; oh < r1; oh++) {
                    const float *restrict src = row + oh * wo + q0;
                    float *restrict dst = plane + (oh * s - p + i) * w + (q0 * s - p + j);
                    if (s == 1) {
                        for (int64_t o = 0; o < n; o++) dst[o] += src[o];
                    } else if (s == 2) {
                        for (int64_t o = 0; o < n; o++) dst[2 * o] += src[o];
                    } else {
                        for (int64_t o = 0; o < n; o++) dst[o * s] += src[o];
                    }
                }
                row += row_stride;
            }
        }
    }
}

NERVA_KERNEL(nerva_im2col, (const NervaConvShape *shape, const float *x, float *columns, int64_t row_stride),
             (shape, x, columns, row_stride), { im2col(shape, x, columns, row_stride); })

NERVA_KERNEL(nerva_col2im, (const NervaConvShape *shape, const float *columns, int64_t row_stride, float *x),
             (shape, columns, row_stride, x), { col2im(shape, columns, row_stride, x); })

// MARK: - Channels last

/// `im2col` for an image stored channels last (`[height, width, in_channels]`): row `(oh, ow)` of
/// `columns` (`[out_h·out_w, kernel_h·kernel_w·in_channels]`) holds the `kernel_h × kernel_w`
/// window at that output pixel, each tap `in_channels` contiguous floats (0 in the padding).
static inline __attribute__((always_inline)) void im2col_channels_last(const NervaConvShape *restrict shape,
                                                                        const float *restrict x,
                                                                        float *restrict columns) {
    const int64_t h = shape->height, w = shape->width, c = shape->in_channels;
    const int64_t kh = shape->kernel_h, kw = shape->kernel_w, s = shape->stride, p = shape->padding;
    float *restrict d = columns;
    for (int64_t oh = 0; oh < shape->out_h; oh++) {
        for (int64_t ow = 0; ow < shape->out_w; ow++) {
            for (int64_t i = 0; i < kh; i++) {
                const int64_t y = oh * s - p + i;
                if (y < 0 || y >= h) {
                    for (int64_t e = 0; e < kw * c; e++) d[e] = 0;
                    d += kw * c;
                    continue;
                }
                for (int64_t j = 0; j < kw; j++, d += c) {
                    const int64_t column = ow * s - p + j;
                    if (column < 0 || column >= w) {
                        for (int64_t e = 0; e < c; e++) d[e] = 0;
                    } else {
                        const float *restrict src = x + (y * w + column) * c;
                        for (int64_t e = 0; e < c; e++) d[e] = src[e];
                    }
                }
            }
        }
    }
}

/// The adjoint of `im2col_channels_last`: overwrites `x` (`[height, width, in_channels]`).
static inline __attribute__((always_inline)) void col2im_channels_last(const NervaConvShape *restrict shape,
                                                                        const float *restrict columns,
                                                                        float *restrict x) {
    const int64_t h = shape->height, w = shape->width, c = shape->in_channels;
    const int64_t kh = shape->kernel_h, kw = shape->kernel_w, s = shape->stride, p = shape->padding;
    for (int64_t e = 0; e < h * w * c; e++) x[e] = 0;
    const float *restrict src = columns;
    for (int64_t oh = 0; oh < shape->out_h; oh++) {
        for (int64_t ow = 0; ow < shape->out_w; ow++) {
            for (int64_t i = 0; i < kh; i++) {
                const int64_t y = oh * s - p + i;
                if (y < 0 || y >= h) {
                    src += kw * c;
                    continue;
                }
                for (int64_t j = 0; j < kw; j++, src += c) {
                    const int64_t column = ow * s - p + j;
                    if (column < 0 || column >= w) continue;
                    float *restrict dst = x + (y * w + column) * c;
                    for (int64_t e = 0; e < c; e++) dst[e] += src[e];
                }
            }
        }
    }
}

typedef float float8 __attribute__((vector_size(32), aligned(4), may_alias));

/// Transposes the 8 × 8 block at `x` (row stride `ldx`) into `out` (row stride `ldo`) with eight
/// loads, 24 shuffles and eight stores (the unpack/shuffle/permute sequence; the compiler maps
/// the shuffles to the target's instructions).
static inline __attribute__((always_inline)) void transpose8x8(const float *restrict x, int64_t ldx,
                                                               float *restrict out, int64_t ldo) {
    float8 r0 = *(const float8 *)(x + 0 * ldx), r1 = *(const float8 *)(x + 1 * ldx);
    float8 r2 = *(const float8 *)(x + 2 * ldx), r3 = *(const float8 *)(x + 3 * ldx);
    float8 r4 = *(const float8 *)(x + 4 * ldx), r5 = *(const float8 *)(x + 5 * ldx);
    float8 r6 = *(const float8 *)(x + 6 * ldx), r7 = *(const float8 *)(x + 7 * ldx);
    float8 t0 = __builtin_shufflevector(r0, r1, 0, 8, 1, 9, 4, 12, 5, 13);
    float8 t1 = __builtin_shufflevector(r0, r1, 2, 10, 3, 11, 6, 14, 7, 15);
    float8 t2 = __builtin_shufflevector(r2, r3, 0, 8, 1, 9, 4, 12, 5, 13);
    float8 t3 = __builtin_shufflevector(r2, r3, 2, 10, 3, 11, 6, 14, 7, 15);
    float8 t4 = __builtin_shufflevector(r4, r5, 0, 8, 1, 9, 4, 12, 5, 13);
    float8 t5 = __builtin_shufflevector(r4, r5, 2, 10, 3, 11, 6, 14, 7, 15);
    float8 t6 = __builtin_shufflevector(r6, r7, 0, 8, 1, 9, 4, 12, 5, 13);
    float8 t7 = __builtin_shufflevector(r6, r7, 2, 10, 3, 11, 6, 14, 7, 15);
    float8 s0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);
    float8 s1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
    float8 s2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);
    float8 s3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
    float8 s4 = __builtin_shufflevector(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13);
    float8 s5 = __builtin_shufflevector(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
    float8 s6 = __builtin_shufflevector(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13);
    float8 s7 = __builtin_shufflevector(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
    *(float8 *)(out + 0 * ldo) = __builtin_shufflevector(s0, s4, 0, 1, 2, 3, 8, 9, 10, 11);
    *(float8 *)(out + 1 * ldo) = __builtin_shufflevector(s1, s5, 0, 1, 2, 3, 8, 9, 10, 11);
    *(float8 *)(out + 2 * ldo) = __builtin_shufflevector(s2, s6, 0, 1, 2, 3, 8, 9, 10, 11);
    *(float8 *)(out + 3 * ldo) = __builtin_shufflevector(s3, s7, 0, 1, 2, 3, 8, 9, 10, 11);
    *(float8 *)(out + 4 * ldo) = __builtin_shufflevector(s0, s4, 4, 5, 6, 7, 12, 13, 14, 15);
    *(float8 *)(out + 5 * ldo) = __builtin_shufflevector(s1, s5, 4, 5, 6, 7, 12, 13, 14, 15);
    *(float8 *)(out + 6 * ldo) = __builtin_shufflevector(s2, s6, 4, 5, 6, 7, 12, 13, 14, 15);
    *(float8 *)(out + 7 * ldo) = __builtin_shufflevector(s3, s7, 4, 5, 6, 7, 12, 13, 14, 15);
}

/// `out[j, i] = x[i, j]` for a row-major `rows × columns` matrix: 8 × 8 blocks in registers, the
/// ragged right and bottom edges element by element.
static inline __attribute__((always_inline)) void transpose(const float *restrict x, float *restrict out, int64_t rows,
                                                            int64_t columns) {
    const int64_t full_rows = rows & ~(int64_t)7, full_columns = columns & ~(int64_t)7;
    for (int64_t i = 0; i < full_rows; i += 8) {
        for (int64_t j = 0; j < full_columns; j += 8) transpose8x8(x + i * columns + j, columns, out + j * rows + i, rows);
        for (int64_t j = full_columns; j < columns; j++)
            for (int64_t r = i; r < i + 8; r++) out[j * rows + r] = x[r * columns + j];
    }
    for (int64_t i = full_rows; i < rows; i++)
        for (int64_t j = 0; j < columns; j++) out[j * rows + i] = x[i * columns + j];
}

NERVA_KERNEL(nerva_im2col_channels_last, (const NervaConvShape *shape, const float *x, float *columns),
             (shape, x, columns), { im2col_channels_last(shape, x, columns); })

NERVA_KERNEL(nerva_col2im_channels_last, (const NervaConvShape *shape, const float *columns, float *x),
             (shape, columns, x), { col2im_channels_last(shape, columns, x); })

NERVA_KERNEL(nerva_transpose, (const float *x, float *out, int64_t rows, int64_t columns),
             (x, out, rows, columns), { transpose(x, out, rows, columns); })
