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
