#include <stddef.h>
#include <stdint.h>
#include "RemedyFuzzDriver.h"

#ifdef FUZZING
// libFuzzer's driver, for a program whose main is its own (SwiftPM renames an executable's
// entry point, so libFuzzer's main is not the one that runs).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int remedy_fuzz_run(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
#else
int remedy_fuzz_run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return 64;
}
#endif
