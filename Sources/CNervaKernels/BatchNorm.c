// Batch normalisation of `[n, channels, spatial]` tensors (`spatial` is 1 for `[n, channels]`),
// channels `first..<last` per call, so callers split channels across threads. Compiled three
// times by `NERVA_KERNEL`. Each pass reads a channel's planes (`spatial` contiguous floats per
// image); with `spatial == 1` a pass reads whole rows instead, so loops still run over contiguous
// memory. Sums of a plane are taken in float (16 partial sums), the planes' sums added in double.
#include "Internal.h"

/// Adds the 16 lanes of `partial` pairwise (a fixed order, as `nerva_sum`).
static inline __attribute__((always_inline)) float lanes_total(float partial[16]) {
    for (int width = 8; width > 0; width /= 2)
        for (int j = 0; j < width; j++) partial[j] += partial[j + width];
    return partial[0];
}

/// `Σ (x − center)ᵖ` for `p` 1 or 2, in 16 interleaved partial sums so that the loop vectorises.
static inline __attribute__((always_inline)) float plane_moment(const float *restrict x, float center, int squared,
                                                                int64_t count) {
    float partial[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= count; i += 16)
        for (int j = 0; j < 16; j++) {
            const float d = x[i + j] - center;
            partial[j] += squared ? d * d : d;
        }
    float total = lanes_total(partial);
    for (; i < count; i++) total += squared ? (x[i] - center) * (x[i] - center) : x[i] - center;
    return total;
}

static inline __attribute__((always_inline)) void statistics(const float *restrict x, int64_t n, int64_t channels,
                                                             int64_t spatial, int64_t first, int64_t last,
                                                             float *restrict mean, float *restrict variance) {
    const double count = (double)(n * spatial);
    if (spatial == 1) {
        for (int64_t c = first; c < last; c++) mean[c] = variance[c] = 0;
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = first; c < last; c++) mean[c] += x[i * channels + c];
        for (int64_t c = first; c < last; c++) mean[c] = (float)(mean[c] / count);
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = first; c < last; c++) {
                float d = x[i * channels + c] - mean[c];
                variance[c] += d * d;
            }
        for (int64_t c = first; c < last; c++) variance[c] = (float)(variance[c] / count);
        return;
    }
    for (int64_t c = first; c < last; c++) {
        double sum = 0;
        for (int64_t i = 0; i < n; i++) sum += plane_moment(x + (i * channels + c) * spatial, 0, 0, spatial);
        const float m = (float)(sum / count);
        double squares = 0;
        for (int64_t i = 0; i < n; i++) squares += plane_moment(x + (i * channels + c) * spatial, m, 1, spatial);
        mean[c] = m;
        variance[c] = (float)(squares / count);
    }
}

static inline __attribute__((always_inline)) void gradient_sums(const float *restrict g, const float *restrict x,
                                                                const float *restrict mean, int64_t n,
                                                                int64_t channels, int64_t spatial, int64_t first,
                                                                int64_t last, float *restrict sums,
                                                                float *restrict weighted) {
    if (spatial == 1) {
        for (int64_t c = first; c < last; c++) sums[c] = weighted[c] = 0;
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = first; c < last; c++) {
                const int64_t e = i * channels + c;
                sums[c] += g[e];
                weighted[c] += g[e] * (x[e] - mean[c]);
            }
        return;
    }
    for (int64_t c = first; c < last; c++) {
        double sum = 0, product = 0;
        const float m = mean[c];
        for (int64_t i = 0; i < n; i++) {
            const float *restrict gp = g + (i * channels + c) * spatial, *restrict xp = x + (i * channels + c) * spatial;
            float s[16] = {0}, p[16] = {0};
            int64_t j = 0;
            for (; j + 16 <= spatial; j += 16)
                for (int l = 0; l < 16; l++) {
                    s[l] += gp[j + l];
                    p[l] += gp[j + l] * (xp[j + l] - m);
                }
            float plane = lanes_total(s), weighted_plane = lanes_total(p);
            for (; j < spatial; j++) {
                plane += gp[j];
                weighted_plane += gp[j] * (xp[j] - m);
            }
            sum += plane;
            product += weighted_plane;
        }
        sums[c] = (float)sum;
        weighted[c] = (float)product;
    }
}

/// `out = g·a[c] + x·b[c] + d[c]`, or `x·b[c] + d[c]` when `g` is NULL.
static inline __attribute__((always_inline)) void channel_affine(const float *restrict g, const float *restrict x,
                                                                 const float *restrict a, const float *restrict b,
                                                                 const float *restrict d, int64_t n, int64_t channels,
                                                                 int64_t spatial, int64_t first, int64_t last,
                                                                 float *restrict out) {
    if (spatial == 1) {
        for (int64_t i = 0; i < n; i++) {
            const int64_t row = i * channels;
            if (g)
                for (int64_t c = first; c < last; c++) out[row + c] = g[row + c] * a[c] + x[row + c] * b[c] + d[c];
            else
                for (int64_t c = first; c < last; c++) out[row + c] = x[row + c] * b[c] + d[c];
        }
        return;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t c = first; c < last; c++) {
            const int64_t start = (i * channels + c) * spatial;
            const float *restrict xp = x + start;
            float *restrict op = out + start;
            const float bc = b[c], dc = d[c];
            if (g) {
                const float *restrict gp = g + start;
                const float ac = a[c];
                for (int64_t j = 0; j < spatial; j++) op[j] = gp[j] * ac + xp[j] * bc + dc;
            } else {
                for (int64_t j = 0; j < spatial; j++) op[j] = xp[j] * bc + dc;
            }
        }
}

NERVA_KERNEL(nerva_channel_statistics,
             (const float *x, int64_t n, int64_t channels, int64_t spatial, int64_t first, int64_t last, float *mean,
              float *variance),
             (x, n, channels, spatial, first, last, mean, variance),
             { statistics(x, n, channels, spatial, first, last, mean, variance); })

NERVA_KERNEL(nerva_channel_gradient_sums,
             (const float *g, const float *x, const float *mean, int64_t n, int64_t channels, int64_t spatial,
              int64_t first, int64_t last, float *sums, float *weighted),
             (g, x, mean, n, channels, spatial, first, last, sums, weighted),
             { gradient_sums(g, x, mean, n, channels, spatial, first, last, sums, weighted); })

NERVA_KERNEL(nerva_channel_affine,
             (const float *g, const float *x, const float *a, const float *b, const float *d, int64_t n,
              int64_t channels, int64_t spatial, int64_t first, int64_t last, float *out),
             (g, x, a, b, d, n, channels, spatial, first, last, out),
             { channel_affine(g, x, a, b, d, n, channels, spatial, first, last, out); })
