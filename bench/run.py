#!/usr/bin/env python3
"""Benchmark `promptc build` on generated projects.

    python bench/run.py [--sizes 1000,10000] [--workdir bench/work] [--lock-mode bump|delete]

For each size: generate a project (bench/generate.py) into the work directory, then run
the `promptc` CLI as a child process for each step and measure its wall time, CPU time
and peak resident memory (from the child's own rusage, via os.wait4):

  startup       `promptc --version`: interpreter start and imports, no compiling
  cold          `promptc build` with .promptc/cache, dist/ and promptc.lock removed
  no-op         `promptc build` again, nothing changed
  no-op again   once more: the run the no-op index (.promptc/noop) answers
  edit prompt   one message line changed in a prompt module nothing imports
  edit library  one fragment line changed in the library module most prompts depend on

An edit changes prompt hashes, and the lockfile refuses a new hash under an old version.
With `--lock-mode bump` (the default) the runner raises the patch version in the front
matter of every prompt the edit reaches, as a user would; those files count as changed.
With `--lock-mode delete` it deletes promptc.lock before each edit rebuild instead, so
exactly one file changes.

Prints a Markdown table on stdout and writes bench/results.json. Progress goes to stderr
only when stderr is a terminal. Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (bench/generate.py)

VERSION_LINE = re.compile(r"^version: (\d+)\.(\d+)\.(\d+)[ \t]*$", re.M)


@dataclass
class Measure:
    modules: int
    step: str
    files_changed: int
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    exit_code: int
    lock_updated: bool
    note: str = ""
    generate_s: float = 0.0  # time to generate the project (not a promptc figure)


class Progress:
    def __init__(self) -> None:
        self.on = sys.stderr.isatty()

    def __call__(self, msg: str) -> None:
        if self.on:
            print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def find_promptc(explicit: str | None) -> list[str]:
    """The CLI to run: --promptc, else the entry point next to this Python, else PATH."""
    if explicit:
        return explicit.split()
    beside = Path(sys.executable).parent / "promptc"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]  # no pyenv/venv shim in between: the child is promptc itself
    found = shutil.which("promptc")
    if found:
        return [found]
    return [sys.executable, "-m", "promptc.cli"]


def run_child(cmd: list[str], cwd: Path, log: Path, timeout: float | None) -> tuple[int, float, float, float, str]:
    """Run `cmd`; return (exit code, wall s, user+sys CPU s, peak RSS MiB, stderr text).

    The child's rusage comes from os.wait4 on its pid, so it covers that process only
    (ru_maxrss survives exec, so a launcher that execs Python is still measured right).
    """
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted or terminated: do not leave the build running
            proc.kill()
            proc.wait()
            raise
        finally:
            if timer:
                timer.cancel()
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped here, not by Popen
    maxrss_kib = ru.ru_maxrss / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS
    text = log.read_text(encoding="utf-8", errors="replace")
    return code, wall, ru.ru_utime + ru.ru_stime, maxrss_kib / 1024, text


def edit_marker(path: Path, marker: str, round_: int) -> None:
    text = path.read_text(encoding="utf-8")
    if marker not in text:
        raise SystemExit(f"bench: marker {marker!r} not found in {path}")
    path.write_text(text.replace(marker, f"{marker} (edited by bench, round {round_})", 1), encoding="utf-8")


def bump_patch(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    new, n = VERSION_LINE.subn(lambda m: f"version: {m[1]}.{m[2]}.{int(m[3]) + 1}", text, count=1)
    if n != 1:
        raise SystemExit(f"bench: no `version: X.Y.Z` line in {path}")
    path.write_text(new, encoding="utf-8")


def bench_size(n: int, args, cli: list[str], progress: Progress) -> list[Measure]:
    project = args.workdir / f"p{n}"
    logs = args.workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    progress(f"{n} modules: generating into {project}")
    t0 = time.perf_counter()
    manifest = generate.generate(project, n, args.seed)
    gen_s = time.perf_counter() - t0
    progress(f"{n} modules: generated in {gen_s:.1f} s")
    by_module = {p["module"]: p["path"] for p in manifest["prompts"]}
    results: list[Measure] = []

    def step(name: str, argv: list[str], files_changed: int, note: str = "") -> Measure:
        progress(f"{n} modules: {name} …")
        log = logs / f"p{n}-{name.replace(' ', '-')}.log"
        code, wall, cpu, rss, text = run_child(cli + argv, project, log, args.timeout)
        m = Measure(n, name, files_changed, round(wall, 3), round(cpu, 3), round(rss, 1), code,
                    "promptc.lock updated" in text, note)
        results.append(m)
        progress(f"{n} modules: {name}: {wall:.2f} s wall, {cpu:.2f} s CPU, {rss:.0f} MiB, exit {code}")
        if code != 0:
            tail = "\n".join(text.splitlines()[-30:])
            why = f"killed after --timeout {args.timeout:g} s" if code < 0 and args.timeout and wall >= args.timeout \
                else f"exit {code}"
            m.note = (m.note + "; " if m.note else "") + why
            print(f"bench: `promptc {' '.join(argv)}` failed for {n} modules ({why}); log {log}:\n{tail}",
                  file=sys.stderr)
        return m

    step("startup", ["--version"], 0, "interpreter start + imports, no compile")

    for sub in (".promptc", "dist"):
        shutil.rmtree(project / sub, ignore_errors=True)
    (project / "promptc.lock").unlink(missing_ok=True)
    if step("cold", ["build", "."], n, "no cache, no dist/, no promptc.lock").exit_code != 0:
        return _finish(results, gen_s)
    if step("no-op", ["build", "."], 0, "nothing changed").exit_code != 0:
        return _finish(results, gen_s)
    step("no-op again", ["build", "."], 0, "nothing changed since a no-op (answered from .promptc/noop)")

    for round_, (kind, label) in enumerate((("prompt", "edit prompt"), ("library", "edit library")), 1):
        target = manifest["edit_targets"][kind]
        edit_marker(project / target["path"], target["marker"], round_)
        changed = 1
        affected = target["affected"]
        if args.lock_mode == "bump":
            for name in affected:
                bump_patch(project / by_module[name])
            changed += len(affected) if kind == "library" else 0  # an edited prompt is bumped in place
            note = f"{target['module']}; {len(affected)} prompt(s) reached, patch versions bumped"
        else:
            (project / "promptc.lock").unlink(missing_ok=True)
            note = f"{target['module']}; {len(affected)} prompt(s) reached; promptc.lock deleted first"
        if step(label, ["build", "."], changed, note).exit_code != 0:
            break
    return _finish(results, gen_s)


def _finish(results: list[Measure], gen_s: float) -> list[Measure]:
    for m in results:
        m.generate_s = round(gen_s, 2)
    return results


def table(results: list[Measure]) -> str:
    rows = ["| modules | step | files changed | wall (s) | CPU (s) | peak RSS (MiB) | exit | lock updated |",
            "|--:|---|--:|--:|--:|--:|--:|---|"]
    for m in results:
        rows.append(f"| {m.modules:,} | {m.step} | {m.files_changed:,} | {m.wall_s:.2f} | {m.cpu_s:.2f} | "
                    f"{m.peak_rss_mib:.0f} | {m.exit_code} | {'yes' if m.lock_updated else 'no'} |")
    return "\n".join(rows)


def environment(cli: list[str]) -> dict:
    try:
        version = subprocess.run(cli + ["--version"], capture_output=True, text=True, timeout=120).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        version = "unknown"
    try:
        module = subprocess.run([sys.executable, "-c", "import promptc; print(promptc.__file__)"],
                                capture_output=True, text=True, timeout=120).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        module = None
    return {"promptc": version, "command": cli, "promptc_module": module, "pythonpath": os.environ.get("PYTHONPATH"),
            "git": _git_state(), "python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def _git_state() -> dict | None:
    """The checkout's commit and whether src/ has uncommitted changes (read-only git calls)."""
    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], cwd=HERE.parent, capture_output=True, text=True, timeout=30,
                              check=True).stdout.strip()
    try:
        return {"head": git("rev-parse", "HEAD"), "src_dirty": bool(git("status", "--porcelain", "--", "src"))}
    except (OSError, subprocess.SubprocessError):
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated module counts (default 1000,10000)")
    ap.add_argument("--workdir", type=Path, default=HERE / "work",
                    help="where projects are generated (default bench/work, git-ignored)")
    ap.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    ap.add_argument("--lock-mode", choices=("bump", "delete"), default="bump",
                    help="how edit rebuilds satisfy the lockfile version rules (default bump)")
    ap.add_argument("--timeout", type=float, default=None, help="kill a promptc run after this many seconds")
    ap.add_argument("--promptc", default=None, help="command to run instead of the promptc next to this Python")
    ap.add_argument("--json", dest="json_out", type=Path, default=HERE / "results.json",
                    help="where to write the results (default bench/results.json)")
    args = ap.parse_args(argv)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        ap.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    if not sizes or min(sizes) < 3:
        ap.error("every size must be at least 3")
    args.workdir = args.workdir.resolve()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so run_child can stop its build
    cli = find_promptc(args.promptc)
    progress = Progress()
    progress(f"promptc command: {' '.join(cli)}; lock mode: {args.lock_mode}")

    results: list[Measure] = []
    failed = False
    for n in sizes:
        got = bench_size(n, args, cli, progress)
        results.extend(got)
        failed |= any(m.exit_code != 0 for m in got)

    lock_note = ("edit rows: the patch version of every prompt the edit reaches was bumped (counted in files changed)"
                 if args.lock_mode == "bump" else
                 "edit rows: promptc.lock was deleted before each edit rebuild (so the lock is rewritten from scratch)")
    print(table(results))
    print()
    print(f"Lock mode `{args.lock_mode}`: {lock_note}.")
    for n in sizes:
        gen = next((m.generate_s for m in results if m.modules == n), None)
        notes = "; ".join(f"{m.step}: {m.note}" for m in results if m.modules == n and m.step.startswith("edit"))
        print(f"- {n:,} modules: generated in {gen} s. {notes}")
    payload = {"format": "promptc-bench-results/v1", "environment": environment(cli), "lock_mode": args.lock_mode,
               "seed": args.seed, "results": [asdict(m) for m in results]}
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    progress(f"wrote {args.json_out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
