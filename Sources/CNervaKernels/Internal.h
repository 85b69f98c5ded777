// Shared by the kernel files; not part of the module's interface.
#ifndef NERVA_INTERNAL_H
#define NERVA_INTERNAL_H

#include "NervaKernels.h"

#if __has_include(<oneapi/dnnl/dnnl.h>)
#define NERVA_HAS_DNNL 1
#include <oneapi/dnnl/dnnl.h>
#else
#define NERVA_HAS_DNNL 0
#endif

/// The chosen `NervaISA`, read by every kernel's dispatch (set once by `nerva_ensure_initialized`).
extern int nerva_isa_level;

/// Decides the instruction set, once; every public entry point that dispatches calls it first.
void nerva_ensure_initialized(void);

/// Caps the backend's own kernels at `isa` when `capped` (NERVA_ISA below the CPU's best).
void nerva_backend_configure(NervaISA isa, int capped);

/// Defines `name(params)` three times, for AVX-512, AVX2 + FMA and baseline, from one body, and a
/// dispatcher that calls the variant `nerva_isa()` chose. `body` is a block using the parameters;
/// `args` forwards them.
#if defined(__x86_64__)
#define NERVA_KERNEL(name, params, args, body)                                                     \
    static inline __attribute__((always_inline)) void name##_body params body                     \
    __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))                         \
    static void name##_avx512 params { name##_body args; }                                         \
    __attribute__((target("avx2,fma"))) static void name##_avx2 params { name##_body args; }      \
    static void name##_baseline params { name##_body args; }                                       \
    void name params {                                                                             \
        if (__builtin_expect(nerva_isa_level < 0, 0)) nerva_ensure_initialized();                  \
        switch (nerva_isa_level) {                                                                 \
        case NervaISAAVX512: name##_avx512 args; break;                                            \
        case NervaISAAVX2: name##_avx2 args; break;                                                \
        default: name##_baseline args; break;                                                      \
        }                                                                                          \
    }
#else
#define NERVA_KERNEL(name, params, args, body) void name params body
#endif

#endif
