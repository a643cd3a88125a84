"""The JavaScript runtime's `Client` against a real OCI registry: bundles pushed with
`promptc push --env`, resolved by label, bucketed exactly as the Python function does, label
moves seen after the cache TTL, and a registry outage served from the last verified bundle."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.needs import missing
from click.testing import CliRunner

from promptc.cli import main as promptc_main
from promptc.registry import ops
from promptc.registry.backends import open_store
from promptc.registry.distribute import push
from promptc.runtime import load, spec_hash
from promptc.runtime.bucketing import bucket, choose

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "support-desk"
JS = ROOT / "runtimes" / "js"
NODE = shutil.which("node")
INPUTS = json.loads((EXAMPLE / "inputs" / "answer.json").read_text())
OUTREACH = json.loads((EXAMPLE / "inputs" / "outreach.json").read_text())

pytestmark = pytest.mark.skipif(
    NODE is None or not (JS / "node_modules" / "ajv").is_dir(),
    reason=missing("node", "the JavaScript client needs node and runtimes/js/node_modules"),
)

# A line-oriented driver: one JSON request per stdin line, one JSON answer per stdout line,
# so one Client (and its caches) lives across the test's steps.
DRIVER = """
import { createInterface } from "node:readline";
import { Client, NotServed } from "%s";
const [registry, env, ttlMs] = process.argv.slice(2);
const client = new Client({ registry, env, ttlMs: Number(ttlMs), timeoutMs: 2000 });
for await (const line of createInterface({ input: process.stdin })) {
  const req = JSON.parse(line);
  let answer;
  try {
    const keys = req.keys ?? [req.key];
    const results = [];
    for (const key of keys) {
      try {
        const r = await client.render(req.name, req.inputs, { key: key ?? undefined });
        results.push({ trace: r.trace, messages: r.messages });
      } catch (err) {
        if (!(err instanceof NotServed)) throw err;
        results.push({ notServed: true, error: err.constructor.name, trace: err.trace, message: err.message });
      }
    }
    answer = { ok: true, results };
  } catch (err) {
    answer = { ok: false, error: err.constructor.name, message: err.message };
  }
  process.stdout.write(JSON.stringify(answer) + "\\n");
}
"""


class Driver:
    def __init__(self, tmp_path: Path, registry: str, env: str, ttl_ms: int):
        script = tmp_path / "driver.mjs"
        script.write_text(DRIVER % (JS / "src" / "index.mjs").as_uri(), encoding="utf-8")
        self.proc = subprocess.Popen([NODE, str(script), registry, env, str(ttl_ms)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def ask(self, name: str, inputs: dict, keys: list) -> dict:
        self.proc.stdin.write(json.dumps({"name": name, "inputs": inputs, "keys": keys}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()
        return json.loads(line)

    def render(self, name: str, inputs: dict, key=None) -> dict:
        answer = self.ask(name, inputs, [key])
        assert answer["ok"], answer
        return answer["results"][0]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(10)


@pytest.fixture
def driver_factory(tmp_path):
    drivers: list[Driver] = []

    def start(registry: str, env: str = "prod", ttl_ms: int = 30_000) -> Driver:
        drivers.append(Driver(tmp_path, registry, env, ttl_ms))
        return drivers[-1]

    yield start
    for driver in drivers:
        driver.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("js-client-dist")
    result = CliRunner().invoke(promptc_main, ["build", "-q", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(next(out.glob("support.answer@*.json")).read_text())
    document["version"] = "2.1.0"
    document["spec"]["messages"][0]["content"].insert(0, {"kind": "text", "text": "[candidate] "})
    document["hash"] = spec_hash(document["spec"])
    document["meta"]["capture"] = {"inputs": True}  # metadata: the hash stays
    (out / "support.answer@2.1.0.json").write_text(json.dumps(document))
    return out


class Release:
    """A SQLite label registry and an OCI repository that mirrors its `prod`."""

    def __init__(self, built: Path, tmp_path: Path, oci_url: str):
        self.db = f"sqlite:///{tmp_path / 'registry.db'}"
        self.repo = f"{oci_url}/r{uuid.uuid4().hex[:10]}/prompts"
        with self.store() as store:
            ops.publish(store, [(str(p), p.read_bytes()) for p in built.glob("*@*.json")], "test")
            ops.promote(store, "support.answer", "2.0.0", "prod", "test")
            ops.promote(store, "sales.outreach", "0.4.0", "prod", "test")
            ops.rollout(store, "support.answer", "prod", "2.1.0", 1000, "test")
        self.push()

    def store(self):
        return open_store(self.db)

    def push(self) -> None:
        result = CliRunner().invoke(push, ["--env", "prod", "--registry", self.db, self.repo])
        assert result.exit_code == 0, result.output

    def rollout(self):
        with self.store() as store:
            return store.label("support.answer", "prod").rollout


def test_the_client_buckets_exactly_as_the_python_function(built, tmp_path, oci_registry, driver_factory):
    release = Release(built, tmp_path, oci_registry.url)
    rollout = release.rollout()
    weights = [arm.weight for arm in rollout.arms]
    keys = [f"user-{i}" for i in range(400)] + ["", "ünïcode-😀", "42"]
    answer = driver_factory(release.repo).ask("support.answer", INPUTS, keys)
    assert answer["ok"], answer
    seen = set()
    for key, result in zip(keys, answer["results"]):
        trace = result["trace"]
        arm = rollout.arms[choose(weights, rollout.salt, "support.answer", key)]
        assert (trace["variant"], trace["version"], trace["hash"]) == (arm.variant, arm.version, arm.hash), key
        assert trace["bucket"] == bucket(rollout.salt, "support.answer", key)
        assert trace["env"] == "prod" and trace["rollout"] == rollout.id and trace["stale"] is False
        assert trace["response_id"] not in seen
        seen.add(trace["response_id"])
        assert result["messages"][0]["content"].startswith("[candidate] ") == (arm.variant == "candidate")
    variants = [r["trace"]["variant"] for r in answer["results"]]
    assert 10 < variants.count("candidate") < 80  # 10 % of 403 keys
    # the rendered text is the Python runtime's, byte for byte
    python = {b.hash: [{"role": m.role, "content": m.content} for m in b.render(INPUTS).messages]
              for b in map(load, built.glob("support.answer@*.json"))}
    for result in answer["results"]:
        assert result["messages"] == python[result["trace"]["hash"]]


def test_the_js_client_over_oci_agrees_with_the_python_client_over_the_label_registry(
        built, tmp_path, oci_registry, driver_factory):
    """Same environment, two paths: JavaScript from the OCI mirror, Python from SQLite."""
    from promptc.runtime.client import Client as PythonClient

    release = Release(built, tmp_path, oci_registry.url)
    keys = [f"user-{i}" for i in range(150)]
    answer = driver_factory(release.repo).ask("support.answer", INPUTS, keys + [None])
    assert answer["ok"], answer
    fields = ("name", "version", "hash", "env", "variant", "bucket", "rollout", "stale")
    with PythonClient(release.db, "prod", signals=False) as python:
        for key, result in zip(keys + [None], answer["results"]):
            _, trace = python.resolve("support.answer", key)
            assert {f: result["trace"][f] for f in fields} == {f: trace[f] for f in fields}, key


def test_without_a_key_and_without_a_rollout_the_stable_bundle_serves(built, tmp_path, oci_registry, driver_factory):
    release = Release(built, tmp_path, oci_registry.url)
    driver = driver_factory(release.repo)
    trace = driver.render("support.answer", INPUTS)["trace"]
    assert (trace["variant"], trace["version"], trace["bucket"]) == ("stable", "2.0.0", None)
    trace = driver.render("sales.outreach", OUTREACH, key="user-1")["trace"]
    assert (trace["variant"], trace["version"], trace["rollout"], trace["bucket"]) == ("stable", "0.4.0", None, None)
    missing = driver.ask("no.such.prompt", {}, ["k"])
    assert not missing["ok"] and missing["error"] == "RegistryError" and "no.such.prompt" in missing["message"]


def test_a_label_move_is_seen_after_the_ttl(built, tmp_path, oci_registry, driver_factory):
    ttl = 2.0
    release = Release(built, tmp_path, oci_registry.url)
    driver = driver_factory(release.repo, ttl_ms=int(ttl * 1000))
    rollout = release.rollout()
    key = next(k for k in (f"user-{i}" for i in range(100))
               if choose([a.weight for a in rollout.arms], rollout.salt, "support.answer", k) == 0)
    assert driver.render("support.answer", INPUTS, key)["trace"]["version"] == "2.0.0"
    resolved = time.monotonic()
    with release.store() as store:  # ramp to 100 %: 2.1.0 becomes the stable label
        ops.rollout(store, "support.answer", "prod", "2.1.0", 10_000, "test")
    release.push()
    cached = driver.render("support.answer", INPUTS, key)["trace"]
    if time.monotonic() - resolved < ttl:  # still within the TTL: the cached resolution
        assert cached["version"] == "2.0.0" and cached["rollout"] == rollout.id
    time.sleep(max(0.0, ttl - (time.monotonic() - resolved)) + 0.2)
    moved = driver.render("support.answer", INPUTS, key)["trace"]
    assert (moved["version"], moved["variant"], moved["rollout"], moved["stale"]) == ("2.1.0", "stable", None, False)


def test_an_outage_serves_the_last_verified_bundle_and_says_so(built, tmp_path, oci_registry_factory, driver_factory):
    registry = oci_registry_factory()
    release = Release(built, tmp_path, registry.url)
    rollout = release.rollout()
    driver = driver_factory(release.repo, ttl_ms=500)
    keys = [f"user-{i}" for i in range(60)]
    before = driver.ask("support.answer", INPUTS, keys)
    assert before["ok"] and {r["trace"]["variant"] for r in before["results"]} == {"stable", "candidate"}
    registry.stop()
    time.sleep(0.6)
    during = driver.ask("support.answer", INPUTS, keys)
    assert during["ok"], during
    for old, new in zip(before["results"], during["results"]):
        assert (new["trace"]["hash"], new["trace"]["variant"]) == (old["trace"]["hash"], old["trace"]["variant"])
        assert new["trace"]["stale"] is True and new["trace"]["rollout"] == rollout.id
        assert f"cannot reach the OCI registry at http://{registry.host}/v2/" in new["trace"]["error"]
        assert new["messages"] == old["messages"]
    never_fetched = driver.ask("sales.outreach", OUTREACH, ["k"])
    assert not never_fetched["ok"] and never_fetched["error"] == "RegistryUnavailable"
    registry.start()
    time.sleep(0.6)
    after = driver.render("support.answer", INPUTS, "user-1")["trace"]
    assert after["stale"] is False and "error" not in after


def test_a_first_release_over_oci_serves_the_same_keys_as_python_and_nothing_once_frozen(
        built, tmp_path, oci_registry, driver_factory):
    """A prompt with no stable version goes out as a first-release canary: its `off` arm has
    no bundle, the tag holds the candidate, and JavaScript raises NotServed for exactly the
    keys Python does; frozen, every key; rolled back, the tag says it serves nothing."""
    from promptc.runtime import NotServed
    from promptc.runtime.client import Client as PythonClient

    db = f"sqlite:///{tmp_path / 'first.db'}"
    repo = f"{oci_registry.url}/r{uuid.uuid4().hex[:10]}/prompts"
    with open_store(db) as store:
        ops.publish(store, [(str(p), p.read_bytes()) for p in built.glob("*@*.json")], "test")
        ops.promote(store, "sales.outreach", "0.4.0", "prod", "test")
        started = ops.rollout(store, "support.answer", "prod", "2.1.0", 1000, "test")
    rollout_id = started.data["rollout"]

    def push_prod() -> str:
        result = CliRunner().invoke(push, ["--env", "prod", "--registry", db, repo])
        assert result.exit_code == 0 and "Traceback" not in result.output, result.output
        return result.output

    assert "first-release canary in flight (the rest not served)" in push_prod()
    keys = [f"user-{i}" for i in range(300)]
    fields = ("name", "version", "hash", "env", "variant", "bucket", "rollout", "stale")

    def compare(answer: dict) -> list[dict]:
        assert answer["ok"], answer
        out = []
        with PythonClient(db, "prod", signals=False) as python:
            for key, result in zip(keys + [None], answer["results"]):
                try:
                    _, expected = python.resolve("support.answer", key)
                    assert not result.get("notServed"), (key, result)
                except NotServed as exc:
                    expected = exc.trace
                    assert result.get("notServed") and result["error"] == "NotServed", (key, result)
                    assert result["trace"]["response_id"] is None
                assert {f: result["trace"][f] for f in fields} == {f: expected[f] for f in fields}, key
                out.append(result["trace"])
        return out

    traces = compare(driver_factory(repo).ask("support.answer", INPUTS, keys + [None]))
    served = [t for t in traces if t["variant"] == "candidate"]
    assert 10 < len(served) < 60 and {t["version"] for t in served} == {"2.1.0"}
    assert traces[-1]["variant"] == "off" and traces[-1]["bucket"] is None, "no key, nothing served"
    assert {t["rollout"] for t in traces} == {rollout_id}

    pulled = CliRunner().invoke(promptc_main, ["pull", f"{repo}/support.answer:prod", "--out", str(tmp_path / "p")])
    assert pulled.exit_code == 0 and "off (not served)=9000" in pulled.output, pulled.output

    with open_store(db) as store:
        ops.freeze_rollout(store, "support.answer", "prod", rollout_id, "promptc-guard", "guard: breach", {})
    push_prod()
    frozen = compare(driver_factory(repo).ask("support.answer", INPUTS, keys + [None]))
    assert {(t["variant"], t["bucket"], t["rollout"]) for t in frozen} == {("off", None, rollout_id)}

    with open_store(db) as store:
        ops.rollback(store, "support.answer", "prod", "test")
    assert "prod serves nothing (not served)" in push_prod()
    ended = compare(driver_factory(repo).ask("support.answer", INPUTS, keys + [None]))
    assert {(t["variant"], t["rollout"]) for t in ended} == {("off", None)}
    assert driver_factory(repo).render("sales.outreach", OUTREACH, "user-1")["trace"]["version"] == "0.4.0"


def test_the_python_client_reads_the_same_labels_from_oci(built, tmp_path, oci_registry, driver_factory):
    """`Client(registry="oci://…")`: the Python client over the OCI mirror gives the JS
    client's traces and renders the same bytes; a label move reaches it after the push."""
    from promptc.runtime.client import Client as PythonClient

    release = Release(built, tmp_path, oci_registry.url)
    keys = [f"user-{i}" for i in range(120)]
    answer = driver_factory(release.repo).ask("support.answer", INPUTS, keys + [None])
    assert answer["ok"], answer
    fields = ("name", "version", "hash", "env", "variant", "bucket", "rollout", "stale")
    with PythonClient(release.repo, "prod", ttl=0) as python:
        for key, result in zip(keys + [None], answer["results"]):
            rendered = python.render("support.answer", INPUTS, key=key)
            assert {f: result["trace"][f] for f in fields} == {f: rendered.trace[f] for f in fields}, key
            assert [{"role": m.role, "content": m.content} for m in rendered.messages] == result["messages"]
        with release.store() as store:
            ops.rollback(store, "support.answer", "prod", "test")
        release.push()
        assert {python.resolve("support.answer", k)[1]["variant"] for k in keys} == {"stable"}


CAPTURE_DRIVER = """
import { Client } from "%s";
const [registry, sink, key, inputsJson] = process.argv.slice(2);
const redact = (inputs, output) => ({
  inputs: { ...inputs, customer_name: "[name]" }, output: output.replaceAll("4111-1111", "[card]") });
const client = new Client({ registry, env: "prod", capture: sink, redact });
const traces = [];
for (const k of [key, null]) {
  const { trace } = await client.render("support.answer", JSON.parse(inputsJson), { key: k ?? undefined });
  for (const kind of ["unexpected-refusal", "hallucinated-field"]) {
    await client.capture(trace, { output: `card 4111-1111 is not mine to discuss (${k})`, kind, note: "seen in chat" });
  }
  traces.push(trace);
}
let refused = null;
try { await client.capture(traces[0], { output: "x", kind: "Not A Kind" }); } catch (err) { refused = err.message; }
process.stdout.write(JSON.stringify({ traces, refused }));
"""


def test_js_captures_are_redacted_in_the_client_and_ingested_into_the_registry(
        built, tmp_path, oci_registry, driver_factory):
    release = Release(built, tmp_path, oci_registry.url)
    rollout = release.rollout()
    key = next(k for k in (f"user-{i}" for i in range(200))
               if choose([a.weight for a in rollout.arms], rollout.salt, "support.answer", k) == 1)
    script = tmp_path / "capture.mjs"
    script.write_text(CAPTURE_DRIVER % (JS / "src" / "index.mjs").as_uri(), encoding="utf-8")
    sink = tmp_path / "captured.jsonl"
    done = subprocess.run([NODE, str(script), release.repo, str(sink), key, json.dumps(INPUTS)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    candidate, stable = result["traces"]
    assert (candidate["variant"], stable["variant"]) == ("candidate", "stable")
    assert "kebab-case" in result["refused"]
    written = sink.read_text()
    assert "4111-1111" not in written and INPUTS["customer_name"] not in written, "redacted before it left the client"
    lines = [json.loads(line) for line in written.splitlines()]
    assert [line["inputs"] is not None for line in lines] == [True, True, False, False], \
        "only the bundle whose front matter allows it keeps inputs"
    assert lines[0]["inputs"]["customer_name"] == "[name]" and lines[2]["withheld"].startswith("not stored")

    runner = CliRunner()
    for _ in range(2):  # a second ingest of the same file stores nothing new
        ingested = runner.invoke(promptc_main, ["eval", "ingest", str(sink), "--registry", release.db])
        assert ingested.exit_code == 0, ingested.output
    listed = runner.invoke(promptc_main, ["eval", "captured", "support.answer", "--registry", release.db,
                                          "--format", "json"])
    data = json.loads(listed.output)
    assert len(data["cases"]) == 4
    assert sorted((g["kind"], g["version"], g["count"]) for g in data["groups"]) == [
        ("hallucinated-field", "2.0.0", 1), ("hallucinated-field", "2.1.0", 1),
        ("unexpected-refusal", "2.0.0", 1), ("unexpected-refusal", "2.1.0", 1)]
    by_version = {c["version"]: c for c in data["cases"]}
    assert by_version["2.1.0"]["hash"] == candidate["hash"] and by_version["2.1.0"]["variant"] == "candidate"
    assert by_version["2.1.0"]["response_id"] == candidate["response_id"]
    with release.store() as store:
        assert "4111-1111" not in json.dumps(store._query("SELECT * FROM captures"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**lines[0], "hash": "sha256:" + "0" * 64}) + "\n")
    refused = runner.invoke(promptc_main, ["eval", "ingest", str(bad), "--registry", release.db])
    assert refused.exit_code == 1 and f"{bad}:1: the registry has no bundle" in refused.output
