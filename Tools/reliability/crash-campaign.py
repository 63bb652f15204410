#!/usr/bin/env python3
"""Crash injection: SIGKILL remedy at random, seeded, reproducible moments, then check the
ledger lost nothing and kept nothing half-written.

    Tools/reliability/crash-campaign.py --remedy .build/release/remedy [--kills 2000] [--seed 1]
        [--postgres postgres://remedy@127.0.0.1:5432/db] [--commands append,ingest,...] [--work DIR]

Each kill runs one command (in turn: append --ndjson, ingest, projections rebuild, checkpoint,
export, import, backup, migrate, loop run) against a ledger that grows as the campaign goes,
sends it SIGKILL after a delay drawn from the seeded generator (between 0 and the command's own
duration, measured once unkilled), and then checks:

- `remedy verify` passes;
- the batch or run is all there or not there at all (the events grew by 0 or by the whole
  batch; every started run is completed);
- the read models, caught up, equal a clean rebuild's (`guards`, `health`, `next` as JSON);
- no file is left beside the ledger or in the bundle's folder but the ledger's own (-wal,
  -shm) and finished outputs, and a bundle under its final name verifies;
- the same command, run again without a kill, succeeds.

`loop run` works on a ledger of its own (`loop.db`, or the schema `crash_loop` on PostgreSQL):
each round ingests a report with three new failing cases, then runs the loop with handlers
(Python scripts written to the work folder) that diagnose, propose, verify with a passing
report of every case the step must cover, merge and request review, each after a short sleep.
The kill lands on `remedy` alone (its handler orphaned), on `remedy` and its handler together,
or on the handler alone (a failed try `remedy` must record). Besides the checks above: every
`LoopStepEnded` ends one `LoopStepStarted`, no step of an item is done twice, a done diagnose
or propose step has its diagnosis or proposal, and once the next `loop run` ran, no lease of a
dead `loop run` is left.

`copy` freezes `append --ndjson` (SIGSTOP) at random moments, copies the ledger file and its
-wal as the machine holds them then (what a power cut would leave), resumes it, and checks that
each copy opens, verifies and holds some prefix of the history (SQLite only).

It prints one line per anomaly and a summary: "N kills, C copies, M anomalies". Exit 0 when there are
none. Loopback only; everything is written under the work folder (printed).
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def comparable(output):
    """A view's JSON without what depends on the time it was asked (ages)."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not k.startswith("age")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    try:
        return strip(json.loads(output))
    except ValueError:
        return output


HANDLER = """#!/usr/bin/env python3
import json, os, random, sys, time
request = json.load(sys.stdin)
step, item, attempt = request["step"], request["item"], request["attempt"]
time.sleep(random.Random(f"{item}/{step}/{attempt}").uniform(0.02, 0.3))
failure = request.get("failure") or {}
if step == "diagnose":
    answer = {"lever": "code", "target": failure.get("case", item), "confidence": 0.9}
elif step == "propose":
    answer = {"fix": f"fix-{item}-{attempt}-{os.getpid()}", "change": "branch:remedy/" + item,
              "targets": [request["diagnosis"]["target"]], "blast_radius": "low", "reversible": True}
elif step == "verify":
    report = os.path.join(os.environ["HANDLER_REPORTS"], f"{item}-{attempt}-{os.getpid()}.xml")
    with open(report, "w") as out:
        out.write('<testsuite name="golden">')
        for key in request.get("must_include", []):
            classname, _, name = key.partition("::")
            out.write(f'<testcase classname="{classname}" name="{name}"/>')
        out.write("</testsuite>")
    answer = {"reports": [report]}
elif step == "merge":
    answer = {"commit": "%040x" % random.getrandbits(160)}
else:
    answer = {"url": "https://review.example/" + item}
print(json.dumps(answer))
"""


def children(pid):
    """The processes `pid` started (a handler of `loop run`), from /proc."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(child) for child in listing.read().split()]
    except OSError:
        return []


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class Campaign:
    def __init__(self, args):
        self.remedy = os.path.abspath(args.remedy)
        self.rng = random.Random(args.seed)
        self.work = args.work or tempfile.mkdtemp(prefix="remedy-crash-")
        self.postgres = args.postgres
        self.commands = args.commands.split(",")
        self.anomalies = []
        self.kills = 0
        self.copies = 0
        self.runs = 0
        self.durations = {}
        os.makedirs(self.work, exist_ok=True)
        self.ledger_dir = os.path.join(self.work, "ledger")
        self.out_dir = os.path.join(self.work, "out")
        self.inputs = os.path.join(self.work, "inputs")
        for folder in (self.ledger_dir, self.out_dir, self.inputs):
            os.makedirs(folder, exist_ok=True)
        self.ledger = self.postgres or os.path.join(self.ledger_dir, "ledger.db")
        if self.postgres:
            base, _, query = self.postgres.partition("?")
            schema = dict(part.split("=", 1) for part in query.split("&") if "=" in part).get("schema", "remedy")
            self.loop_ledger = f"{base}?schema={schema}_loop"
        else:
            self.loop_ledger = os.path.join(self.ledger_dir, "loop.db")
        self.key = os.path.join(self.inputs, "remedy.key")

    # -- running remedy -------------------------------------------------------------------

    def remedy_run(self, arguments, check=True):
        result = subprocess.run([self.remedy] + arguments, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"remedy {' '.join(arguments)} exited {result.returncode}: {result.stderr.strip()}")
        return result

    def count(self, event_type=None):
        """The ledger's events, or those of one type (from `status` and `stats`, not a read of them all)."""
        if event_type is None:
            return json.loads(self.remedy_run(["status", "--json", "--ledger", self.ledger]).stdout)["events"]
        return json.loads(self.remedy_run(["stats", "--json", "--ledger", self.ledger]).stdout)["by_type"].get(event_type, 0)

    def anomaly(self, command, seed, text):
        line = f"anomaly: {command} (kill {self.kills}, delay seed {seed}): {text}"
        print(line, flush=True)
        self.anomalies.append(line)

    # -- inputs ---------------------------------------------------------------------------

    def prepare(self):
        self.remedy_run(["init", "--ledger", self.ledger])
        self.verifier = self.remedy_run(["key", "generate", "--ledger", self.ledger, "--out", self.key]).stdout.strip().split()[-1]
        self.batch = os.path.join(self.inputs, "batch.ndjson")
        with open(self.batch, "w") as out:
            for n in range(2000):
                out.write(json.dumps({"type": "NoteTaken", "stream": f"notes-{n % 50}", "data": {"n": n, "text": "x" * 200}}) + "\n")
        self.report = os.path.join(self.inputs, "report.xml")
        subprocess.run([sys.executable, os.path.join(ROOT, "Tools/fixtures/make-large-reports.py"), "junit", "3000", "5", self.report], check=True)
        self.remedy_run(["ingest", "--ledger", self.ledger, "--suite", "golden", "--run", "0", self.report])
        self.remedy_run(["checkpoint", "--ledger", self.ledger, "--key", self.key])
        self.bundle_seed = os.path.join(self.inputs, "seed.tar.gz")
        self.remedy_run(["export", "--ledger", self.ledger, "--out", self.bundle_seed])

    def prepare_loop(self):
        """The loop's own ledger, its handlers and config (backoff 0: a failed try is retried
        by the next run)."""
        self.remedy_run(["init", "--ledger", self.loop_ledger])
        handler = os.path.join(self.inputs, "handler.py")
        with open(handler, "w") as out:
            out.write(HANDLER)
        os.chmod(handler, 0o755)
        self.handler_reports = os.path.join(self.inputs, "verified")
        os.makedirs(self.handler_reports, exist_ok=True)
        os.environ["HANDLER_REPORTS"] = self.handler_reports
        self.loop_config = os.path.join(self.inputs, "loop.json")
        with open(self.loop_config, "w") as out:
            json.dump({"handlers": {step: {"command": [handler], "timeout_s": 30}
                                    for step in ("diagnose", "propose", "verify", "merge", "review")},
                       "max_attempts": 1000, "backoff_s": 0}, out)

    def loop_round_report(self):
        """A report of the golden set with three new failing cases (and the earlier ones passing)."""
        path = os.path.join(self.inputs, "loop-report.xml")
        with open(path, "w") as out:
            out.write('<testsuite name="golden">')
            for n in range(20):
                out.write(f'<testcase classname="steady" name="c{n}"/>')
            for n in range(3):
                out.write(f'<testcase classname="round{self.runs}" name="f{n}"><failure message="broke"/></testcase>')
            out.write("</testsuite>")
        return path

    def loop_events(self, *types):
        arguments = ["events", "--ledger", self.loop_ledger]
        for event_type in types:
            arguments += ["--type", event_type]
        return [json.loads(line) for line in self.remedy_run(arguments).stdout.splitlines() if line.strip()]

    def check_loop(self, seed):
        """A step's events and its end are one transaction; a step is done once; and after the
        next `loop run`, no lease of a dead run is left."""
        events = self.loop_events("LoopStepStarted", "LoopStepEnded", "DiagnosisRecorded", "FixProposed",
                                  "EvalRunStarted", "EvalRunCompleted")
        started, ended, done = {}, {}, {}
        diagnosed, proposed = 0, 0
        runs_started, runs_completed = 0, 0
        for event in events:
            kind, data = event["type"], event["data"]
            if kind == "LoopStepStarted":
                started[(data["item"], data["step"], data["attempt"])] = event
            elif kind == "LoopStepEnded":
                key = (data["item"], data["step"], data["attempt"])
                if key in ended:
                    self.anomaly("loop", seed, f"step {key} ended twice")
                ended[key] = data
                if key not in started:
                    self.anomaly("loop", seed, f"step {key} ended but never started")
                if data["result"] == "done":
                    if (data["item"], data["step"]) in done and data["step"] != "review":
                        self.anomaly("loop", seed, f"step {data['step']} of {data['item']} done twice")
                    done[(data["item"], data["step"])] = True
            elif kind == "DiagnosisRecorded":
                diagnosed += 1
            elif kind == "FixProposed":
                proposed += 1
            elif kind == "EvalRunStarted":
                runs_started += 1
            elif kind == "EvalRunCompleted":
                runs_completed += 1
        done_diagnose = sum(1 for (_, step) in done if step == "diagnose")
        done_propose = sum(1 for (_, step) in done if step == "propose")
        if done_diagnose != diagnosed:
            self.anomaly("loop", seed, f"{done_diagnose} diagnose steps done, {diagnosed} diagnoses recorded")
        if done_propose != proposed:
            self.anomaly("loop", seed, f"{done_propose} propose steps done, {proposed} fixes proposed")
        if runs_started != runs_completed:
            self.anomaly("loop", seed, f"{runs_started} runs started, {runs_completed} completed")
        return started, ended

    def check_loop_after_next(self, seed):
        """The next `loop run` takes over every lease a killed one left (its holder is gone
        from this machine): no step stays started without an end."""
        started, ended = self.check_loop(seed)
        open_steps = sorted(key for key in started if key not in ended)
        if open_steps:
            self.anomaly("loop", seed, f"steps left started after the next loop run: {open_steps[:3]}")
        # A person approves what waits for review, so that the next rounds merge too.
        status = json.loads(self.remedy_run(["loop", "status", "--ledger", self.loop_ledger, "--json"]).stdout)
        for item in status["items"]:
            if item["kind"] == "review" and item["last_step"] == "review":
                self.remedy_run(["review", item["item"], "--approve", "--by", "reviewer", "--ledger", self.loop_ledger])

    def copy_once(self):
        """What the machine holds at random moments of `append --ndjson`: the writer frozen
        (SIGSTOP) mid-commit or mid-checkpoint, as a power cut would freeze it, the ledger
        file and its -wal copied (what a copy of the folder takes; not the -shm, an index in
        shared memory), the writer resumed. Each copy opens, verifies and holds a prefix of
        the history: SQLite's journal and remedy's order of writes keep every instant
        recoverable. (A `cp` of the file alone while a checkpoint writes into it can be torn:
        README says to copy with `remedy backup`, or the -wal too, while commands run.)"""
        arguments, _ = self.command("append")
        before = self.count()
        process = subprocess.Popen([self.remedy] + arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        copies = []
        delay_seed = self.rng.randrange(1 << 30)
        delays = random.Random(delay_seed)
        while process.poll() is None and len(copies) < 4:
            time.sleep(delays.uniform(0, self.durations.get("append", 0.5) / 3))
            copy = os.path.join(self.work, f"copy-{len(copies)}.db")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(copy + suffix):
                    os.remove(copy + suffix)
            try:
                process.send_signal(signal.SIGSTOP)
            except ProcessLookupError:
                break
            try:
                shutil.copyfile(self.ledger, copy)
                if os.path.exists(self.ledger + "-wal"):
                    shutil.copyfile(self.ledger + "-wal", copy + "-wal")
            finally:
                process.send_signal(signal.SIGCONT)
            copies.append(copy)
        process.wait()
        self.copies += len(copies)
        for copy in copies:
            verify = self.remedy_run(["verify", "--ledger", copy], check=False)
            if verify.returncode != 0:
                self.anomaly("copy", delay_seed, f"a copy taken mid-append does not verify: {verify.stderr.strip()}")
                continue
            events = json.loads(self.remedy_run(["status", "--json", "--ledger", copy]).stdout)["events"]
            if events - before not in (0, 2000):
                self.anomaly("copy", delay_seed, f"a copy holds {events - before} events of a 2000-event batch")
            # A prefix: the copy's tree head is the ledger's tree at that size.
            head = json.loads(self.remedy_run(["status", "--json", "--ledger", copy]).stdout)["tree_head"]
            if head["size"] > 0:
                proof = json.loads(self.remedy_run(["prove", "consistency", "--from", str(head["size"]), "--json", "--ledger", self.ledger]).stdout)
                if proof["from_root"] != head["root"]:
                    self.anomaly("copy", delay_seed, f"a copy of {head['size']} events is not a prefix of the ledger")
        for copy in copies:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(copy + suffix):
                    os.remove(copy + suffix)

    def command(self, name, fresh=True):
        """The arguments of one run of `name`, and what its result must look like; `fresh`
        starts an import or migration from no target (the run after a kill does not: it must
        cope with what the killed one left)."""
        self.runs += 1
        if name == "append":
            # A fresh copy of the batch (new event ids): the whole batch or nothing.
            batch = os.path.join(self.inputs, "batch-run.ndjson")
            with open(self.batch) as source, open(batch, "w") as out:
                for line in source:
                    event = json.loads(line)
                    event["data"]["run"] = self.runs
                    out.write(json.dumps(event) + "\n")
            return ["append", "--ledger", self.ledger, "--ndjson", batch], {"grow": (0, 2000)}
        if name == "ingest":
            return ["ingest", "--ledger", self.ledger, "--suite", "golden", "--run", str(self.runs), self.report], {"runs": True}
        if name == "rebuild":
            return ["projections", "rebuild", "--ledger", self.ledger], {}
        if name == "checkpoint":
            return ["checkpoint", "--ledger", self.ledger, "--key", self.key], {}
        if name == "export":
            return ["export", "--ledger", self.ledger, "--out", os.path.join(self.out_dir, "audit.tar.gz"), "--force"], {"bundle": "audit.tar.gz"}
        if name == "import":
            target = os.path.join(self.out_dir, "imported.db")
            for suffix in ("", "-wal", "-shm"):
                if fresh and os.path.exists(target + suffix):
                    os.remove(target + suffix)
            return ["import", self.bundle_seed, "--key", self.verifier, "--ledger", target], {"copy": target}
        if name == "backup":
            return ["backup", "--ledger", self.ledger, "--out", os.path.join(self.out_dir, "backup.db"), "--force"], {"copy": os.path.join(self.out_dir, "backup.db")}
        if name == "migrate":
            target = os.path.join(self.out_dir, "migrated.db")
            for suffix in ("", "-wal", "-shm"):
                if fresh and os.path.exists(target + suffix):
                    os.remove(target + suffix)
            return ["migrate", "--from", self.ledger, "--to", target], {"copy": target}
        if name == "loop":
            if fresh:
                self.remedy_run(["ingest", "--ledger", self.loop_ledger, "--suite", "golden", "--run", f"round-{self.runs}", self.loop_round_report()])
            return ["loop", "run", "--ledger", self.loop_ledger, "--config", self.loop_config], {"loop": True}
        raise SystemExit(f"unknown command {name}")

    # -- one kill -------------------------------------------------------------------------

    def kill_once(self, name):
        arguments, expect = self.command(name)
        if name not in self.durations:
            started = time.monotonic()
            self.remedy_run(arguments)
            self.durations[name] = time.monotonic() - started
            arguments, expect = self.command(name)
        before = self.count()
        started_runs = self.count("EvalRunStarted")
        delay_seed = self.rng.randrange(1 << 30)
        delay = random.Random(delay_seed).uniform(0, self.durations[name] * 1.1)
        process = subprocess.Popen([self.remedy] + arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        target = self.rng.choice(("remedy", "handler", "both")) if name == "loop" else "remedy"
        handlers = children(process.pid)
        if target in ("handler", "both") and handlers:
            for pid in handlers:
                kill(pid)
        if target != "handler" or not handlers:
            process.send_signal(signal.SIGKILL)
        process.wait()
        self.kills += 1
        self.check(name, arguments, expect, before, started_runs, delay_seed)

    def check(self, name, arguments, expect, before, started_runs, seed):
        verify = self.remedy_run(["verify", "--ledger", self.ledger], check=False)
        if verify.returncode != 0:
            self.anomaly(name, seed, f"verify failed: {verify.stderr.strip()}")
        after = self.count()
        if "grow" in expect and after - before not in expect["grow"]:
            self.anomaly(name, seed, f"the batch is half there: {after - before} events of {expect['grow'][1]}")
        if expect.get("runs"):
            started, completed = self.count("EvalRunStarted"), self.count("EvalRunCompleted")
            if started != completed:
                self.anomaly(name, seed, f"{started} runs started, {completed} completed")
            if started - started_runs not in (0, 1):
                self.anomaly(name, seed, f"{started - started_runs} runs appeared")
        if "bundle" in expect and os.path.exists(os.path.join(self.out_dir, expect["bundle"])):
            bundle = self.remedy_run(["verify-bundle", os.path.join(self.out_dir, expect["bundle"]), "--key", self.verifier], check=False)
            if bundle.returncode != 0:
                self.anomaly(name, seed, f"a bundle under its final name does not verify: {bundle.stderr.strip()}")
        if "copy" in expect and os.path.exists(expect["copy"]):
            copy = self.remedy_run(["verify", "--ledger", expect["copy"]], check=False)
            if copy.returncode != 0 and name != "import" and name != "migrate":
                self.anomaly(name, seed, f"the copy does not verify: {copy.stderr.strip()}")
        if expect.get("loop"):
            self.check_loop(seed)
        if self.kills % 10 == 0:
            self.compare_read_models(name, seed)
        # The next command works without a manual step.
        again, _ = self.command(name, fresh=False)
        retry = self.remedy_run(again, check=False)
        if retry.returncode != 0:
            self.anomaly(name, seed, f"the next {name} failed ({retry.returncode}): {retry.stderr.strip()}")
        if expect.get("loop"):
            self.check_loop_after_next(seed)
        # Nothing left behind once the next command ran (a killed process cannot clean up;
        # the next one must).
        if not self.postgres:
            leftovers = [f for f in os.listdir(self.ledger_dir)
                         if f not in ("ledger.db", "ledger.db-wal", "ledger.db-shm", "loop.db", "loop.db-wal", "loop.db-shm")]
            if leftovers:
                self.anomaly(name, seed, f"left beside the ledger: {leftovers}")
        finished = {"audit.tar.gz", "imported.db", "backup.db", "migrated.db"}
        stray = [f for f in os.listdir(self.out_dir) if f not in finished and not f.endswith(("-wal", "-shm"))]
        if stray:
            self.anomaly(name, seed, f"left in the output folder: {stray}")
            for f in stray:
                path = os.path.join(self.out_dir, f)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)

    def compare_read_models(self, name, seed):
        """The read models caught up equal those of a clean rebuild, on a copy."""
        if self.postgres:
            return
        copy = os.path.join(self.work, "rebuilt.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(copy + suffix):
                os.remove(copy + suffix)
        self.remedy_run(["backup", "--ledger", self.ledger, "--out", copy])
        self.remedy_run(["projections", "rebuild", "--ledger", copy])
        for view in (["guards", "--json"], ["health", "--json"], ["next", "--json"], ["stats", "--json"]):
            live = comparable(self.remedy_run(view + ["--ledger", self.ledger], check=False).stdout)
            clean = comparable(self.remedy_run(view + ["--ledger", copy], check=False).stdout)
            if live != clean:
                self.anomaly(name, seed, f"`{view[0]}` differs from a clean rebuild's")

    def run(self, kills):
        self.prepare()
        if "loop" in self.commands:
            self.prepare_loop()
        if self.postgres and "copy" in self.commands:
            self.commands.remove("copy")
        started = time.monotonic()
        for n in range(kills):
            name = self.commands[n % len(self.commands)]
            if name == "copy":
                self.copy_once() if not self.postgres else None
            else:
                self.kill_once(name)
            if (n + 1) % 10 == 0:
                print(f"{self.kills} kills, {self.copies} copies, {len(self.anomalies)} anomalies, {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        print(f"{self.kills} kills, {self.copies} copies, {len(self.anomalies)} anomalies ({', '.join(self.commands)}; "
              f"{'PostgreSQL' if self.postgres else 'SQLite'}; seed {args.seed}; work {self.work})")
        return 0 if not self.anomalies else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--remedy", required=True)
    parser.add_argument("--kills", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres")
    parser.add_argument("--commands", default="append,ingest,rebuild,checkpoint,export,import,backup,migrate,loop,copy")
    parser.add_argument("--work")
    args = parser.parse_args()
    sys.exit(Campaign(args).run(args.kills))
