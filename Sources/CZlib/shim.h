#ifndef REMEDY_CZLIB_SHIM_H
#define REMEDY_CZLIB_SHIM_H
#include <zlib.h>

/// deflateInit2 and inflateInit2 are macros, which Swift cannot call: one wrapper each.
static inline int remedy_deflate_init_raw(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

/// Inflates a gzip stream (RFC 1952): 15 window bits + 16.
static inline int remedy_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}

/// Inflates raw deflate data (RFC 1951), as ZIP members hold it: -15 window bits.
static inline int remedy_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -15);
}

#endif
