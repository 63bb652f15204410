#!/bin/sh
# The fuzzing campaign: every parser of outside input under libFuzzer and AddressSanitizer.
#
#   Tools/fuzz/run-fuzzers.sh [SECONDS] [TARGET...]     # default 60 s each, every target
#
# Builds the `remedy-fuzz` product with -sanitize=fuzzer,address into .build-fuzz (a first
# build takes several minutes), seeds each target's corpus from the tests' fixtures, runs each
# target for SECONDS on one core, and prints a table: target, executions, coverage (libFuzzer's
# edges), corpus size, crashes. An input that crashed, hung or blew the memory limit is kept in
# Tools/fuzz/regressions/TARGET/; commit it: FuzzRegressionTests runs every one of them.
# Loopback only, nothing outside .build-fuzz and the work folder (printed) is written.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"report ndjson canonical note config handler bundle"}
work=${REMEDY_FUZZ_WORK:-$(mktemp -d /tmp/remedy-fuzz.XXXXXX)}
cd "$root"

echo "building remedy-fuzz with libFuzzer and AddressSanitizer (.build-fuzz)" >&2
swift build --scratch-path .build-fuzz --product remedy-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING -Xcc -DFUZZING >&2
fuzzer=.build-fuzz/debug/remedy-fuzz

# Seeds, from the fixtures the tests use.
seed() { mkdir -p "$work/corpus/$1"; }
seed report
for f in Tests/IngestTests/Fixtures/reports/* Tests/IngestTests/Fixtures/reports/bad/* Tests/IngestTests/Fixtures/generated/* Tests/IngestTests/Fixtures/eval/*; do
    [ -f "$f" ] && [ "$(wc -c < "$f")" -lt 1000000 ] && { printf '\0'; cat "$f"; } > "$work/corpus/report/$(basename "$f")"
done
seed ndjson; seed canonical
for f in Events/Catalogue/examples/*.json; do
    t=$(basename "$f" .json)
    printf '{"type":"%s","stream":"run-s-1","data":%s}\n' "$t" "$(cat "$f")" > "$work/corpus/ndjson/$t"
    cp "$f" "$work/corpus/canonical/$t.json"
done
cp Events/Catalogue/schemas/*.json "$work/corpus/canonical/" 2>/dev/null || true
seed note
python3 - "$work/corpus/note" Tests/LedgerStoreTests/Fixtures/vectors/*.json <<'PY'
import json, sys
out, n = sys.argv[1], 0
def walk(value):
    global n
    if isinstance(value, dict): [walk(v) for v in value.values()]
    elif isinstance(value, list): [walk(v) for v in value]
    elif isinstance(value, str) and ("\n" in value or "+" in value) and len(value) < 20000:
        open(f"{out}/{n}", "w").write(value); n += 1
for path in sys.argv[2:]: walk(json.load(open(path)))
PY
seed config
cp examples/loop/loop.json "$work/corpus/config/loop.json"
printf '{"rules": [{"when": {"lever": "threshold", "blast_radius": "low"}, "decision": "auto-merge"}], "default": "review"}\n' > "$work/corpus/config/policy.json"
printf 'src/forecast/**  date-normalizer\n*.py  python-style\n' > "$work/corpus/config/skills"
seed handler
printf '{"lever": "skill", "target": "date-normalizer", "confidence": 0.8, "evidence": ["x"]}' > "$work/corpus/handler/diagnose"
printf '{"fix": "fix-1", "change": "raise the threshold", "targets": ["t"], "blast_radius": "low", "reversible": true}' > "$work/corpus/handler/propose"
printf '{"reports": ["report.xml"]}' > "$work/corpus/handler/verify"
printf '{"decline": "not mine"}' > "$work/corpus/handler/decline"
seed bundle
if [ -x .build/debug/remedy ] || swift build --product remedy >&2; then
    b="$work/bundle"; mkdir -p "$b"
    .build/debug/remedy ingest --init --ledger "$b/l.db" --suite s --run 1 Tests/IngestTests/Fixtures/reports/cypress-mocha-junit-reporter.xml >/dev/null
    .build/debug/remedy key generate --ledger "$b/l.db" --out "$b/remedy.key" > "$b/verifier.txt"
    .build/debug/remedy export --ledger "$b/l.db" --out "$work/corpus/bundle/audit.tar.gz" --key "$b/remedy.key" >/dev/null
    .build/debug/remedy policy show --ledger "$b/l.db" > "$work/corpus/config/policy-default" 2>/dev/null || true
    export REMEDY_FUZZ_KEY="$(tail -1 "$b/verifier.txt" | awk '{print $NF}')"
fi

printf '%-10s %12s %10s %8s %8s\n' target executions coverage corpus crashes
status=0
for target in $targets; do
    mkdir -p "$work/artifacts/$target" "$work/corpus/$target"
    log="$work/$target.log"
    REMEDY_FUZZ_TARGET=$target "$fuzzer" "$work/corpus/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=1048576 -print_final_stats=1 -artifact_prefix="$work/artifacts/$target/" > "$log" 2>&1 || true
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    crashes=$(ls "$work/artifacts/$target" | wc -l)
    if [ "$crashes" -gt 0 ]; then
        status=1
        mkdir -p "Tools/fuzz/regressions/$target"
        cp "$work/artifacts/$target"/* "Tools/fuzz/regressions/$target/"
    fi
    printf '%-10s %12s %10s %8s %8s\n' "$target" "${execs:-?}" "${cov:-?}" "$(ls "$work/corpus/$target" | wc -l)" "$crashes"
done
echo "logs and corpora: $work" >&2
exit $status
