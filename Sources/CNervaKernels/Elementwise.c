// Element-wise kernels, reductions and optimiser updates, compiled three times (AVX-512, AVX2 + FMA,
// baseline) from one body by `NERVA_KERNEL`; `nerva_isa()` picks one at run time.
#include "Internal.h"

#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// MARK: - Binary and unary maps

NERVA_KERNEL(nerva_add, (const float *restrict a, const float *restrict b, float *restrict out, int64_t n),
             (a, b, out, n), { for (int64_t i = 0; i < n; i++) out[i] = a[i] + b[i]; })

NERVA_KERNEL(nerva_subtract, (const float *restrict a, const float *restrict b, float *restrict out, int64_t n),
             (a, b, out, n), { for (int64_t i = 0; i < n; i++) out[i] = a[i] - b[i]; })

NERVA_KERNEL(nerva_multiply, (const float *restrict a, const float *restrict b, float *restrict out, int64_t n),
             (a, b, out, n), { for (int64_t i = 0; i < n; i++) out[i] = a[i] * b[i]; })

NERVA_KERNEL(nerva_divide, (const float *restrict a, const float *restrict b, float *restrict out, int64_t n),
             (a, b, out, n), { for (int64_t i = 0; i < n; i++) out[i] = a[i] / b[i]; })

NERVA_KERNEL(nerva_scale_shift, (const float *restrict x, float scale, float shift, float *restrict out, int64_t n),
             (x, scale, shift, out, n), { for (int64_t i = 0; i < n; i++) out[i] = x[i] * scale + shift; })

NERVA_KERNEL(nerva_add_in_place, (float *restrict x, const float *restrict y, int64_t n), (x, y, n),
             { for (int64_t i = 0; i < n; i++) x[i] += y[i]; })

NERVA_KERNEL(nerva_fill_rows, (const float *restrict row, float *restrict out, int64_t rows, int64_t columns),
             (row, out, rows, columns), {
                 for (int64_t r = 0; r < rows; r++)
                     for (int64_t c = 0; c < columns; c++) out[r * columns + c] = row[c];
             })

// MARK: - Activations

NERVA_KERNEL(nerva_relu, (const float *restrict x, float *restrict out, int64_t n), (x, out, n),
             { for (int64_t i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : 0; })

NERVA_KERNEL(nerva_relu_backward, (const float *restrict g, const float *restrict x, float *restrict out, int64_t n),
             (g, x, out, n), { for (int64_t i = 0; i < n; i++) out[i] = x[i] > 0 ? g[i] : 0; })

NERVA_KERNEL(nerva_leaky_relu, (const float *restrict x, float slope, float *restrict out, int64_t n),
             (x, slope, out, n), { for (int64_t i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : x[i] * slope; })

NERVA_KERNEL(nerva_leaky_relu_backward, (const float *restrict g, const float *restrict x, float slope,
                                         float *restrict out, int64_t n),
             (g, x, slope, out, n), { for (int64_t i = 0; i < n; i++) out[i] = x[i] > 0 ? g[i] : g[i] * slope; })

/// `eˣ` without libm, so that loops of it vectorise: Cephes' `expf` (range reduction by ln 2, a
/// degree-6 polynomial), the same algorithm as VectorMath.exp on the Swift side.
static inline __attribute__((always_inline)) float vector_exp(float input) {
    float x = fminf(fmaxf(input, -87.33654f), 88.72283f);
    float shifted = x * 1.44269504f + 12582912.0f;
    float n = shifted - 12582912.0f;
    union { float f; int32_t i; uint32_t u; } bits = {.f = shifted};
    int32_t integer = bits.i - 0x4B400000;
    float r = x - n * 0.693359375f + n * 2.1219444e-4f;
    float p = 1.98756915e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1;
    int32_t half = integer >> 1;
    union { uint32_t u; float f; } s1 = {.u = (uint32_t)(half + 127) << 23}, s2 = {.u = (uint32_t)(integer - half + 127) << 23};
    float value = y * s1.f * s2.f;
    return input < -87.33654f ? 0 : (input > 88.72283f ? INFINITY : (input != input ? input : value));
}

NERVA_KERNEL(nerva_exp, (const float *restrict x, float *restrict out, int64_t n), (x, out, n),
             { for (int64_t i = 0; i < n; i++) out[i] = vector_exp(x[i]); })

NERVA_KERNEL(nerva_sigmoid, (const float *restrict x, float *restrict out, int64_t n), (x, out, n),
             { for (int64_t i = 0; i < n; i++) out[i] = 1 / (1 + vector_exp(-x[i])); })

/// `g · y · (1 − y)`, the sigmoid's pullback from its output `y`.
NERVA_KERNEL(nerva_sigmoid_backward, (const float *restrict g, const float *restrict y, float *restrict out, int64_t n),
             (g, y, out, n), { for (int64_t i = 0; i < n; i++) out[i] = g[i] * y[i] * (1 - y[i]); })

/// Cephes' `tanhf`: an odd polynomial for |x| < 0.625, `1 − 2 / (e²ˣ + 1)` beyond (both computed,
/// one selected, so the loop vectorises); saturates exactly at ±1.
NERVA_KERNEL(nerva_tanh, (const float *restrict x, float *restrict out, int64_t n), (x, out, n), {
    for (int64_t i = 0; i < n; i++) {
        float value = x[i];
        float magnitude = fabsf(value);
        float z = value * value;
        float p = -5.70498872745e-3f;
        p = p * z + 2.06390887954e-2f;
        p = p * z - 5.37397155531e-2f;
        p = p * z + 1.33314422036e-1f;
        p = p * z - 3.33332819422e-1f;
        float small = value + value * z * p;
        float large = 1 - 2 / (vector_exp(2 * magnitude) + 1);
        large = value < 0 ? -large : large;
        out[i] = magnitude < 0.625f ? small : large;
    }
})

/// `g · (1 − y²)`, tanh's pullback from its output `y`.
NERVA_KERNEL(nerva_tanh_backward, (const float *restrict g, const float *restrict y, float *restrict out, int64_t n),
             (g, y, out, n), { for (int64_t i = 0; i < n; i++) out[i] = g[i] * (1 - y[i] * y[i]); })

// MARK: - Reductions

/// The sum of `n` values in 16 interleaved partial sums, added pairwise at the end (the order is
/// fixed, so the result depends only on the ISA).
#define SUM_BODY                                                                                   \
    {                                                                                              \
        float partial[16] = {0};                                                                   \
        int64_t i = 0;                                                                             \
        for (; i + 16 <= n; i += 16)                                                               \
            for (int j = 0; j < 16; j++) partial[j] += x[i + j];                                   \
        for (int width = 8; width > 0; width /= 2)                                                 \
            for (int j = 0; j < width; j++) partial[j] += partial[j + width];                      \
        float total = partial[0];                                                                  \
        for (; i < n; i++) total += x[i];                                                          \
        *out = total;                                                                              \
    }
NERVA_KERNEL(nerva_sum_into, (const float *restrict x, int64_t n, float *restrict out), (x, n, out), SUM_BODY)

float nerva_sum(const float *x, int64_t n) {
    float total;
    nerva_sum_into(x, n, &total);
    return total;
}

// MARK: - Optimiser updates

/// One Adam step (Kingma & Ba 2015, PyTorch's formulation) on `n` parameters:
/// `p ← p·decay`, `d = g + l2·p`, `m ← m + (1−β₁)(d − m)`, `v ← β₂v + (1−β₂)d²`,
/// `p ← p − stepSize · m / (√v / correction2Root + ε)`.
NERVA_KERNEL(nerva_adam_step_unflushed, (float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                               int64_t n, float beta1, float beta2, float epsilon, float step_size,
                               float correction2_root, float decay, float l2),
             (p, g, m, v, n, beta1, beta2, epsilon, step_size, correction2_root, decay, l2), {
                 const float inverse_root = 1 / correction2_root;
                 for (int64_t i = 0; i < n; i++) {
                     float weight = p[i] * decay;
                     float d = g[i] + l2 * weight;
                     float first = m[i] + (1 - beta1) * (d - m[i]);
                     float second = v[i] * beta2 + (1 - beta2) * d * d;
                     m[i] = first;
                     v[i] = second;
                     p[i] = weight - step_size * (first / (__builtin_elementwise_sqrt(second) * inverse_root + epsilon));
                 }
             })

/// Moments of parameters whose gradient stays 0 (dead units) decay geometrically into subnormal
/// numbers, on which x86 arithmetic is ~100× slower: the update runs with subnormals flushed to
/// zero (FTZ/DAZ), which changes nothing else (a subnormal moment is 0 to within 1e-38).
/// With `rows`, `g` holds `count` rows of `width` values for the rows `rows[i]` of `p`, `m`, `v`
/// (a row-sparse embedding gradient); without, `count · width` dense values.
void nerva_adam_step(float *p, const float *g, float *m, float *v, const int64_t *rows, int64_t count, int64_t width,
                     float beta1, float beta2, float epsilon, float step_size, float correction2_root, float decay,
                     float l2) {
#if defined(__x86_64__)
    unsigned int saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8040);  // FTZ (bit 15) and DAZ (bit 6)
#endif
    if (!rows) {
        nerva_adam_step_unflushed(p, g, m, v, count * width, beta1, beta2, epsilon, step_size, correction2_root,
                                  decay, l2);
    } else {
        for (int64_t i = 0; i < count; i++) {
            int64_t offset = rows[i] * width;
            nerva_adam_step_unflushed(p + offset, g + i * width, m + offset, v + offset, width, beta1, beta2, epsilon,
                                      step_size, correction2_root, decay, l2);
        }
    }
#if defined(__x86_64__)
    _mm_setcsr(saved);
#endif
}
