#!/usr/bin/env python3
"""Hostile strings: SQL, shell metacharacters, control characters, 1 MB strings and bytes that
are not UTF-8, sent through every command that takes a string and through every answer a loop
handler gives.

    Tools/reliability/hostile-strings.py --remedy .build/release/remedy [--postgres ADDRESS] [--work DIR]

Each string goes in as a stream name, event type, event id, actor, payload value, report suite,
run id, case name and failure message, diagnosis target and evidence, fix id, change and
target, reviewer and comment, merge commit, guard and quarantine reasons, a case key asked
for, `next --suite/--skill`, `events --stream`; then as every field of every handler's answer
in a `loop run`. Checks:

- remedy refuses it with exit 2 (invalid input), 4, 5 or 8 and one line on standard error, or
  takes it and gives it back byte for byte (read back with `events --json`);
- no process dies of a signal, no shell runs it (a marker file the shell strings would create
  stays absent), the tables are all there afterwards, and `remedy verify` passes.

Prints one line per anomaly and "N strings through M commands, K anomalies"; exits 0 when
there are none. Loopback only.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

REFUSALS = {2, 4, 5, 8}
ARGUMENT_LIMIT = 128_000


def hostile_strings(marker):
    """Name and bytes of each string sent (bytes: arguments may be any bytes but NUL)."""
    strings = [
        ("sql quote", b"x'); DROP TABLE events; --"),
        ("sql comment", b"a\" OR 1=1 /* */ --"),
        ("sql semicolons", b"; DELETE FROM events WHERE 1; SELECT '"),
        ("shell substitution", f"$(touch {marker})".encode()),
        ("shell backticks", f"`touch {marker}`".encode()),
        ("shell separators", f"a; touch {marker} && echo | cat > {marker}".encode()),
        ("glob and redirection", b"* ? [a-z] < > >> 2>&1 ~ !! #"),
        ("control characters", bytes(range(1, 32)) + b"\x7f"),
        ("escape sequences", b"\x1b[31mred\x1b[0m\x1b]0;title\x07\r\n"),
        ("unicode", "\u202eevil\u200b\ufeff \U0001F4A5 \u0301 e\u0301 \uffff".encode()),
        ("json in a string", b'{"type":"FixMerged","data":{}}'),
        ("xml in a string", b"<![CDATA[ ]]> &amp; &#0; <!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"),
        ("path traversal", b"../../../../etc/passwd"),
        ("format strings", b"%s%s%n%x %@ {0} ${HOME} \\(x)"),
        ("not UTF-8", b"caf\xe9 \xff\xfe \xc3\x28 \xed\xa0\x80"),
        ("empty", b""),
        ("blank", b"   "),
        ("1 MB", b"m" * (1 << 20)),
    ]
    return strings


class Campaign:
    def __init__(self, args):
        self.remedy = os.path.abspath(args.remedy)
        self.work = os.path.abspath(args.work or tempfile.mkdtemp(prefix="remedy-hostile-"))
        os.makedirs(self.work, exist_ok=True)
        self.marker = os.path.join(self.work, "shell-ran")
        self.ledger = args.postgres or os.path.join(self.work, "ledger.db")
        self.postgres = args.postgres
        self.anomalies = []
        self.sent = 0
        self.commands = set()

    def run(self, arguments, stdin=None, env=None):
        arguments = [a if isinstance(a, bytes) else a.encode() for a in arguments]
        return subprocess.run([self.remedy.encode()] + arguments, input=stdin, capture_output=True,
                              env=env, cwd=self.work)

    def must(self, arguments):
        result = self.run(arguments)
        if result.returncode != 0:
            raise RuntimeError(f"remedy {arguments} exited {result.returncode}: {result.stderr.decode(errors='replace')}")
        return result.stdout.decode()

    def anomaly(self, where, name, text):
        line = f"anomaly: {where} with {name}: {text}"
        print(line, flush=True)
        self.anomalies.append(line)

    def judge(self, where, name, result):
        """Taken (0) or refused clearly; returns whether it was taken."""
        self.sent += 1
        self.commands.add(where.split(" ")[0])
        status = result.returncode
        stderr = result.stderr.decode(errors="replace").strip()
        if status < 0:
            self.anomaly(where, name, f"remedy died of signal {-status}")
        elif status != 0:
            if status not in REFUSALS:
                self.anomaly(where, name, f"exited {status}: {stderr[:300]}")
            if len(stderr.splitlines()) != 1 or not stderr.startswith("remedy: ") or len(stderr) > 2000:
                self.anomaly(where, name, f"not one short clear line on standard error: {stderr[:300]!r}")
        if os.path.exists(self.marker):
            self.anomaly(where, name, "a shell ran the string")
            os.remove(self.marker)
        return status == 0

    def last_event(self):
        lines = self.must(["events", "--ledger", self.ledger, "--from", str(self.count())]).splitlines()
        return json.loads(lines[-1])

    def count(self):
        return json.loads(self.must(["status", "--json", "--ledger", self.ledger]))["events"]

    # -- the commands ---------------------------------------------------------------------

    def through_append(self, name, value):
        text = value.decode("utf-8", errors="strict") if is_utf8(value) else None
        # As a payload value: taken and given back exactly, or refused when not UTF-8.
        data = json.dumps({"note": text}).encode() if text is not None else b'{"note": "' + value + b'"}'
        result = self.run(["append", "--ledger", self.ledger, "--stream", "notes-1", "--type", "NoteTaken", "--data", data])
        if self.judge("append --data", name, result):
            event = self.last_event()
            if event["data"].get("note") != text:
                self.anomaly("append --data", name, "the payload came back changed")
        for option in ("--stream", "--type", "--id", "--actor", "--correlation-id"):
            arguments = ["append", "--ledger", self.ledger, "--stream", "notes-1", "--type", "NoteTaken", "--data", "{}"]
            index = arguments.index(option) + 1 if option in arguments else None
            if index:
                arguments[index] = value
            else:
                arguments += [option, value]
            result = self.run(arguments)
            if self.judge(f"append {option}", name, result):
                event = self.last_event()
                field = {"--stream": "stream", "--type": "type", "--id": "id"}.get(option)
                got = event.get(field) if field else json.dumps(event.get("metadata", {}))
                if field and got != text:
                    self.anomaly(f"append {option}", name, f"stored as {str(got)[:80]!r}")
        # In a batch line.
        line = (json.dumps({"type": "NoteTaken", "stream": "notes-2", "data": {"note": text}}).encode() if text is not None
                else b'{"type":"NoteTaken","stream":"notes-2","data":{"note":"' + value + b'"}}') + b"\n"
        result = self.run(["append", "--ledger", self.ledger, "--ndjson", "-"], stdin=line)
        if self.judge("append --ndjson", name, result) and self.last_event()["data"].get("note") != text:
            self.anomaly("append --ndjson", name, "the payload came back changed")

    def through_file(self, name, value):
        """The whole string in a payload read from a file (`--data @FILE`) and in a batch."""
        text = value.decode("utf-8") if is_utf8(value) else None
        data = os.path.join(self.work, "data.json")
        with open(data, "wb") as out:
            out.write(json.dumps({"note": text}).encode() if text is not None else b'{"note": "' + value + b'"}')
        result = self.run(["append", "--ledger", self.ledger, "--stream", "notes-3", "--type", "NoteTaken", "--data", "@" + data])
        if self.judge("append --data @file", name, result) and self.last_event()["data"].get("note") != text:
            self.anomaly("append --data @file", name, "the payload came back changed")

    def through_ingest(self, name, value):
        text = value.decode("utf-8", errors="replace")
        escaped = (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))
        report = os.path.join(self.work, "report.xml")
        with open(report, "wb") as out:
            out.write(b'<testsuite name="hostile">')
            out.write(b'<testcase classname="h" name="ok"/>')
            out.write(b'<testcase classname="h" name="' + escaped.encode() + b'"><failure message="' + escaped.encode() + b'"/></testcase>')
            out.write(b"</testsuite>")
        self.run_counter = getattr(self, "run_counter", 0) + 1
        result = self.run(["ingest", "--ledger", self.ledger, "--suite", "hostile", "--run", f"r{self.run_counter}", report, "--json"])
        self.judge("ingest (case name and message)", name, result)
        for option in ("--suite", "--run"):
            arguments = ["ingest", "--ledger", self.ledger, "--suite", "hostile", "--run", f"s{self.run_counter}", report]
            arguments[arguments.index(option) + 1] = value
            self.judge(f"ingest {option}", name, self.run(arguments))
        # The failure recorded (if any) through every step that takes a string.
        failure = f"h::{text}"
        for where, words, rest in (
            ("diagnose --target", ["diagnose"], [failure, "--lever", "code", "--target", value, "--by", "agent:t"]),
            ("diagnose --evidence", ["diagnose"], ["h::ok", "--lever", "code", "--target", "t", "--evidence", value, "--by", "agent:t"]),
            ("diagnose (failure)", ["diagnose"], [value, "--lever", "code", "--target", "t", "--by", value]),
            ("propose --fix", ["propose"], ["h::ok", "--fix", value, "--change", value, "--blast-radius", "low", "--by", value]),
            ("review", ["review"], [value, "--approve", "--by", value, "--comment", value]),
            ("merged", ["merged"], [value, "--commit", value, "--by", value]),
            ("reverted", ["reverted"], [value, "--reason", value]),
            ("guard retire", ["guard", "retire"], [value, "--suite", value, "--reason", value, "--by", value]),
            ("quarantine", ["quarantine"], [value, "--suite", "hostile", "--owner", value, "--reason", value, "--until", "2030-01-01"]),
            ("alias", ["alias"], [value, value + b"2", "--suite", "hostile"]),
            ("case", ["case"], [value]),
            ("next --suite", ["next"], ["--suite", value, "--json"]),
            ("next --skill", ["next"], ["--skill", value]),
            ("events --stream", ["events"], ["--stream", value]),
            ("why", ["why"], [value]),
        ):
            self.judge(where, name, self.run(words + ["--ledger", self.ledger] + rest))

    def through_handlers(self, name, value):
        """Every field of every handler answer carries the string."""
        text = value.decode("utf-8", errors="replace")
        handler = os.path.join(self.work, "handler.py")
        with open(handler, "w") as out:
            out.write(HANDLER)
        os.chmod(handler, 0o755)
        config = os.path.join(self.work, "loop.json")
        with open(config, "w") as out:
            json.dump({"handlers": {step: {"command": [handler], "timeout_s": 30} for step in ("diagnose", "propose", "verify", "merge", "review")},
                       "max_attempts": 2, "backoff_s": 0}, out)
        hostile = os.path.join(self.work, "hostile-value")
        with open(hostile, "wb") as out:
            out.write(value)
        report = os.path.join(self.work, "loop-report.xml")
        self.loop_round = getattr(self, "loop_round", 0) + 1
        with open(report, "w") as out:
            out.write(f'<testsuite name="loop"><testcase classname="l" name="ok"/><testcase classname="l" name="broken{self.loop_round}"><failure message="x"/></testcase></testsuite>')
        self.must(["ingest", "--ledger", self.ledger, "--suite", "loop", "--run", f"loop-{self.loop_round}", report])
        env = dict(os.environ, HOSTILE_VALUE=hostile, HANDLER_REPORTS=self.work)
        result = self.run(["loop", "run", "--ledger", self.ledger, "--config", config, "--json"], env=env)
        self.judge("loop run (handler answers)", name, result)

    def tables_intact(self):
        if self.postgres:
            return
        listing = subprocess.run(["sqlite3", self.ledger, "SELECT name FROM sqlite_master WHERE type='table'"], capture_output=True, text=True).stdout.split()
        if "events" not in listing:
            self.anomaly("the ledger", "all strings", f"the events table is gone: {listing}")

    def campaign(self):
        self.must(["init", "--ledger", self.ledger])
        strings = hostile_strings(self.marker)
        for name, value in strings:
            # An argument is at most 128 KiB (Linux's MAX_ARG_STRLEN): the 1 MB string goes
            # through arguments cut to that, and whole through files and handler answers.
            argument = value[:ARGUMENT_LIMIT]
            self.through_append(name, argument)
            self.through_file(name, value)
            self.through_ingest(name, argument)
            self.through_handlers(name, value)
        self.tables_intact()
        verify = self.run(["verify", "--ledger", self.ledger])
        if verify.returncode != 0:
            self.anomaly("verify", "all strings", verify.stderr.decode(errors="replace").strip())
        print(f"{len(strings)} strings through {len(self.commands)} commands ({self.sent} tries), {len(self.anomalies)} anomalies "
              f"({'PostgreSQL' if self.postgres else 'SQLite'}; work {self.work})")
        return 0 if not self.anomalies else 1


HANDLER = r'''#!/usr/bin/env python3
import json, os, sys
request = json.load(sys.stdin)
value = open(os.environ["HOSTILE_VALUE"], "rb").read().decode("utf-8", errors="surrogateescape")
step = request["step"]
failure = request.get("failure") or {}
if step == "diagnose":
    answer = {"lever": "code", "target": value, "confidence": 0.5, "evidence": [value, value]}
elif step == "propose":
    answer = {"fix": value, "change": value, "targets": [value], "blast_radius": "low", "reversible": True}
elif step == "verify":
    answer = {"reports": [value]}
elif step == "merge":
    answer = {"commit": value}
else:
    answer = {"url": value}
try:
    text = json.dumps(answer, ensure_ascii=False)
    sys.stdout.buffer.write(text.encode("utf-8", errors="surrogateescape") + b"\n")
except Exception:
    sys.stdout.buffer.write(b'{"lever": "code", "target": "' + value.encode("utf-8", errors="surrogateescape") + b'"}\n')
'''


def is_utf8(value):
    try:
        value.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--remedy", required=True)
    parser.add_argument("--postgres")
    parser.add_argument("--work")
    args = parser.parse_args()
    sys.exit(Campaign(args).campaign())
