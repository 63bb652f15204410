/// The example handlers under `examples/loop/`, as shipped: `remedy demo --loop` writes them
/// into its folder and runs the loop with them, so the demo needs no clone. A test keeps each
/// one byte for byte equal to its file.
public enum ExampleHandlers {
    /// Each handler: the step it serves, its file name under `examples/loop/`, and its text.
    public static let all: [(step: String, file: String, text: String)] = [
        ("diagnose", "triage.py", #"""
#!/usr/bin/env python3
"""remedy loop handler for the `diagnose` step: a rule-of-thumb triage.

remedy runs it with one JSON object on stdin (the failure, its failing attempts, the case's
history and earlier diagnoses) and REMEDY_LEDGER, REMEDY_STEP, REMEDY_ITEM in the environment.
It answers one JSON object on stdout and exits 0:

    {"lever": "code|threshold|skill", "target": "...", "confidence": 0.8, "evidence": ["..."]}

or {"decline": "reason"} to hand the failure to a person. Replace the rules below with a call
to your triage agent; keep the contract.
"""
import json
import re
import sys

request = json.load(sys.stdin)
failure = request["failure"]
attempts = request.get("attempts") or []
messages = " ".join(filter(None, [failure.get("message")] + [a.get("message") for a in attempts]))
module = failure["case"].split("::")[0]
evidence = [a.get("trace_url") or a["trace_id"] for a in attempts if a.get("trace_url") or a.get("trace_id")]

# Earlier diagnoses of this case whose fixes were reverted were wrong: do not repeat them.
reverted = {(d["lever"], d["target"]) for d in request.get("diagnoses") or []
            if "reverted" in (d.get("fixes") or {}).values()}

threshold = re.search(r"threshold\s+(\w+)\s*=", messages)
if threshold:
    answer = {"lever": "threshold", "target": f"{module}.{threshold.group(1)}", "confidence": 0.7}
elif "threshold" in failure["case"] or "threshold" in messages:
    answer = {"lever": "threshold", "target": module, "confidence": 0.6}
elif failure.get("skill"):
    answer = {"lever": "skill", "target": failure["skill"], "confidence": 0.9}
else:
    answer = {"lever": "code", "target": module, "confidence": 0.5}

if (answer["lever"], answer["target"]) in reverted:
    print(json.dumps({"decline": f"{answer['lever']} {answer['target']} was tried and reverted before"}))
else:
    answer["evidence"] = evidence + [messages[:200]] if messages else evidence
    print(json.dumps(answer))
"""#),
        ("propose", "fixer.py", #"""
#!/usr/bin/env python3
"""remedy loop handler for the `propose` step: turns a diagnosis into a proposed fix.

Gets the failure and its diagnosis on stdin; answers

    {"fix": "id", "change": "url or branch", "targets": ["..."], "blast_radius": "low|medium|high", "reversible": true}

A real fixer asks a coding agent for the change and pushes a branch; this one names the
branch it would push, so the rest of the loop can be tried end to end.
"""
import json
import os
import re
import sys

request = json.load(sys.stdin)
diagnosis = request.get("diagnosis")
if not diagnosis:
    print(json.dumps({"decline": "no diagnosis to act on"}))
    sys.exit(0)
target = diagnosis["target"]
if diagnosis["lever"] == "threshold":
    # alerts.danger or alerts.danger.new_snow_cm: the danger module's threshold.
    parts = target.split(".")
    name = (parts[1] if len(parts) > 1 else parts[0]) + "-threshold"
else:
    name = target
slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
base = os.environ.get("FIXER_CHANGE_BASE", "branch:remedy/")
print(json.dumps({
    "fix": slug,
    "change": base + slug,
    "targets": [target],
    # Skills and thresholds are one value or one file: low radius, reverted by one commit.
    "blast_radius": "low" if diagnosis["lever"] in ("skill", "threshold") else "medium",
    "reversible": True,
}))
"""#),
        ("verify", "run-golden.sh", #"""
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
"""#),
        ("merge", "merge.sh", #"""
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
"""#),
        ("review", "request-review.sh", #"""
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
"""#),
    ]
}
