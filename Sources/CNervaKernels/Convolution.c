// Convolutions on oneDNN's primitives (JIT kernels chosen from the CPU's features), on plain
// NCHW / OIHW buffers. Each primitive is created once per shape and kind, and kept.
#include "Internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if NERVA_HAS_DNNL
extern void omp_set_num_threads(int);

enum { kind_forward, kind_forward_bias, kind_backward_data, kind_backward_weights, kind_backward_weights_bias };

typedef struct {
    int kind;
    NervaConvShape shape;
} conv_key;

/// One argument of a primitive: the caller's plain layout, the layout the primitive chose (a
/// blocked one such as nChw16c, which its JIT kernels need), and the reorder between them.
typedef struct {
    int argument;
    int is_output;
    dnnl_memory_desc_t user, inner;
    dnnl_primitive_t reorder;   // NULL when the layouts agree
} conv_argument;

typedef struct {
    conv_key key;
    dnnl_primitive_t primitive;
    int count;
    conv_argument arguments[4];
} conv_entry;

enum { cache_capacity = 128 };
static conv_entry cache[cache_capacity];
static int cache_count = 0;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static dnnl_engine_t engine = NULL;

static void describe(dnnl_memory_desc_t *md, int64_t a, int64_t b, int64_t c, int64_t d, dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {a, b, c, d};
    dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, tag);
}

/// Records argument `index`: the user's layout `user`, the primitive's from `query`, and a reorder.
static dnnl_status_t bind(conv_entry *entry, const_dnnl_primitive_desc_t pd, int argument, int is_output,
                          const dnnl_memory_desc_t *user, dnnl_query_t query, int query_index) {
    conv_argument *slot = &entry->arguments[entry->count++];
    slot->argument = argument;
    slot->is_output = is_output;
    slot->user = *user;
    const dnnl_memory_desc_t *chosen = dnnl_primitive_desc_query_md(pd, query, query_index);
    slot->inner = chosen ? *chosen : *user;
    slot->reorder = NULL;
    if (dnnl_memory_desc_equal(&slot->user, &slot->inner)) return dnnl_success;
    dnnl_primitive_desc_t reorder_pd;
    dnnl_status_t status = is_output
        ? dnnl_reorder_primitive_desc_create(&reorder_pd, &slot->inner, engine, &slot->user, engine, NULL)
        : dnnl_reorder_primitive_desc_create(&reorder_pd, &slot->user, engine, &slot->inner, engine, NULL);
    if (status != dnnl_success) return status;
    status = dnnl_primitive_create(&slot->reorder, reorder_pd);
    dnnl_primitive_desc_destroy(reorder_pd);
    return status;
}

static void destroy(conv_entry *entry) {
    if (entry->primitive) dnnl_primitive_destroy(entry->primitive);
    for (int i = 0; i < entry->count; i++)
        if (entry->arguments[i].reorder) dnnl_primitive_destroy(entry->arguments[i].reorder);
}

static dnnl_status_t create(conv_entry *entry) {
    const NervaConvShape *s = &entry->key.shape;
    dnnl_memory_desc_t src, weights, dst, bias, any_src, any_weights, any_dst;
    describe(&src, s->batch, s->in_channels, s->height, s->width, dnnl_nchw);
    describe(&weights, s->out_channels, s->in_channels, s->kernel_h, s->kernel_w, dnnl_oihw);
    describe(&dst, s->batch, s->out_channels, s->out_h, s->out_w, dnnl_nchw);
    describe(&any_src, s->batch, s->in_channels, s->height, s->width, dnnl_format_tag_any);
    describe(&any_weights, s->out_channels, s->in_channels, s->kernel_h, s->kernel_w, dnnl_format_tag_any);
    describe(&any_dst, s->batch, s->out_channels, s->out_h, s->out_w, dnnl_format_tag_any);
    dnnl_dims_t bias_dims = {s->out_channels};
    dnnl_memory_desc_init_by_tag(&bias, 1, bias_dims, dnnl_f32, dnnl_x);
    dnnl_dims_t strides = {s->stride, s->stride};
    dnnl_dims_t padding_l = {s->padding, s->padding};
    // The right/bottom padding that makes oneDNN's output size equal the floor formula's.
    dnnl_dims_t padding_r = {(s->out_h - 1) * s->stride + s->kernel_h - s->height - s->padding,
                             (s->out_w - 1) * s->stride + s->kernel_w - s->width - s->padding};
    int kind = entry->key.kind;
    int with_bias = kind == kind_forward_bias || kind == kind_backward_weights_bias;

    dnnl_convolution_desc_t forward;
    dnnl_status_t status = dnnl_convolution_forward_desc_init(
        &forward, dnnl_forward_training, dnnl_convolution_direct, &any_src, &any_weights, with_bias ? &bias : NULL,
        &any_dst, strides, padding_l, padding_r);
    if (status != dnnl_success) return status;
    dnnl_primitive_desc_t forward_pd = NULL, pd = NULL;
    status = dnnl_primitive_desc_create(&forward_pd, &forward, NULL, engine, NULL);
    if (status != dnnl_success) return status;
    if (kind == kind_forward || kind == kind_forward_bias) {
        pd = forward_pd;
        forward_pd = NULL;
        status = bind(entry, pd, DNNL_ARG_SRC, 0, &src, dnnl_query_src_md, 0);
        if (!status) status = bind(entry, pd, DNNL_ARG_WEIGHTS, 0, &weights, dnnl_query_weights_md, 0);
        if (!status) status = bind(entry, pd, DNNL_ARG_DST, 1, &dst, dnnl_query_dst_md, 0);
        if (!status && with_bias) status = bind(entry, pd, DNNL_ARG_BIAS, 0, &bias, dnnl_query_weights_md, 1);
    } else if (kind == kind_backward_data) {
        dnnl_convolution_desc_t backward;
        status = dnnl_convolution_backward_data_desc_init(&backward, dnnl_convolution_direct, &any_src, &any_weights,
                                                          &any_dst, strides, padding_l, padding_r);
        if (!status) status = dnnl_primitive_desc_create(&pd, &backward, NULL, engine, forward_pd);
        if (!status) status = bind(entry, pd, DNNL_ARG_DIFF_DST, 0, &dst, dnnl_query_diff_dst_md, 0);
        if (!status) status = bind(entry, pd, DNNL_ARG_WEIGHTS, 0, &weights, dnnl_query_weights_md, 0);
        if (!status) status = bind(entry, pd, DNNL_ARG_DIFF_SRC, 1, &src, dnnl_query_diff_src_md, 0);
    } else {
        dnnl_convolution_desc_t backward;
        status = dnnl_convolution_backward_weights_desc_init(&backward, dnnl_convolution_direct, &any_src,
                                                             &any_weights, with_bias ? &bias : NULL, &any_dst,
                                                             strides, padding_l, padding_r);
        if (!status) status = dnnl_primitive_desc_create(&pd, &backward, NULL, engine, forward_pd);
        if (!status) status = bind(entry, pd, DNNL_ARG_SRC, 0, &src, dnnl_query_src_md, 0);
        if (!status) status = bind(entry, pd, DNNL_ARG_DIFF_DST, 0, &dst, dnnl_query_diff_dst_md, 0);
        if (!status) status = bind(entry, pd, DNNL_ARG_DIFF_WEIGHTS, 1, &weights, dnnl_query_diff_weights_md, 0);
        if (!status && with_bias) status = bind(entry, pd, DNNL_ARG_DIFF_BIAS, 1, &bias, dnnl_query_diff_weights_md, 1);
    }
    if (forward_pd) dnnl_primitive_desc_destroy(forward_pd);
    if (!status) status = dnnl_primitive_create(&entry->primitive, pd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (status) destroy(entry);
    return status;
}

/// The cached primitive for `kind` and `shape`, created on first use; NULL if oneDNN refuses it.
static conv_entry *lookup(int kind, const NervaConvShape *shape) {
    conv_key key;
    memset(&key, 0, sizeof key);
    key.kind = kind;
    key.shape = *shape;
    pthread_mutex_lock(&cache_lock);
    conv_entry *found = NULL;
    for (int i = 0; i < cache_count && !found; i++)
        if (memcmp(&cache[i].key, &key, sizeof key) == 0) found = &cache[i];
    if (!found && (engine || dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success)) {
        // A full cache starts over: shapes change rarely, and primitives are cheap to remake.
        if (cache_count == cache_capacity) {
            for (int i = 0; i < cache_count; i++) destroy(&cache[i]);
            cache_count = 0;
        }
        conv_entry *entry = &cache[cache_count];
        memset(entry, 0, sizeof *entry);
        entry->key = key;
        if (create(entry) == dnnl_success) {
            cache_count += 1;
            found = entry;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return found;
}

/// Per-thread buffers for arguments in the primitive's layout, grown as needed and kept.
static void *scratch(int slot, size_t bytes) {
    static __thread void *buffers[4];
    static __thread size_t sizes[4];
    if (sizes[slot] < bytes) {
        free(buffers[slot]);
        buffers[slot] = NULL;
        if (posix_memalign(&buffers[slot], 64, bytes) != 0) buffers[slot] = NULL;
        sizes[slot] = buffers[slot] ? bytes : 0;
    }
    return buffers[slot];
}

/// Runs `entry` on the caller's plain buffers (`data[i]` for argument `i`), reordering inputs into
/// the primitive's layout before and outputs back after, with `threads` OpenMP threads.
static int execute(conv_entry *entry, void *const *data, int threads) {
    static __thread dnnl_stream_t stream = NULL;
    if (!stream && dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) return -1;
    dnnl_memory_t user[4] = {0}, inner[4] = {0};
    dnnl_exec_arg_t arguments[4];
    dnnl_status_t status = dnnl_success;
    omp_set_num_threads(threads > 0 ? threads : 1);
    for (int i = 0; i < entry->count && !status; i++) {
        conv_argument *slot = &entry->arguments[i];
        status = dnnl_memory_create(&user[i], &slot->user, engine, data[i]);
        if (status) break;
        if (slot->reorder) {
            void *buffer = scratch(i, dnnl_memory_desc_get_size(&slot->inner));
            status = buffer ? dnnl_memory_create(&inner[i], &slot->inner, engine, buffer) : dnnl_out_of_memory;
            if (!status && !slot->is_output) {
                dnnl_exec_arg_t reorder[] = {{DNNL_ARG_FROM, user[i]}, {DNNL_ARG_TO, inner[i]}};
                status = dnnl_primitive_execute(slot->reorder, stream, 2, reorder);
            }
        }
        arguments[i].arg = slot->argument;
        arguments[i].memory = inner[i] ? inner[i] : user[i];
    }
    if (!status) status = dnnl_primitive_execute(entry->primitive, stream, entry->count, arguments);
    for (int i = 0; i < entry->count && !status; i++) {
        conv_argument *slot = &entry->arguments[i];
        if (!slot->reorder || !slot->is_output) continue;
        dnnl_exec_arg_t reorder[] = {{DNNL_ARG_FROM, inner[i]}, {DNNL_ARG_TO, user[i]}};
        status = dnnl_primitive_execute(slot->reorder, stream, 2, reorder);
    }
    if (!status) status = dnnl_stream_wait(stream);
    omp_set_num_threads(1);
    for (int i = 0; i < 4; i++) {
        if (user[i]) dnnl_memory_destroy(user[i]);
        if (inner[i]) dnnl_memory_destroy(inner[i]);
    }
    return status == dnnl_success ? 0 : (int)status;
}

int nerva_conv_forward(const NervaConvShape *shape, const float *x, const float *weight, const float *bias, float *y,
                       int threads) {
    nerva_ensure_initialized();
    conv_entry *entry = lookup(bias ? kind_forward_bias : kind_forward, shape);
    if (!entry) return -1;
    void *data[] = {(void *)x, (void *)weight, y, (void *)bias};
    return execute(entry, data, threads);
}

int nerva_conv_backward_data(const NervaConvShape *shape, const float *gy, const float *weight, float *gx,
                             int threads) {
    nerva_ensure_initialized();
    conv_entry *entry = lookup(kind_backward_data, shape);
    if (!entry) return -1;
    void *data[] = {(void *)gy, (void *)weight, gx};
    return execute(entry, data, threads);
}

int nerva_conv_backward_weights(const NervaConvShape *shape, const float *x, const float *gy, float *gw,
                                float *gbias, int threads) {
    nerva_ensure_initialized();
    conv_entry *entry = lookup(gbias ? kind_backward_weights_bias : kind_backward_weights, shape);
    if (!entry) return -1;
    void *data[] = {(void *)x, (void *)gy, gw, gbias};
    return execute(entry, data, threads);
}

#else
int nerva_conv_forward(const NervaConvShape *shape, const float *x, const float *weight, const float *bias, float *y,
                       int threads) { return -1; }
int nerva_conv_backward_data(const NervaConvShape *shape, const float *gy, const float *weight, float *gx,
                             int threads) { return -1; }
int nerva_conv_backward_weights(const NervaConvShape *shape, const float *x, const float *gy, float *gw,
                                float *gbias, int threads) { return -1; }
#endif
