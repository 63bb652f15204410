#!/bin/sh
# remedy loop handler for the `verify` step: runs the whole golden dataset against a fix and
# answers the report files, which remedy ingests as the fix's verification run (the cases
# to cover are in the input's "must_include").
#
#   GOLDEN_COMMAND   the command that checks out fix $FIX, runs the golden set and writes a
#                    JUnit (or promptfoo, inspect_ai) report to $REPORT
set -eu
cat > /dev/null   # the fix and what the run must cover; this handler needs only the variables
: "${GOLDEN_COMMAND:?set GOLDEN_COMMAND to the command that runs the golden set for \$FIX into \$REPORT}"
REPORT="${GOLDEN_REPORTS:-.remedy/golden}/$REMEDY_ITEM-$REMEDY_ATTEMPT.xml"
mkdir -p "$(dirname "$REPORT")"
FIX="$REMEDY_ITEM" REPORT="$REPORT" sh -c "$GOLDEN_COMMAND" >&2
printf '{"reports": ["%s"]}\n' "$REPORT"
