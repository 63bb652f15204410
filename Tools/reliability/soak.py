#!/usr/bin/env python3
"""Concurrency soak: many writer and reader processes on one ledger for a bounded time, then
every acknowledged write accounted for.

    Tools/reliability/soak.py --remedy .build/release/remedy [--seconds 60] [--writers 16] [--readers 4]
        [--postgres postgres://remedy@127.0.0.1:5432/db?schema=soak] [--work DIR]

Writers (processes started one after another from threads, each its own remedy process) mix
`append` (one event, its id chosen here), `append --ndjson` (ten), `ingest` (a 20-case report,
3 failing), `diagnose`, `propose` and `gate` on the failures they detected, and `loop run
--max-items 2` with a diagnose handler (leases keep two loops off one item). Readers run
`events --follow` (every line checked: positions 1, 2, 3, ... in order) and `guards`,
`health`, `next` in a loop. Afterwards:

- every acknowledged append (exit 0) is in the ledger exactly once (by its event id), and
  every acknowledged ingest's run is completed;
- `remedy verify` passes (positions and stream versions gapless, the tree recomputed);
- no process printed "database is locked" or exited busy (6);
- the follower saw every position in order, and nothing the ledger does not hold.

It prints the writes acknowledged and found, errors by exit code, and the append latency under
load (p50, p99). Exit 0 when nothing was lost, duplicated, out of order or refused as busy.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class Soak:
    def __init__(self, args):
        self.args = args
        self.remedy = os.path.abspath(args.remedy)
        self.work = args.work or tempfile.mkdtemp(prefix="remedy-soak-")
        os.makedirs(self.work, exist_ok=True)
        self.ledger = args.postgres or os.path.join(self.work, "ledger.db")
        self.lock = threading.Lock()
        self.appended_ids = []        # acknowledged event ids
        self.ingested_runs = []       # acknowledged (suite, run)
        self.errors = {}              # exit code -> count
        self.busy = []                # stderr lines that say busy or locked
        self.latencies = []           # seconds of each acknowledged single append
        self.writes = 0
        self.follow_problems = []
        self.followed = 0
        self.follow_target = 0
        self.writers_done = threading.Event()
        self.reads = 0

    def run_remedy(self, arguments, stdin=None):
        started = time.monotonic()
        result = subprocess.run([self.remedy] + arguments + ["--ledger", self.ledger], input=stdin,
                                capture_output=True, text=True)
        return result, time.monotonic() - started

    def note(self, result, action):
        with self.lock:
            self.writes += 1
            if result.returncode != 0:
                key = f"{action}: exit {result.returncode}"
                self.errors[key] = self.errors.get(key, 0) + 1
            text = result.stderr.lower()
            if "database is locked" in text or "busy" in text or result.returncode == 6:
                self.busy.append(f"{action}: {result.stderr.strip()[:200]}")

    # -- writers ----------------------------------------------------------------------------

    def writer(self, index, deadline):
        rng = random.Random(index)
        suite, runs, failures, fixes = f"suite-{index}", 0, [], 0
        while time.monotonic() < deadline:
            choice = rng.random()
            if choice < 0.35:
                event_id = str(uuid.uuid4())
                result, seconds = self.run_remedy(["append", "--stream", f"note-{index}", "--type", "NoteTaken",
                                                   "--data", json.dumps({"writer": index}), "--id", event_id])
                self.note(result, "append")
                if result.returncode == 0:
                    with self.lock:
                        self.appended_ids.append(event_id)
                        self.latencies.append(seconds)
            elif choice < 0.55:
                ids = [str(uuid.uuid4()) for _ in range(10)]
                batch = "".join(json.dumps({"id": i, "type": "NoteTaken", "stream": f"batch-{index}", "data": {"n": n}}) + "\n"
                                for n, i in enumerate(ids))
                result, _ = self.run_remedy(["append", "--ndjson", "-"], stdin=batch)
                self.note(result, "append --ndjson")
                if result.returncode == 0:
                    with self.lock:
                        self.appended_ids.extend(ids)
            elif choice < 0.75 or not failures:
                runs += 1
                result, _ = self.run_remedy(["ingest", "--suite", suite, "--run", str(runs), "--json", self.report(runs)])
                self.note(result, "ingest")
                if result.returncode == 0:
                    with self.lock:
                        self.ingested_runs.append((suite, str(runs)))
                    failures += json.loads(result.stdout).get("new_failure_ids", [])
            elif choice < 0.85:
                failure = failures[rng.randrange(len(failures))]
                result, _ = self.run_remedy(["diagnose", failure, "--lever", "code", "--target", "src/forecast.py", "--by", f"writer-{index}"])
                self.note(result, "diagnose")
            elif choice < 0.95:
                fixes += 1
                fix = f"fix-w{index}-{fixes}"
                result, _ = self.run_remedy(["propose", failures[0], "--fix", fix, "--change", "a change", "--blast-radius", "low",
                                             "--by", f"writer-{index}"])
                self.note(result, "propose")
                if result.returncode == 0:
                    result, _ = self.run_remedy(["gate", fix])
                    self.note(result, "gate")
            elif choice < 0.97:
                # The loop itself, moving a few queue items through a handler that diagnoses
                # (leases keep two runs off one item).
                result, _ = self.run_remedy(["loop", "run", "--max-items", "2", "--config", self.loop_config()])
                self.note(result, "loop run")
            else:
                result, _ = self.run_remedy(["status", "--json"])
                self.note(result, "status")

    def loop_config(self):
        """A loop config whose diagnose handler answers at once (written once)."""
        config = os.path.join(self.work, "loop.json")
        with self.lock:
            if not os.path.exists(config):
                handler = os.path.join(self.work, "diagnose.sh")
                with open(handler, "w") as out:
                    out.write('#!/bin/sh\ncat > /dev/null\necho \'{"lever": "code", "target": "src/forecast.py"}\'\n')
                os.chmod(handler, 0o755)
                with open(config + ".tmp", "w") as out:
                    json.dump({"handlers": {"diagnose": {"command": [handler], "timeout_s": 30}}, "backoff_s": 0}, out)
                os.rename(config + ".tmp", config)
        return config

    def report(self, run):
        """A JUnit report of 20 cases; which 3 fail changes with the run."""
        path = os.path.join(self.work, f"report-{threading.get_ident()}-{run % 4}.xml")
        if not os.path.exists(path):
            cases = "".join(
                f'<testcase classname="forecast.t{i % 4}" name="case_{i}">'
                + ('<failure message="expected 5, got 4">trace</failure>' if (i + run) % 7 == 0 else "") + "</testcase>"
                for i in range(20))
            with open(path, "w") as out:
                out.write(f'<?xml version="1.0"?><testsuite name="s" tests="20">{cases}</testsuite>\n')
        return path

    # -- readers ----------------------------------------------------------------------------

    def follower(self, deadline):
        process = subprocess.Popen([self.remedy, "events", "--follow", "--ledger", self.ledger], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        expected = 1
        # Ended once the writers are done and it has seen every event the ledger then holds
        # (or 60 s after that, which the check reports as events it never saw).
        def stop_when_caught_up():
            self.writers_done.wait()
            total = json.loads(subprocess.run([self.remedy, "status", "--json", "--ledger", self.ledger],
                                              capture_output=True, text=True).stdout or "{}").get("events", 0)
            ends = time.monotonic() + 60
            while self.followed < total and time.monotonic() < ends:
                time.sleep(0.1)
            self.follow_target = total
            process.terminate()
        timer = threading.Thread(target=stop_when_caught_up)
        timer.start()
        for line in process.stdout:
            try:
                position = json.loads(line)["position"]
            except (ValueError, KeyError):
                self.follow_problems.append(f"unreadable line: {line[:120]}")
                continue
            if position != expected:
                self.follow_problems.append(f"position {position} where {expected} was next")
                expected = position
            expected += 1
            self.followed += 1
        timer.join()
        process.wait()

    def reader(self, index, deadline):
        views = [["guards", "--json"], ["health", "--json"], ["next", "--json"]]
        n = 0
        while time.monotonic() < deadline:
            result, _ = self.run_remedy(views[(index + n) % len(views)])
            n += 1
            with self.lock:
                self.reads += 1
            if result.returncode != 0:
                with self.lock:
                    key = f"{views[(index + n - 1) % len(views)][0]}: exit {result.returncode}"
                    self.errors[key] = self.errors.get(key, 0) + 1
                    if result.returncode == 6 or "locked" in result.stderr:
                        self.busy.append(result.stderr.strip()[:200])

    # -- the soak ---------------------------------------------------------------------------

    def run(self):
        subprocess.run([self.remedy, "init", "--ledger", self.ledger], check=True, capture_output=True)
        deadline = time.monotonic() + self.args.seconds
        writers = [threading.Thread(target=self.writer, args=(i, deadline)) for i in range(self.args.writers)]
        threads = list(writers)
        threads.append(threading.Thread(target=self.follower, args=(deadline,)))
        threads += [threading.Thread(target=self.reader, args=(i, deadline)) for i in range(self.args.readers - 1)]
        for thread in threads:
            thread.start()
        for thread in writers:
            thread.join()
        self.writers_done.set()
        for thread in threads:
            thread.join()
        return self.check()

    def check(self):
        problems = []
        events = subprocess.run([self.remedy, "events", "--ledger", self.ledger], capture_output=True, text=True, check=True).stdout
        stored = [json.loads(line) for line in events.splitlines() if line.strip()]
        ids = {}
        for event in stored:
            ids[event["id"]] = ids.get(event["id"], 0) + 1
        lost = [i for i in self.appended_ids if i not in ids]
        doubled = [i for i in self.appended_ids if ids.get(i, 0) > 1]
        if lost:
            problems.append(f"{len(lost)} acknowledged events are missing, e.g. {lost[0]}")
        if doubled:
            problems.append(f"{len(doubled)} acknowledged events are stored more than once")
        completed = {(e["data"]["suite"], e["data"]["run_id"]) for e in stored if e["type"] == "EvalRunCompleted"}
        missing_runs = [r for r in self.ingested_runs if r not in completed]
        if missing_runs:
            problems.append(f"{len(missing_runs)} acknowledged runs are not completed, e.g. {missing_runs[0]}")
        verify = subprocess.run([self.remedy, "verify", "--ledger", self.ledger], capture_output=True, text=True)
        if verify.returncode != 0:
            problems.append(f"verify failed: {verify.stderr.strip()}")
        if self.busy:
            problems.append(f"{len(self.busy)} commands were refused as busy or locked, e.g. {self.busy[0]}")
        problems += [f"follower: {p}" for p in self.follow_problems[:5]]
        if self.followed > len(stored):
            problems.append(f"the follower saw {self.followed} events, the ledger holds {len(stored)}")
        elif self.followed < self.follow_target:
            problems.append(f"the follower saw {self.followed} of the {self.follow_target} events the writers left, 60 s after they were done")
        latencies = sorted(self.latencies)
        p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else float("nan")
        backend = "PostgreSQL" if self.args.postgres else "SQLite"
        print(f"soak on {backend}: {self.args.writers} writers, {self.args.readers} readers, {self.args.seconds} s")
        print(f"writes {self.writes}, acknowledged appends {len(self.appended_ids)} (found {len(self.appended_ids) - len(lost)}), "
              f"acknowledged ingests {len(self.ingested_runs)}, reads {self.reads}, events followed {self.followed} of {len(stored)}")
        print(f"non-zero exits by kind (8: the loop refused the step; 10, 11: the gate said review, block): "
              f"{json.dumps(self.errors, sort_keys=True) if self.errors else 'none'}")
        print(f"append latency under load: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        for problem in problems:
            print(f"anomaly: {problem}")
        print(f"{len(problems)} anomalies (work {self.work})")
        return 0 if not problems else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--remedy", required=True)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--postgres")
    parser.add_argument("--work")
    args = parser.parse_args()
    sys.exit(Soak(args).run())
