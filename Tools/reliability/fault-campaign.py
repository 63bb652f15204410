#!/usr/bin/env python3
"""Full disks, I/O errors and lost servers: run remedy's writing commands into faults injected
at seeded moments, then check the ledger kept exactly what was acknowledged.

    Tools/reliability/fault-campaign.py --remedy .build/release/remedy [--rounds 10] [--seed 1]
        [--faults disk-full,export-full,read-only,vanished,pg-stop,pg-disk-full] [--work DIR]

Faults, each `--rounds` times:

- `disk-full`: the ledger lives on a small filesystem (a tmpfs the campaign mounts when it may,
  else the file size limit `ulimit -f` stands in for it, which SQLite sees as an I/O error)
  filled to a seeded number of bytes short of full; `append --ndjson` of 20,000 events and
  `ingest` of a 3,000-case report run into it.
- `export-full`: `export` and `backup` write into a nearly full folder.
- `read-only`: the ledger file and its folder are made read-only at a seeded moment during an
  `append --ndjson` (remedy runs as an unprivileged user: root ignores file modes).
- `vanished`: the ledger's folder is moved away, or the output folder of an `export` removed,
  at a seeded moment.
- `pg-disk-full`: a PostgreSQL server of the campaign's own with its data folder on a small
  tmpfs (root only) filled to a seeded distance from full before `append --ndjson`; a server
  that stopped for want of space is restarted once space is back.
- `pg-stop`: a PostgreSQL server of the campaign's own (loopback, `Tools/postgres-server`) is
  stopped with `pg_ctl stop -m immediate` at a seeded moment during an `append --ndjson` while
  single appends run beside it, then started again.

After each fault: the command exited 0 having done all of its work, or failed with a
documented exit code (7 storage, 5 unusable ledger or unreachable server) and one line on
standard error naming the problem, having done none of it; no process died of a signal;
`remedy verify` passes; every acknowledged write is there exactly once; no file is left behind
but finished ones; and once the fault is gone, the same command succeeds without a manual
step.

It prints one line per anomaly and a summary, "N faults, M anomalies", and exits 0 when there
are none. Loopback only; everything is written under the work folder (printed).
"""
import argparse
import json
import os
import pwd
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
POSTGRES_SERVER = os.path.join(ROOT, "Tools/postgres-server/postgres-server.sh")

# What a failed command may exit with: the ledger unusable (read-only, missing, its server
# unreachable) and storage (the disk, an I/O error) (README, Exit codes).
CLEAN_FAILURES = {5, 7}


class Campaign:
    def __init__(self, args):
        self.remedy = os.path.abspath(args.remedy)
        self.rng = random.Random(args.seed)
        self.seed = args.seed
        self.rounds = args.rounds
        self.work = os.path.abspath(args.work or tempfile.mkdtemp(prefix="remedy-faults-"))
        os.makedirs(self.work, exist_ok=True)
        os.chmod(self.work, 0o755)
        self.faults = 0
        self.anomalies = []
        self.outcomes = {}
        self.messages = {}
        self.mounted = []
        self.root = os.geteuid() == 0
        # Root ignores file modes: the read-only fault runs remedy as `nobody`.
        self.user = pwd.getpwnam("nobody") if self.root else None
        self.inputs = os.path.join(self.work, "inputs")
        os.makedirs(self.inputs, exist_ok=True)
        os.chmod(self.inputs, 0o755)

    # -- running remedy -------------------------------------------------------------------

    def run_remedy(self, arguments, limit_bytes=None, as_user=False):
        return subprocess.run(self.command_line(arguments, limit_bytes), capture_output=True, text=True,
                              preexec_fn=self.demote if as_user else None)

    def start_remedy(self, arguments, limit_bytes=None, as_user=False):
        return subprocess.Popen(self.command_line(arguments, limit_bytes), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, preexec_fn=self.demote if as_user else None)

    def command_line(self, arguments, limit_bytes):
        if limit_bytes is None:
            return [self.remedy] + arguments
        # The file size limit, with SIGXFSZ ignored so that a write past it fails with EFBIG.
        blocks = max(1, limit_bytes // 512)
        return ["/bin/sh", "-c", f"trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\"", self.remedy] + arguments

    def demote(self):
        if self.user:
            os.setgid(self.user.pw_gid)
            os.setuid(self.user.pw_uid)

    def must(self, arguments, as_user=False):
        result = self.run_remedy(arguments, as_user=as_user)
        if result.returncode != 0:
            raise RuntimeError(f"remedy {' '.join(arguments)} exited {result.returncode}: {result.stderr.strip()}")
        return result.stdout

    def count(self, ledger, as_user=False):
        return json.loads(self.must(["status", "--json", "--ledger", ledger], as_user=as_user))["events"]

    def anomaly(self, fault, seed, text):
        line = f"anomaly: {fault} (fault {self.faults}, seed {seed}): {text}"
        print(line, flush=True)
        self.anomalies.append(line)

    def judge(self, fault, seed, result, done, none):
        """A command hit by a fault did all of its work (exit 0) or none (a documented exit
        code, one line on standard error)."""
        status = result.returncode
        stderr = result.stderr.strip() if isinstance(result.stderr, str) else result.stderr
        self.outcomes[(fault, status)] = self.outcomes.get((fault, status), 0) + 1
        if status != 0:
            self.messages.setdefault(fault, stderr)
        if status < 0:
            self.anomaly(fault, seed, f"remedy died of signal {-status}")
        elif status == 0:
            if not done():
                self.anomaly(fault, seed, "exited 0 without doing all of its work")
        else:
            if status not in CLEAN_FAILURES:
                self.anomaly(fault, seed, f"exited {status}, not one of {sorted(CLEAN_FAILURES)}: {stderr}")
            if len(stderr.splitlines()) != 1 or not stderr.startswith("remedy: "):
                self.anomaly(fault, seed, f"not one clear line on standard error: {stderr!r}")
            if not none():
                self.anomaly(fault, seed, f"failed ({status}) but did part of its work")
        return status

    def verify(self, fault, seed, ledger, as_user=False):
        result = self.run_remedy(["verify", "--ledger", ledger], as_user=as_user)
        if result.returncode != 0:
            self.anomaly(fault, seed, f"verify failed: {result.stderr.strip()}")

    def leftovers(self, fault, seed, folder, allowed):
        extra = sorted(f for f in os.listdir(folder) if f not in allowed and not f.endswith(("-wal", "-shm")))
        if extra:
            self.anomaly(fault, seed, f"left in {os.path.basename(folder)}: {extra}")

    # -- inputs ---------------------------------------------------------------------------

    def batch(self, events=20000, tag=None):
        """A batch of NoteTaken events with fresh ids (a tag of its own)."""
        tag = tag or uuid.uuid4().hex[:12]
        path = os.path.join(self.inputs, f"batch-{tag}.ndjson")
        with open(path, "w") as out:
            for n in range(events):
                out.write(json.dumps({"type": "NoteTaken", "stream": f"notes-{n % 50}", "data": {"n": n, "tag": tag, "text": "x" * 200}}) + "\n")
        os.chmod(path, 0o644)
        return path

    def report(self):
        path = os.path.join(self.inputs, "report.xml")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(ROOT, "Tools/fixtures/make-large-reports.py"), "junit", "3000", "5", path], check=True)
            os.chmod(path, 0o644)
        return path

    # -- a small filesystem ---------------------------------------------------------------

    def small_folder(self, name, size_mb):
        """A folder on a filesystem of `size_mb`: a tmpfs when the campaign may mount one
        (returns None for the size limit), else an ordinary folder (returns the byte limit
        the commands get instead)."""
        folder = os.path.join(self.work, name)
        os.makedirs(folder, exist_ok=True)
        if self.root and subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", folder],
                                        capture_output=True).returncode == 0:
            self.mounted.append(folder)
            return folder, None
        return folder, size_mb << 20

    def fill(self, folder, leave):
        """Fill `folder`'s filesystem until `leave` bytes are free."""
        filler = os.path.join(folder, "filler")
        stat = os.statvfs(folder)
        free = stat.f_bavail * stat.f_frsize + (os.path.getsize(filler) if os.path.exists(filler) else 0)
        with open(filler, "wb") as out:
            out.write(b"\0" * max(0, free - leave))
        return filler

    def unmount_all(self):
        for folder in reversed(self.mounted):
            subprocess.run(["umount", "-l", folder], capture_output=True)

    # -- faults ---------------------------------------------------------------------------

    def disk_full(self, round_seed):
        """`append --ndjson` and `ingest` into a disk that fills up mid-batch."""
        rng = random.Random(round_seed)
        folder, limit = self.small_folder(f"disk-{self.faults}", 48)
        ledger = os.path.join(folder, "ledger.db")
        self.must(["init", "--ledger", ledger])
        self.must(["append", "--ledger", ledger, "--ndjson", self.batch(2000)])
        for command in ("append", "ingest"):
            self.faults += 1
            before = self.count(ledger)
            space = rng.randrange(64 << 10, 4 << 20)
            if command == "append":
                arguments = ["append", "--ledger", ledger, "--ndjson", self.batch()]
                whole = 20000
            else:
                arguments = ["ingest", "--ledger", ledger, "--suite", "golden", "--run", f"r{self.faults}", self.report()]
                whole = None
            if limit is None:
                filler = self.fill(folder, space)
                result = self.run_remedy(arguments)
            else:
                filler = None
                result = self.run_remedy(arguments, limit_bytes=os.path.getsize(ledger) + space)
            after = self.count(ledger)
            self.judge("disk-full " + command, round_seed, result,
                       done=lambda: whole is None and after > before or after - before == whole,
                       none=lambda: after == before)
            if filler:
                os.remove(filler)
            self.verify("disk-full " + command, round_seed, ledger)
            again = self.run_remedy(arguments)
            if again.returncode != 0:
                self.anomaly("disk-full " + command, round_seed, f"with space again, it failed ({again.returncode}): {again.stderr.strip()}")
            self.leftovers("disk-full " + command, round_seed, folder, {"ledger.db"})

    def export_full(self, round_seed):
        """`export` and `backup` into a folder that fills up."""
        rng = random.Random(round_seed)
        ledger = self.shared_ledger()
        folder, limit = self.small_folder(f"out-{self.faults}", 48)
        for command, name in (("export", "audit.tar.gz"), ("backup", "backup.db")):
            self.faults += 1
            before = self.count(ledger)
            target = os.path.join(folder, name)
            arguments = [command, "--ledger", ledger, "--out", target]
            space = rng.randrange(0, self.output_size[command] * 11 // 10)
            filler = self.fill(folder, space) if limit is None else None
            result = self.run_remedy(arguments, limit_bytes=None if limit is None else space)
            self.judge(command + " into a full folder", round_seed, result,
                       done=lambda: os.path.exists(target), none=lambda: not os.path.exists(target))
            if self.count(ledger) != before:
                self.anomaly(command + " into a full folder", round_seed, "the ledger changed")
            if filler:
                os.remove(filler)
            self.leftovers(command + " into a full folder", round_seed, folder, {name})
            if os.path.exists(target):
                os.remove(target)
            again = self.run_remedy(arguments)
            if again.returncode != 0:
                self.anomaly(command + " into a full folder", round_seed, f"with space again, it failed: {again.stderr.strip()}")
            elif command == "export":
                bundle = self.run_remedy(["verify-bundle", target, "--key", self.verifier])
                if bundle.returncode != 0:
                    self.anomaly("export into a full folder", round_seed, f"the bundle does not verify: {bundle.stderr.strip()}")
            if os.path.exists(target):
                os.remove(target)

    def shared_ledger(self):
        ledger = os.path.join(self.work, "shared", "ledger.db")
        if not os.path.exists(ledger):
            os.makedirs(os.path.dirname(ledger), exist_ok=True)
            self.must(["init", "--ledger", ledger])
            self.must(["append", "--ledger", ledger, "--ndjson", self.batch(20000)])
            self.must(["ingest", "--ledger", ledger, "--suite", "golden", "--run", "1", self.report()])
            key = os.path.join(self.inputs, "remedy.key")
            self.verifier = self.must(["key", "generate", "--ledger", ledger, "--out", key]).strip().split()[-1]
            self.must(["checkpoint", "--ledger", ledger, "--key", key])
            # What each output takes, so that the space left falls short of it by a seeded amount.
            sample = os.path.join(self.inputs, "sample.tar.gz")
            self.must(["export", "--ledger", ledger, "--out", sample])
            self.output_size = {"export": os.path.getsize(sample), "backup": os.path.getsize(ledger)}
            os.remove(sample)
        return ledger

    def read_only(self, round_seed):
        """The ledger file and folder made read-only while `append --ndjson` runs."""
        self.faults += 1
        rng = random.Random(round_seed)
        folder = os.path.join(self.work, f"ro-{self.faults}")
        os.makedirs(folder)
        if self.user:
            os.chown(folder, self.user.pw_uid, self.user.pw_gid)
        ledger = os.path.join(folder, "ledger.db")
        self.must(["init", "--ledger", ledger], as_user=True)
        self.must(["append", "--ledger", ledger, "--ndjson", self.batch(2000)], as_user=True)
        before = self.count(ledger, as_user=True)
        arguments = ["append", "--ledger", ledger, "--ndjson", self.batch()]
        process = self.start_remedy(arguments, as_user=True)
        time.sleep(rng.uniform(0, 1.5))
        os.chmod(ledger, 0o444)
        os.chmod(folder, 0o555)
        stdout, stderr = process.communicate()
        result = subprocess.CompletedProcess(arguments, process.returncode, stdout, stderr)
        after = self.count(ledger, as_user=True)
        self.judge("read-only", round_seed, result, done=lambda: after - before == 20000, none=lambda: after == before)
        # While read-only: a write is refused clearly (5), a read works, nothing changes.
        refused = self.run_remedy(["append", "--ledger", ledger, "--type", "NoteTaken", "--stream", "notes-0", "--data", "{}"], as_user=True)
        if refused.returncode != 5:
            self.anomaly("read-only", round_seed, f"an append into a read-only ledger exited {refused.returncode}: {refused.stderr.strip()}")
        self.verify("read-only", round_seed, ledger, as_user=True)
        if self.count(ledger, as_user=True) != after:
            self.anomaly("read-only", round_seed, "the read-only ledger changed")
        os.chmod(folder, 0o755)
        os.chmod(ledger, 0o644)
        again = self.run_remedy(["append", "--ledger", ledger, "--type", "NoteTaken", "--stream", "notes-0", "--data", "{}"], as_user=True)
        if again.returncode != 0:
            self.anomaly("read-only", round_seed, f"writable again, an append failed: {again.stderr.strip()}")
        self.leftovers("read-only", round_seed, folder, {"ledger.db"})

    def vanished(self, round_seed):
        """The ledger's folder moved away mid-append; an export's output folder removed."""
        rng = random.Random(round_seed)
        self.faults += 1
        folder = os.path.join(self.work, f"gone-{self.faults}")
        os.makedirs(folder)
        ledger = os.path.join(folder, "ledger.db")
        self.must(["init", "--ledger", ledger])
        before = self.count(ledger)
        process = self.start_remedy(["append", "--ledger", ledger, "--ndjson", self.batch()])
        time.sleep(rng.uniform(0, 1.5))
        moved = folder + "-moved"
        os.rename(folder, moved)
        stdout, stderr = process.communicate()
        result = subprocess.CompletedProcess([], process.returncode, stdout, stderr)
        moved_ledger = os.path.join(moved, "ledger.db")
        after = self.count(moved_ledger)
        self.judge("vanished ledger folder", round_seed, result, done=lambda: after - before == 20000, none=lambda: after == before)
        self.verify("vanished ledger folder", round_seed, moved_ledger)
        if os.path.exists(folder):
            self.anomaly("vanished ledger folder", round_seed, f"remedy re-created {folder}: {os.listdir(folder)}")
        missing = self.run_remedy(["append", "--ledger", ledger, "--type", "NoteTaken", "--stream", "notes-0", "--data", "{}"])
        if missing.returncode != 5:
            self.anomaly("vanished ledger folder", round_seed, f"an append into the vanished folder exited {missing.returncode}: {missing.stderr.strip()}")
        self.leftovers("vanished ledger folder", round_seed, moved, {"ledger.db"})

        # Removed outright: the ledger is gone with it, but remedy ends cleanly and does not
        # re-create the folder.
        self.faults += 1
        removed = os.path.join(self.work, f"removed-{self.faults}")
        os.makedirs(removed)
        ledger = os.path.join(removed, "ledger.db")
        self.must(["init", "--ledger", ledger])
        process = self.start_remedy(["append", "--ledger", ledger, "--ndjson", self.batch()])
        time.sleep(rng.uniform(0, 1.5))
        shutil.rmtree(removed)
        stdout, stderr = process.communicate()
        self.judge("removed ledger folder", round_seed, subprocess.CompletedProcess([], process.returncode, stdout, stderr),
                   done=lambda: True, none=lambda: True)
        if os.path.exists(removed):
            self.anomaly("removed ledger folder", round_seed, f"remedy re-created {removed}: {os.listdir(removed)}")

        self.faults += 1
        out = os.path.join(self.work, f"gone-out-{self.faults}")
        os.makedirs(out)
        source = self.shared_ledger()
        target = os.path.join(out, "audit.tar.gz")
        process = self.start_remedy(["export", "--ledger", source, "--out", target])
        time.sleep(rng.uniform(0, 1.0))
        shutil.rmtree(out)
        stdout, stderr = process.communicate()
        result = subprocess.CompletedProcess([], process.returncode, stdout, stderr)
        self.judge("vanished output folder", round_seed, result, done=lambda: True, none=lambda: not os.path.exists(target))
        if os.path.exists(out):
            self.anomaly("vanished output folder", round_seed, f"remedy re-created {out}: {os.listdir(out)}")

    # -- PostgreSQL -----------------------------------------------------------------------

    def start_postgres(self):
        self.pg_dir = os.path.join(self.work, "postgres")
        self.postgres = subprocess.run([POSTGRES_SERVER, "start", self.pg_dir], check=True, capture_output=True, text=True).stdout.strip()
        self.must(["init", "--ledger", self.postgres])
        # How long a batch takes here, so that the server stops before it ends as often as after.
        started = time.monotonic()
        self.must(["append", "--ledger", self.postgres, "--ndjson", self.batch()])
        self.pg_batch_seconds = time.monotonic() - started

    def stop_postgres(self):
        for folder in (getattr(self, "pg_dir", None), getattr(self, "pg_small", None)):
            if folder:
                subprocess.run([POSTGRES_SERVER, "stop", folder], capture_output=True)

    def pg_stop(self, round_seed):
        """The server stopped (`-m immediate`) mid-append while single appends run beside it;
        every append acknowledged before, during and after is there once it is back."""
        self.faults += 1
        rng = random.Random(round_seed)
        if not getattr(self, "postgres", None):
            self.start_postgres()
        ledger = self.postgres
        before = self.count(ledger)
        singles_before = sum(self.found_singles(ledger).values())
        acknowledged, lock, stop = [], threading.Lock(), threading.Event()

        def single_appends():
            while not stop.is_set():
                event_id = str(uuid.uuid4())
                result = self.run_remedy(["append", "--ledger", ledger, "--type", "NoteTaken", "--stream", "singles-1",
                                          "--id", event_id, "--data", json.dumps({"id": event_id})])
                if result.returncode == 0:
                    with lock:
                        acknowledged.append(event_id)
                elif result.returncode < 0 or result.returncode not in CLEAN_FAILURES | {6}:
                    self.anomaly("pg-stop", round_seed, f"a single append exited {result.returncode}: {result.stderr.strip()}")
        writer = threading.Thread(target=single_appends)
        writer.start()
        arguments = ["append", "--ledger", ledger, "--ndjson", self.batch()]
        process = self.start_remedy(arguments)
        time.sleep(rng.uniform(0, 1.2 * self.pg_batch_seconds))
        subprocess.run([POSTGRES_SERVER, "crash", self.pg_dir], check=True, capture_output=True)
        down = time.monotonic()
        stdout, stderr = process.communicate()
        failed_after = time.monotonic() - down
        time.sleep(rng.uniform(0, 1.0))
        subprocess.run([POSTGRES_SERVER, "resume", self.pg_dir], check=True, capture_output=True)
        time.sleep(0.5)
        stop.set()
        writer.join()
        result = subprocess.CompletedProcess(arguments, process.returncode, stdout, stderr)
        after = self.count(ledger)
        singles = self.found_singles(ledger)
        with lock:
            lost = [event_id for event_id in acknowledged if singles.get(event_id) != 1]
        if lost:
            self.anomaly("pg-stop", round_seed, f"{len(lost)} acknowledged single appends missing or doubled, e.g. {lost[0]}")
        batch_events = (after - before) - (sum(singles.values()) - singles_before)
        self.judge("pg-stop", round_seed, result, done=lambda: batch_events == 20000, none=lambda: batch_events == 0)
        if result.returncode != 0 and failed_after > 60:
            self.anomaly("pg-stop", round_seed, f"the batch took {failed_after:.0f} s to fail after the server stopped")
        self.verify("pg-stop", round_seed, ledger)
        again = self.run_remedy(["append", "--ledger", ledger, "--ndjson", self.batch(200)])
        if again.returncode != 0:
            self.anomaly("pg-stop", round_seed, f"with the server back, an append failed: {again.stderr.strip()}")

    def pg_disk_full(self, round_seed):
        """The server's own disk fills mid-append (its data folder on a small tmpfs, root
        only): the server refuses the write (SQLSTATE 53100, exit 7) or, when its WAL cannot be
        written, stops (a lost connection, exit 5); either way nothing of the batch is there,
        and with space again (and the server restarted) the same batch goes in."""
        rng = random.Random(round_seed)
        if not self.root:
            print("pg-disk-full: skipped (mounting a tmpfs for the server needs root)", file=sys.stderr)
            return
        if not getattr(self, "pg_small", None):
            folder, limit = self.small_folder("postgres-small", 320)
            if limit is not None:
                return
            self.pg_small = folder
            address = subprocess.run([POSTGRES_SERVER, "start", folder], check=True, capture_output=True, text=True).stdout.strip()
            self.pg_small_ledger = address
            self.must(["init", "--ledger", address])
        self.faults += 1
        ledger = self.pg_small_ledger
        before = self.count(ledger)
        filler = self.fill(self.pg_small, rng.randrange(0, 24 << 20))
        arguments = ["append", "--ledger", ledger, "--ndjson", self.batch()]
        result = self.run_remedy(arguments)
        os.remove(filler)
        self.server_back(self.pg_small, ledger)
        after = self.count(ledger)
        self.judge("pg-disk-full", round_seed, result, done=lambda: after - before == 20000, none=lambda: after == before)
        self.verify("pg-disk-full", round_seed, ledger)
        again = self.run_remedy(arguments)
        if again.returncode != 0:
            self.anomaly("pg-disk-full", round_seed, f"with space again, the batch failed ({again.returncode}): {again.stderr.strip()}")
        # A new ledger for the next round, and the server's WAL recycled: the small disk holds
        # one round's writes, not all of them.
        subprocess.run(["psql", "-q", ledger.split("?")[0], "-c", "DROP SCHEMA IF EXISTS remedy CASCADE", "-c", "CHECKPOINT"],
                       capture_output=True)
        self.must(["init", "--ledger", ledger])

    def server_back(self, folder, ledger):
        """Waits for a server that stopped for want of space (or is recovering) to take
        connections again, starting it when its postmaster is gone."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.run_remedy(["status", "--json", "--ledger", ledger]).returncode == 0:
                return
            if not os.path.exists(os.path.join(folder, "data", "postmaster.pid")):
                subprocess.run([POSTGRES_SERVER, "resume", folder], capture_output=True)
            time.sleep(0.5)
        raise RuntimeError(f"the PostgreSQL server in {folder} did not come back")

    def found_singles(self, ledger):
        found = {}
        lines = self.must(["events", "--ledger", ledger, "--stream", "singles-1"]).splitlines()
        for line in lines:
            if line.strip():
                event_id = json.loads(line)["id"]
                found[event_id] = found.get(event_id, 0) + 1
        return found

    # -- the campaign ---------------------------------------------------------------------

    def run(self, faults):
        runners = {"disk-full": self.disk_full, "export-full": self.export_full, "read-only": self.read_only,
                   "vanished": self.vanished, "pg-stop": self.pg_stop,
                   "pg-disk-full": self.pg_disk_full}
        started = time.monotonic()
        try:
            for n in range(self.rounds):
                for fault in faults:
                    runners[fault](self.rng.randrange(1 << 30))
                print(f"round {n + 1}: {self.faults} faults, {len(self.anomalies)} anomalies, {time.monotonic() - started:.0f} s",
                      file=sys.stderr, flush=True)
        finally:
            self.stop_postgres()
            self.unmount_all()
        how = "tmpfs" if self.mounted else "file size limit"
        for (fault, status), times in sorted(self.outcomes.items()):
            print(f"{fault}: exit {status} x{times}" + (f" ({self.messages[fault]})" if status and fault in self.messages else ""))
        disk = f"; full disk by {how}" if {"disk-full", "export-full"} & set(faults) else ""
        print(f"{self.faults} faults, {len(self.anomalies)} anomalies ({', '.join(faults)}{disk}; "
              f"seed {self.seed}; work {self.work})")
        return 0 if not self.anomalies else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--remedy", required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", default="disk-full,export-full,read-only,vanished,pg-stop,pg-disk-full")
    parser.add_argument("--work")
    args = parser.parse_args()
    # Stopped early (SIGTERM): still stop the campaign's servers and unmount its filesystems.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    sys.exit(Campaign(args).run(args.faults.split(",")))
