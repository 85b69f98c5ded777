// Matrix products on oneDNN's `dnnl_sgemm`, with as many threads as the caller grants (see
// ThreadBudget.swift): one, usually, or all of them for very large products while Nerva's own
// worker pool is reserved, so that OpenMP's threads and Nerva's never compete.
#include "Internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if NERVA_HAS_DNNL
// libgomp's interface (omp.h is GCC's private header, outside clang's search path).
extern void omp_set_num_threads(int);
extern int omp_get_max_threads(void);

static char backend_version[32] = "";
static char backend_isa[48] = "";

static const char *isa_name(dnnl_cpu_isa_t isa) {
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_all: return "all";
    default: return "other";
    }
}

void nerva_backend_configure(NervaISA isa, int capped) {
    // No VTune task annotations around each call (oneDNN reads this on first use; a user's
    // setting wins).
    setenv("DNNL_ITT_TASK_LEVEL", "0", 0);
    if (capped) dnnl_set_max_cpu_isa(isa == NervaISAAVX2 ? dnnl_cpu_isa_avx2 : isa == NervaISAAVX512
                                         ? dnnl_cpu_isa_avx512_core : dnnl_cpu_isa_sse41);
    const dnnl_version_t *version = dnnl_version();
    snprintf(backend_version, sizeof backend_version, "%d.%d.%d", version->major, version->minor, version->patch);
    snprintf(backend_isa, sizeof backend_isa, "%s", isa_name(dnnl_get_effective_cpu_isa()));
}

const char *nerva_backend_version(void) { nerva_ensure_initialized(); return backend_version; }
const char *nerva_backend_isa(void) { nerva_ensure_initialized(); return backend_isa; }

/// Keeps oneDNN on the calling thread: OpenMP's thread count is a per-thread setting.
static inline void use_one_thread(void) {
    static __thread int configured = 0;
    if (!configured) {
        omp_set_num_threads(1);
        configured = 1;
    }
}

int nerva_sgemm(int transpose_a, int transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                int threads) {
    nerva_ensure_initialized();
    use_one_thread();
    if (threads > 1) omp_set_num_threads(threads);
    int status = (int)dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb,
                                 beta, c, ldc);
    if (threads > 1) omp_set_num_threads(1);
    return status;
}

int nerva_backend_sgemm_direct(int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c) {
    nerva_ensure_initialized();
    extern int omp_get_num_procs(void);
    omp_set_num_threads(omp_get_num_procs());
    int status = (int)dnnl_sgemm('N', 'N', m, n, k, 1, a, k, b, n, 0, c, n);
    omp_set_num_threads(1);
    return status;
}

#else
// Without oneDNN (macOS builds): Accelerate's BLAS.
#if !defined(__APPLE__)
#error "Nerva's compute backend needs oneDNN's headers: apt-get install libdnnl-dev (scripts/install-dependencies)"
#endif
#include <Accelerate/Accelerate.h>

void nerva_backend_configure(NervaISA isa, int capped) { (void)isa; (void)capped; }
const char *nerva_backend_version(void) { return ""; }
const char *nerva_backend_isa(void) { return ""; }

int nerva_sgemm(int transpose_a, int transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                int threads) {
    (void)threads;
    cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
                (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
    return 0;
}

int nerva_backend_sgemm_direct(int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c) {
    return nerva_sgemm(0, 0, m, n, k, 1, a, k, b, n, 0, c, n, 1);
}
#endif
