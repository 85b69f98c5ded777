#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry point for a program with its own `main`: runs the fuzzer with the command
/// line in `argc`/`argv`, calling `callback` once per input.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
