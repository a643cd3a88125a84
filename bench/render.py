"""Render time per message for both runtimes, on the example project's bundles.

    python bench/render.py [N]

Builds examples/support-desk into a temporary directory, then renders each bundle N times
(default 5,000; median of 5 runs) with the Python runtime in this process and with the
JavaScript runtime under node (bench/render.mjs), and prints a Markdown table. Input
validation is part of each render, as in production; the IR walk alone is shown too.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from promptc import driver
from promptc.runtime import load
from promptc.runtime.render import render_content

ROOT = Path(__file__).resolve().parents[1]
CASES = [("support.answer", "answer.json"), ("sales.outreach", "outreach.json")]


def python_times(path: Path, inputs: dict, n: int) -> dict:
    start = time.perf_counter()
    bundle = load(path)
    load_ms = (time.perf_counter() - start) * 1000
    messages = len(bundle.render(inputs).messages)
    runs, walks = [], []
    values = {**{k: v.get("default") for k, v in bundle.spec["inputs"]["properties"].items()}, **inputs}
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            bundle.render(inputs)
        runs.append((time.perf_counter() - t) / n * 1e6)
        t = time.perf_counter()
        for _ in range(n):
            for m in bundle.spec["messages"]:
                render_content(m["content"], values)
        walks.append((time.perf_counter() - t) / n * 1e6)
    per_call = statistics.median(runs)
    return {"runtime": "python", "load_ms": round(load_ms, 2), "messages": messages,
            "us_per_render": round(per_call, 1), "us_per_message": round(per_call / messages, 1),
            "us_per_message_ir_only": round(statistics.median(walks) / messages, 1)}


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        project_dir = Path(tmp) / "support-desk"
        shutil.copytree(ROOT / "examples" / "support-desk", project_dir,
                        ignore=shutil.ignore_patterns("dist", ".promptc"))
        result = driver.build(driver.open_project(project_dir))
        assert result.ok, [d.message for d in result.diagnostics]
        index = json.loads((project_dir / "dist" / "index.json").read_text())
        print("| bundle | runtime | messages | load (ms) | µs per render | µs per message |")
        print("|---|---|--:|--:|--:|--:|")
        for name, inputs_file in CASES:
            path = project_dir / "dist" / index["bundles"][name]["file"]
            inputs_path = project_dir / "inputs" / inputs_file
            rows = [python_times(path, json.loads(inputs_path.read_text()), n)]
            if shutil.which("node"):
                out = subprocess.run(["node", str(ROOT / "bench" / "render.mjs"), str(path), str(inputs_path), str(n)],
                                     capture_output=True, text=True, check=True).stdout
                rows.append(json.loads(out))
            for r in rows:
                extra = f" (IR walk alone {r['us_per_message_ir_only']})" if "us_per_message_ir_only" in r else ""
                print(f"| {name} | {r['runtime']} | {r['messages']} | {r['load_ms']} | {r['us_per_render']} | "
                      f"{r['us_per_message']}{extra} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
