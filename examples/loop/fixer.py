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
