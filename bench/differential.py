"""Run the Jinja2 differential test (tests/differential.py) on many cases.

    python bench/differential.py [N] [--seed S] [--no-js]

Each case is a random module inside the documented template subset and inputs that fit its
types, rendered by Jinja2 (plus the documented deviations), the Python runtime and the
JavaScript runtime (one node process for all cases). Prints the number of cases, the time
and, on the first difference, the shrunk module, inputs and the three outputs (exit 1).
Needs the `test` extra (hypothesis, jinja2) and, for the JavaScript half,
`cd runtimes/js && npm ci`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from tests.differential import Renderer, cases  # noqa: E402
from tests.js_batch import JS_SKIP, JsSession  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="promptc's runtimes against Jinja2 on N random cases")
    parser.add_argument("n", nargs="?", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-js", action="store_true", help="leave the JavaScript runtime out")
    args = parser.parse_args(argv)
    if JS_SKIP and not args.no_js:
        print(f"differential: {JS_SKIP} (or pass --no-js)", file=sys.stderr)
        return 2
    js = None if args.no_js else JsSession()
    renderer = Renderer(js)
    count = 0

    @settings(max_examples=args.n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=cases())
    def run(case) -> None:
        nonlocal count
        count += 1
        if count % 1000 == 0:
            print(f"… {count} cases, {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
        renderer.check(case)

    if args.seed is not None:
        run = seed(args.seed)(run)
    start = time.monotonic()
    status = 0
    try:
        run()
    except AssertionError as exc:
        print(exc, file=sys.stderr)
        status = 1
    finally:
        renderer.close()
        if js is not None:
            js.close()
    runtimes = "Python" + ("" if args.no_js else " and JavaScript")
    print(f"{count} cases ({runtimes} runtimes against Jinja2) in {time.monotonic() - start:.1f} s: "
          + ("no difference" if status == 0 else "a difference (above)"))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
