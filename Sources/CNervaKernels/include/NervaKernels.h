// Nerva's compute backend: matrix products and convolutions on oneDNN (JIT kernels chosen from the
// CPU's feature bits), and element-wise kernels compiled for AVX-512, AVX2 and baseline x86-64,
// one of which is chosen at run time. `NERVA_ISA=baseline` (or `avx2`) caps the choice.
#ifndef NERVA_KERNELS_H
#define NERVA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Instruction sets

/// The instruction sets the element-wise kernels are compiled for.
typedef enum {
    NervaISABaseline = 0,   ///< SSE2 on x86-64, NEON on arm64: what every CPU of the architecture has.
    NervaISAAVX2 = 1,       ///< AVX2 and FMA.
    NervaISAAVX512 = 2,     ///< AVX-512 F, VL, BW, DQ.
} NervaISA;

/// The instruction set in use: the best this CPU supports, capped by `NERVA_ISA` when set
/// (`baseline`, `avx2`, `avx512`). Also caps oneDNN's kernels. Decided once, on first use.
NervaISA nerva_isa(void);

/// The best instruction set this CPU supports, whatever `NERVA_ISA` says.
NervaISA nerva_cpu_isa(void);

/// The CPU's model name as the operating system reports it ("" when unknown).
const char *nerva_cpu_model(void);
/// Hands the memory the C allocator keeps for reuse back to the system (glibc's `malloc_trim`; a no-op elsewhere).
void nerva_release_allocator_cache(void);
/// Allocations of at least `bytes` get their own mapping, returned to the system when freed.
void nerva_set_mmap_threshold(size_t bytes);

/// The version of the oneDNN library doing products and convolutions, e.g. "2.6.3" ("" without it).
const char *nerva_backend_version(void);

/// The ISA oneDNN's JIT kernels use on this CPU, e.g. "avx512_core_amx" ("" without oneDNN).
const char *nerva_backend_isa(void);

// MARK: - Matrix products

/// `c = alpha · op(a) · op(b) + beta · c` for row-major matrices with leading dimensions `lda`,
/// `ldb`, `ldc`; `op(a)` is `m × k`, `op(b)` is `k × n`. Runs on the calling thread and
/// `threads − 1` of oneDNN's OpenMP threads. Returns 0, or a non-zero backend status (a
/// programming error: bad dimensions).
int nerva_sgemm(int transpose_a, int transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                int threads);

/// The same product as one direct backend call with the backend's own threads (all cores), for
/// benchmarks that compare Nerva's call with the library's. Plain row-major `m × k` · `k × n`.
int nerva_backend_sgemm_direct(int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c);

// MARK: - Convolutions

/// A 2-D convolution's geometry: input `[batch, in_channels, height, width]`, weight
/// `[out_channels, in_channels, kernel_h, kernel_w]`, output `[batch, out_channels, out_h, out_w]`.
typedef struct {
    int64_t batch, in_channels, height, width;
    int64_t out_channels, kernel_h, kernel_w, stride, padding, out_h, out_w;
} NervaConvShape;

/// `y = conv(x, weight) + bias` (`bias` may be NULL) with `threads` threads. These return 0, or
/// non-zero when the backend cannot run the shape (the caller then uses its own kernels).
int nerva_conv_forward(const NervaConvShape *shape, const float *x, const float *weight, const float *bias, float *y,
                       int threads);
/// `gx = ∂y/∂x` applied to `gy` (a transposed convolution of `gy`).
int nerva_conv_backward_data(const NervaConvShape *shape, const float *gy, const float *weight, float *gx, int threads);
/// `gw = Σₙ gy[n] ⋆ x[n]`, and `gbias = Σ gy` over batch and pixels when `gbias` is not NULL.
int nerva_conv_backward_weights(const NervaConvShape *shape, const float *x, const float *gy, float *gw, float *gbias,
                                int threads);

/// Unfolds one image `x` (`[in_channels, height, width]`; `batch` and `out_channels` are not read)
/// into `columns`, `[in_channels·kernel_h·kernel_w, row_stride]` of which the first `out_h·out_w`
/// columns are written: row `(c, i, j)`, column `(oh, ow)` holds
/// `x[c, oh·stride − padding + i, ow·stride − padding + j]`, 0 in the padding.
void nerva_im2col(const NervaConvShape *shape, const float *x, float *columns, int64_t row_stride);
/// The adjoint of `nerva_im2col`: overwrites image `x` with the sum of the column entries that
/// `nerva_im2col` would have read from each pixel.
void nerva_col2im(const NervaConvShape *shape, const float *columns, int64_t row_stride, float *x);

/// `nerva_im2col` for an image stored channels last (`[height, width, in_channels]`), writing the
/// transposed, channels-last column matrix `[out_h·out_w, kernel_h·kernel_w·in_channels]`: row
/// `(oh, ow)`, column `(i, j, c)` holds `x[oh·stride − padding + i, ow·stride − padding + j, c]`.
/// Each tap is `in_channels` contiguous floats, so many channels make long copies.
void nerva_im2col_channels_last(const NervaConvShape *shape, const float *x, float *columns);
/// The adjoint of `nerva_im2col_channels_last`: overwrites `x` (`[height, width, in_channels]`).
void nerva_col2im_channels_last(const NervaConvShape *shape, const float *columns, float *x);
/// `out[j, i] = x[i, j]`: `out` (`columns × rows`) is the transpose of the row-major `rows × columns` `x`.
void nerva_transpose(const float *x, float *out, int64_t rows, int64_t columns);

// MARK: - Element-wise kernels (contiguous buffers; `out` may alias an input only where noted)

void nerva_add(const float *a, const float *b, float *out, int64_t n);
void nerva_subtract(const float *a, const float *b, float *out, int64_t n);
void nerva_multiply(const float *a, const float *b, float *out, int64_t n);
void nerva_divide(const float *a, const float *b, float *out, int64_t n);
/// `out = x · scale + shift`.
void nerva_scale_shift(const float *x, float scale, float shift, float *out, int64_t n);
/// `x += y`.
void nerva_add_in_place(float *x, const float *y, int64_t n);
/// `out[r, c] = row[c]`.
void nerva_fill_rows(const float *row, float *out, int64_t rows, int64_t columns);
void nerva_relu(const float *x, float *out, int64_t n);
/// `out = x > 0 ? g : 0`.
void nerva_relu_backward(const float *g, const float *x, float *out, int64_t n);
void nerva_leaky_relu(const float *x, float slope, float *out, int64_t n);
void nerva_leaky_relu_backward(const float *g, const float *x, float slope, float *out, int64_t n);
void nerva_exp(const float *x, float *out, int64_t n);
void nerva_sigmoid(const float *x, float *out, int64_t n);
/// `out = g · y · (1 − y)` for the sigmoid's output `y`.
void nerva_sigmoid_backward(const float *g, const float *y, float *out, int64_t n);
void nerva_tanh(const float *x, float *out, int64_t n);
/// `out = g · (1 − y²)` for tanh's output `y`.
void nerva_tanh_backward(const float *g, const float *y, float *out, int64_t n);

// MARK: - Reductions

/// The sum of `n` contiguous values (16 partial sums; a fixed order per ISA).
float nerva_sum(const float *x, int64_t n);

// MARK: - Batch normalisation (`x` is `[n, channels, spatial]`; each call handles channels `first..<last`)

/// The mean and the biased variance of each channel over `n` and `spatial` (two passes).
void nerva_channel_statistics(const float *x, int64_t n, int64_t channels, int64_t spatial, int64_t first, int64_t last,
                              float *mean, float *variance);
/// Per channel: `sums[c] = Σ g`, `weighted[c] = Σ g · (x − mean[c])`.
void nerva_channel_gradient_sums(const float *g, const float *x, const float *mean, int64_t n, int64_t channels,
                                 int64_t spatial, int64_t first, int64_t last, float *sums, float *weighted);
/// `out = g · a[c] + x · b[c] + d[c]`; without the first term when `g` is NULL (`a` is then unused).
void nerva_channel_affine(const float *g, const float *x, const float *a, const float *b, const float *d, int64_t n,
                          int64_t channels, int64_t spatial, int64_t first, int64_t last, float *out);

// MARK: - Optimiser updates

/// One Adam/AdamW step, in place on `p`, `m`, `v` (see Elementwise.c): on `count · width` dense
/// values when `rows` is NULL, else on rows `rows[i]` (of `width` values) with gradient row `i`.
void nerva_adam_step(float *p, const float *g, float *m, float *v, const int64_t *rows, int64_t count, int64_t width,
                     float beta1, float beta2, float epsilon, float step_size, float correction2_root, float decay,
                     float l2);

#ifdef __cplusplus
}
#endif

#endif
