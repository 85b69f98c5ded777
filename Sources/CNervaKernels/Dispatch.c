// Chooses the instruction set once per process, from the CPU's feature bits and `NERVA_ISA`.
#include "NervaKernels.h"
#include "Internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int nerva_isa_level = -1;  // -1 until decided

static pthread_once_t once = PTHREAD_ONCE_INIT;
static NervaISA cpu_isa = NervaISABaseline;
static NervaISA chosen_isa = NervaISABaseline;
static char cpu_model[128] = "";

static NervaISA detect(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
        return NervaISAAVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return NervaISAAVX2;
#endif
    return NervaISABaseline;
}

static void read_cpu_model(void) {
    FILE *file = fopen("/proc/cpuinfo", "r");
    if (!file) return;
    char line[256];
    while (fgets(line, sizeof line, file)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        char *value = strchr(line, ':');
        if (!value) break;
        value += 1;
        while (*value == ' ' || *value == '\t') value++;
        snprintf(cpu_model, sizeof cpu_model, "%s", value);
        cpu_model[strcspn(cpu_model, "\n")] = 0;
        break;
    }
    fclose(file);
}

static void decide(void) {
    cpu_isa = detect();
    chosen_isa = cpu_isa;
    const char *cap = getenv("NERVA_ISA");
    if (cap && *cap) {
        NervaISA wanted = cpu_isa;
        if (strcmp(cap, "baseline") == 0) wanted = NervaISABaseline;
        else if (strcmp(cap, "avx2") == 0) wanted = NervaISAAVX2;
        else if (strcmp(cap, "avx512") == 0) wanted = NervaISAAVX512;
        else fprintf(stderr, "nerva: NERVA_ISA=%s is not one of baseline, avx2, avx512; ignored.\n", cap);
        if (wanted < chosen_isa) chosen_isa = wanted;
    }
    nerva_isa_level = chosen_isa;
    read_cpu_model();
    nerva_backend_configure(chosen_isa, chosen_isa < cpu_isa);
}

void nerva_ensure_initialized(void) { pthread_once(&once, decide); }

NervaISA nerva_isa(void) { nerva_ensure_initialized(); return chosen_isa; }
NervaISA nerva_cpu_isa(void) { nerva_ensure_initialized(); return cpu_isa; }
const char *nerva_cpu_model(void) { nerva_ensure_initialized(); return cpu_model; }

void nerva_set_mmap_threshold(size_t bytes) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, (int)bytes);
#else
    (void)bytes;
#endif
}

void nerva_release_allocator_cache(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
