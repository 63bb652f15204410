/// Hands the memory a long phase freed back to the system (glibc's `malloc_trim`), so that the
/// next phase's peak does not stack on top of it: a catch-up's row caches before an ingest's
/// recording, say. A no-op where the allocator returns memory by itself.
public func returnFreedMemory() {
    #if canImport(Glibc)
    _ = glibcMallocTrim(0)
    #endif
}

#if canImport(Glibc)
/// `malloc_trim(3)`, declared in `<malloc.h>`, which the Glibc module does not import.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
