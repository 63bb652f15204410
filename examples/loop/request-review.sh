#!/bin/sh
# remedy loop handler for the `review` step: the gate asked for a person. Posts the fix's
# evidence where people look (here: a Markdown and a JSON file in REVIEW_DIR; a team's
# version opens or comments on a pull request) and answers where it went.
set -eu
dir="${REVIEW_DIR:-.remedy/reviews}"
mkdir -p "$dir"
cat > "$dir/$REMEDY_ITEM.json"
python3 -c 'import json, sys; sys.stdout.write(json.load(open(sys.argv[1]))["evidence_markdown"])' "$dir/$REMEDY_ITEM.json" > "$dir/$REMEDY_ITEM.md"
printf '{"url": "file://%s"}\n' "$(cd "$dir" && pwd)/$REMEDY_ITEM.md"
