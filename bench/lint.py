"""Time the lint stage alone on a generated project.

    python bench/lint.py bench/work/p1000

Compiles the project once without lint and without the cache (one process), then runs
the configured lint rules over every checked prompt module and reports the time the
rules took: total, per module, and per rule.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from promptc import driver
from promptc.lint import runner
from promptc.lint.document import build_document
from promptc.lint.model import build_model
from promptc.lint.rule import LintContext


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    project = driver.open_project(args.project)
    start = time.perf_counter()
    compiled = driver.compile_project(project, use_cache=False, lint=False, parallel=False)
    compile_s = time.perf_counter() - start
    modules = [m for m in compiled.program.modules.values() if m.is_prompt and m.source and not m.source.path.startswith("<")]
    rules, _ = runner.configure(project.config.lint)
    facts = driver.lint_facts(project)
    per_rule: dict[str, float] = defaultdict(float)
    findings = 0
    start = time.perf_counter()
    model_s = 0.0
    for module in modules:
        t = time.perf_counter()
        models = [build_model(build_document(m)) for m in module.messages]
        model_s += time.perf_counter() - t
        ctx = LintContext(module, models, facts, facts.today)
        for rule in rules:
            t = time.perf_counter()
            findings += len(list(rule.check(ctx)))
            per_rule[rule.code.name] += time.perf_counter() - t
    lint_s = time.perf_counter() - start
    result = {
        "project": str(args.project), "prompt_modules": len(modules), "compile_without_lint_s": round(compile_s, 2),
        "lint_s": round(lint_s, 2), "lint_ms_per_module": round(1000 * lint_s / max(len(modules), 1), 2),
        "instruction_models_s": round(model_s, 2), "findings": findings,
        "per_rule_s": {k: round(v, 3) for k, v in sorted(per_rule.items(), key=lambda kv: -kv[1])},
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
