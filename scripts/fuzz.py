"""Run the fuzz targets of tests/test_fuzz.py for minutes and report what ran.

    python scripts/fuzz.py --minutes 10

Each round runs the compiler target (hostile modules, two per example) and the runtime
target (batches of 30 hostile bundles with inputs, through the Python runtime and one node
process for the JavaScript runtime) with fresh random seeds. Any internal error, escaped
exception, disagreement or case slower than 2 s stops the run with the falsifying example;
a round that does not finish within 10 minutes is reported as a hang. At the end it prints
how many inputs ran clean.
"""

from __future__ import annotations

import argparse
import faulthandler
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]


def _load_targets(examples: int):
    """tests/test_fuzz.py with `examples` modules (and a fifth as many bundle batches) a round."""
    import os

    os.environ["PROMPTC_FUZZ_EXAMPLES"] = str(examples)
    from tests import test_fuzz

    return test_fuzz


class _Dirs:
    """The part of pytest's tmp_path_factory the compiler target uses."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def mktemp(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=name, dir=self.base))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--modules-per-round", type=int, default=200)
    args = parser.parse_args()
    test_fuzz = _load_targets(args.modules_per_round)
    compiler = test_fuzz.test_compiler_answers_every_module_with_diagnostics
    runtimes = test_fuzz.test_runtimes_raise_only_documented_errors
    stop = time.monotonic() + args.minutes * 60
    started, rounds = time.monotonic(), 0
    while time.monotonic() < stop:
        base = Path(tempfile.mkdtemp(prefix="promptc-fuzz-"))
        faulthandler.dump_traceback_later(600, exit=True)  # a hang: print where, and stop
        try:
            compiler(tmp_path_factory=_Dirs(base))
            runtimes()
        finally:
            faulthandler.cancel_dump_traceback_later()
            shutil.rmtree(base, ignore_errors=True)
        rounds += 1
        tally = test_fuzz.TALLY
        print(f"round {rounds}: {tally['modules']} modules, {tally['bundles_python']} bundles (Python), "
              f"{tally['bundles_js']} (JavaScript) clean so far", flush=True)
    tally = test_fuzz.TALLY
    print(f"{tally['modules']} modules, {tally['bundles_python']} bundle/input pairs in Python and "
          f"{tally['bundles_js']} in JavaScript ran in {time.monotonic() - started:.0f} s with no internal "
          "error, hang (> 2 s) or escaped exception.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
