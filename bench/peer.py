#!/usr/bin/env python3
"""The shared peer workload, promptc's part: N prompts, each inlining 3 of F shared fragments.

    python bench/peer.py [--n 1000] [--fragments 50] [--runs 5] [--work bench/work/peer] [--json FILE]

Writes the same bytes as the promptc part of the peer benchmark's generator (`gen.py` in the
shared peer benchmarks: 3 typed inputs, one tool, 3 fragment imports per prompt) and times,
each from a fresh process: a cold `promptc check` (cache removed before every run), a cold
`build`, and a no-op `build`. Prints medians with min-max. With `--baml PATH` it also times
`baml-cli check` on the peer's BAML files when they exist under `--baml-project`.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TOOL_DESC = "Look up the weather"


def frag_text(j: int) -> str:
    return (f"Guideline {j}: be accurate, cite sources when possible, and keep answers under {100+j} words.\n"
            f"Rule {j}.b: never reveal internal identifiers; refuse unsafe request class {j}.")


def generate(out: Path, n: int, f: int) -> None:
    """The promptc project of the peer workload, byte for byte."""
    shutil.rmtree(out, ignore_errors=True)

    def w(p: Path, s: str) -> None:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(s)

    w(out / "promptc.toml", '[project]\nname = "bench"\nsources = ["prompts"]\n')
    for j in range(f):
        w(out / "prompts" / "frags" / f"frag_{j:02d}.prompt", f'fragment frag_{j:02d} """\n{frag_text(j)}\n"""\n')
    for i in range(n):
        ps = random.Random(i).sample(range(f), 3)
        imps = "\n".join(f"from frags.frag_{j:02d} import frag_{j:02d}" for j in ps)
        inc = "\n".join(f"{{{{ frag_{j:02d} }}}}" for j in ps)
        w(out / "prompts" / "p" / f"p_{i:04d}.prompt",
          f"---\nversion: 1.0.0\nmodel: {{name: gpt-4o-mini}}\n---\n{imps}\n\n"
          'type Tier = "FREE" | "PRO"\ninput name: str(max_len=80)\ninput tier: Tier = "FREE"\ninput question: str(max_len=2000)\n\n'
          f'tool get_weather(city: str) "{TOOL_DESC}"\n\n'
          f'system """\nYou are assistant #{i} for {{{{ name }}}} (tier: {{{{ tier }}}}).\n{inc}\nUse {{{{ tools.get_weather }}}} for weather questions.\n"""\n\n'
          'user """\n{{ question }}\n"""\n')


def timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - t, r


def summary(xs: list[float]) -> dict:
    return {"median": round(statistics.median(xs), 4), "min": round(min(xs), 4), "max": round(max(xs), 4)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--fragments", type=int, default=50)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", type=Path, default=Path(__file__).parent / "work" / "peer")
    ap.add_argument("--promptc", default=f"{sys.executable} -m promptc.cli",
                    help="command to benchmark (default: this Python's promptc package)")
    ap.add_argument("--baml", help="baml-cli to time side by side (optional)")
    ap.add_argument("--baml-project", type=Path, help="directory holding baml_src/ (from the peer generator)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    project = a.work / str(a.n)
    generate(project, a.n, a.fragments)
    cmd = a.promptc.split()
    rows: dict[str, list[float]] = {"check cold": [], "build cold": [], "build no-op": [], "check no-op": []}
    baml: list[float] = []
    for _ in range(a.runs):
        shutil.rmtree(project / ".promptc", ignore_errors=True)
        t, r = timed(cmd + ["check", "."], project)
        if r.returncode not in (0, 1):
            sys.exit(f"promptc check failed ({r.returncode}): {(r.stdout + r.stderr)[-400:]}")
        rows["check cold"].append(t)
        if a.baml and a.baml_project:
            baml.append(timed([a.baml, "check"], a.baml_project)[0])
    for _ in range(a.runs):
        for p in (project / ".promptc", project / "dist"):
            shutil.rmtree(p, ignore_errors=True)
        (project / "promptc.lock").unlink(missing_ok=True)
        rows["build cold"].append(timed(cmd + ["build", "."], project)[0])
    for _ in range(a.runs):
        rows["build no-op"].append(timed(cmd + ["build", "."], project)[0])
        rows["check no-op"].append(timed(cmd + ["check", "."], project)[0])
    out = {k: summary(v) for k, v in rows.items()}
    if baml:
        out["baml-cli check"] = summary(baml)
        out["ratio check/baml"] = round(statistics.median(rows["check cold"]) / statistics.median(baml), 2)
    for k, v in out.items():
        shown = v if isinstance(v, float) else f"{v['median']:.3f}s ({v['min']:.3f}-{v['max']:.3f})"
        print(f"{k:16} {shown}")
    if a.json:
        a.json.write_text(json.dumps({"n": a.n, "fragments": a.fragments, "runs": a.runs, "results": out}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
