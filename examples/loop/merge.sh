#!/bin/sh
# remedy loop handler for the `merge` step, after the gate's auto-merge or a person's
# approval: merges the fix and answers the commit it landed as.
#
#   MERGE_COMMAND   the command that merges fix $FIX and prints the commit (for example
#                   `gh pr merge "$FIX" --squash && git rev-parse HEAD`)
set -eu
cat > /dev/null
: "${MERGE_COMMAND:?set MERGE_COMMAND to the command that merges \$FIX and prints the commit}"
commit=$(FIX="$REMEDY_ITEM" sh -c "$MERGE_COMMAND" | tail -n 1)
case "$commit" in
    ''|*[!0-9a-fA-F]*) echo "merge printed '$commit', not a commit" >&2; exit 1 ;;
esac
printf '{"commit": "%s"}\n' "$commit"
