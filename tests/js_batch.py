"""Send many requests to the JavaScript runtime through one node process (tests/js_batch.mjs):
all at once (`js_batch`), or one at a time to a process kept open (`JsSession`).

`JS_SKIP` is the reason the JavaScript runtime cannot run here (node missing, or its
dependencies not installed), or None.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JS_DIR = ROOT / "runtimes" / "js"
NODE = shutil.which("node")


def js_skip_reason() -> str | None:
    """Grouped in pytest's summary by what is missing and how to install it (tests/needs.py)."""
    from tests.needs import missing

    if NODE is None:
        return missing("node", "`node` is not on PATH")
    if not (JS_DIR / "node_modules" / "ajv").is_dir():
        return missing("node", "runtimes/js/node_modules is not installed")
    return None


JS_SKIP = js_skip_reason()


def js_batch(requests: list[dict], timeout: float = 600) -> list[dict]:
    """One answer per request, in order (see tests/js_batch.mjs for the request kinds)."""
    if not requests:
        return []
    text = "".join(json.dumps(r, ensure_ascii=True) + "\n" for r in requests)
    proc = subprocess.run([NODE, str(Path(__file__).with_name("js_batch.mjs"))], input=text.encode(),
                          capture_output=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"the node batch process failed ({proc.returncode}):\n{proc.stderr.decode()}")
    answers = [json.loads(line) for line in proc.stdout.decode().split("\n") if line]
    assert len(answers) == len(requests), (len(answers), len(requests))
    return answers


def js_filter(name: str, values: list[str]) -> list[str]:
    """A filter of the JavaScript runtime applied to each string."""
    return js_batch([{"filter": name, "values": values}])[0]["results"]


class JsSession:
    """One node process answering requests one at a time; close it (or use `with`)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([NODE, str(Path(__file__).with_name("js_batch.mjs"))], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ})

    def ask(self, request: dict) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps(request, ensure_ascii=True) + "\n").encode())
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            stderr = self.proc.stderr.read().decode() if self.proc.stderr else ""
            raise AssertionError(f"the node process ended: {stderr}")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()

    def __enter__(self) -> "JsSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
