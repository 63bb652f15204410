#!/bin/sh
# Builds the static remedy binary CI runners download instead of building Swift, and packages
# it as remedy-VERSION-linux-x86_64.tar.gz (with README.md), beside its SHA-256.
#
#   Tools/release/make-release.sh [OUTDIR]        # default OUTDIR: ./release
#
# The binary links everything statically (Swift's runtime, SQLite, zlib, BoringSSL), so it runs
# on any x86_64 Linux without Swift or shared libraries installed.
set -eu
cd "$(dirname "$0")/../.."
out=${1:-release}
arch=$(uname -m)
scratch=${REMEDY_BUILD_SCRATCH:-.build-release}   # another build folder to reuse, if any
swift build -c release --static-swift-stdlib -Xswiftc -static-executable --scratch-path "$scratch" --product remedy
binary="$scratch/release/remedy"
version=$("$binary" --version)
name="remedy-$version-linux-$arch"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$out"
strip -o "$stage/$name/remedy" "$binary"
cp README.md "$stage/$name/"
# Deterministic: fixed order, owner and times, so the same build packages to the same bytes.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2026-01-01 00:00Z' -C "$stage" -cf - "$name" | gzip -9n > "$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
"$stage/$name/remedy" --version >/dev/null   # the stripped binary still runs
echo "$out/$name.tar.gz"
