#ifndef REMEDY_FUZZ_DRIVER_H
#define REMEDY_FUZZ_DRIVER_H

/// Runs libFuzzer on the process's arguments, calling LLVMFuzzerTestOneInput for each input.
/// Built with -DFUZZING only (Tools/fuzz/run-fuzzers.sh); otherwise it returns 64.
int remedy_fuzz_run(int argc, char **argv);

#endif
