// libFuzzer's entry for programs with their own main (libclang_rt.fuzzer, linked by
// -sanitize=fuzzer): parses libFuzzer's flags from argv and fuzzes `test`.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));
