#include "CKernels.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

/* XGETBV needs the XSAVE target for the intrinsic; it is executed only when OSXSAVE is set. */
__attribute__((target("xsave")))
static unsigned long long read_xcr0(void) {
    return _xgetbv(0);
}

void membrane_cpuid_read(membrane_cpuid *out) {
    unsigned int eax, ebx, ecx, edx;
    *out = (membrane_cpuid){0};
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return;
    out->leaf1_ecx = ecx;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        unsigned int last_subleaf = eax;
        out->leaf7_ebx = ebx;
        out->leaf7_edx = edx;
        if (last_subleaf >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) out->leaf7_1_eax = eax;
    }
    if (out->leaf1_ecx & (1u << 27)) out->xcr0 = read_xcr0();
}

#else

void membrane_cpuid_read(membrane_cpuid *out) {
    *out = (membrane_cpuid){0};
}

#endif
