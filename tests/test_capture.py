"""Production failures become eval cases, end to end on SQLite and PostgreSQL: a client
renders and captures three kinds of failure (through a redaction hook), `eval captured`
lists them, the report of a change to the prompt lists those not in its eval set, the gate
blocks the `risk: high` prompt until `eval pull` has written them into its dataset (a
reviewed diff), and pulled cases are marked in the registry."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from promptc.registry import captures
from promptc.registry.backends import open_store
from promptc.registry.store import SCHEMA
from promptc.runtime.client import Client

from .review_repo import LEE, answer, git_env, init

SECRET = "4111-1111-1111-1111"
KINDS = ("unexpected-refusal", "wrong-tool-sequence", "format-error")
CAPTURE = "eval: evals/answer.jsonl\ncapture: {inputs: true}\nlimitations: [\"Cannot issue refunds\"]"
POLICY = '\n[review.high]\nrequire_captured = ["unexpected-refusal", "wrong-tool-sequence", "format-error"]\n'
ENVIRONMENTS = '\n[registry]\nenvironments = ["staging", "prod"]\n'


def redact(inputs, output):
    """The service's hook: card numbers never leave the process."""
    clean = {k: v.replace(SECRET, "[card]") if isinstance(v, str) else v for k, v in (inputs or {}).items()}
    return clean, output.replace(SECRET, "[card]")


@pytest.fixture
def git_config(monkeypatch):
    for key, value in git_env().items():
        if key.startswith("GIT_CONFIG"):
            monkeypatch.setenv(key, value)


def rows_text(url: str) -> str:
    """Every column of every captured row, as the database holds it."""
    store = open_store(url, readonly=True)
    try:
        return json.dumps(store._query("SELECT * FROM captures"))
    finally:
        store.close()


def test_captured_failures_reach_the_eval_set_through_review(tmp_path, registry_url, git_config):
    repo = init(tmp_path / "acme")
    repo.write("promptc.toml", repo.root.joinpath("promptc.toml").read_text() + ENVIRONMENTS)
    repo.write("promptc.toml", repo.root.joinpath("promptc.toml").read_text() + POLICY)
    repo.write("prompts/support/answer.prompt", answer().replace("eval: evals/answer.jsonl", CAPTURE))
    repo.build()
    repo.import_records([repo.record(n, 0.9) for n in ("ops.summary", "sales.pitch", "support.answer")], tmp_path)
    base = repo.commit("base")
    reg = ("--registry", registry_url)
    assert repo.cli("publish", str(repo.root / "dist"), *reg).exit_code == 0
    assert repo.cli("promote", "support.answer@1.0.0", "--env", "prod", *reg).exit_code == 0

    # -- a service renders and captures three kinds of failure
    client = Client(registry_url, "prod", signals=False, redact=redact)
    rendered = client.render("support.answer", {"question": f"My card {SECRET} was charged twice", "tier": "pro"})
    stored = [client.capture(rendered.trace, output=f"I cannot discuss card {SECRET}.", kind=kind, note=f"seen: {kind}")
              for kind in KINDS]
    client.close()
    assert [c.kind for c in stored] == list(KINDS)
    assert stored[0].inputs == {"question": "My card [card] was charged twice", "tier": "pro"}
    assert (stored[0].hash, stored[0].version, stored[0].env, stored[0].variant) == (
        rendered.trace["hash"], "1.0.0", "prod", "stable")
    text = rows_text(registry_url)
    assert "[card]" in text and SECRET not in text and "4111" not in text

    # -- `eval captured` lists them
    listed = repo.cli("eval", "captured", "support.answer", "--format", "json", *reg)
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert sorted((g["kind"], g["version"], g["env"], g["count"], g["pulled"]) for g in data["groups"]) == sorted(
        (k, "1.0.0", "prod", 1, 0) for k in KINDS)
    table = repo.cli("eval", "captured", *reg).output
    assert "unexpected-refusal" in table and "3 cases not pulled yet" in table

    # -- a change to the prompt: the report lists the captured cases, the gate blocks it
    repo.write("prompts/support/answer.prompt", answer("1.0.1").replace("eval: evals/answer.jsonl", CAPTURE)
               .replace("You are Acme's support assistant.", "You are Acme's support assistant. Never refuse."))
    repo.build()
    repo.import_records([repo.record("support.answer", 0.9)], tmp_path)
    assert repo.cli("approve", "support.answer@1.0.1", "--by", LEE[1]).exit_code == 0
    repo.commit("answer: never refuse")
    report = repo.cli("report", "--base", base, *reg).output
    assert "### Captured cases not in the eval set" in report
    assert "3 (1 format-error, 1 unexpected-refusal, 1 wrong-tool-sequence)" in report
    assert "known limitation: Cannot issue refunds" in report
    gate = repo.cli("gate", "--base", base, "--format", "json", *reg)
    assert gate.exit_code == 1
    reasons = json.loads(gate.output)["reasons"]
    assert [(r["prompt"], r["rule"]) for r in reasons] == [("support.answer", "captured-not-in-eval-set")]
    assert "promptc eval pull support.answer" in reasons[0]["fix"]

    # -- `eval pull` writes them into the dataset: a diff to review
    pulled = repo.cli("eval", "pull", "support.answer", "--kind", "unexpected-refusal", "--kind", "format-error",
                      "--expect", "Helps with the duplicate charge without refusing", "--actor", "lee", *reg)
    assert pulled.exit_code == 0, pulled.output
    assert "2 new cases" in pulled.output
    diff = repo.git("diff", "--", "evals/answer.jsonl")
    added = [json.loads(line[1:]) for line in diff.splitlines() if line.startswith("+{")]
    assert sorted(c["metadata"]["captured"]["kind"] for c in added) == ["format-error", "unexpected-refusal"]
    case = added[0]
    assert case["vars"] == {"question": "My card [card] was charged twice", "tier": "pro"}
    assert case["assert"] == [{"type": "llm-rubric", "value": "Helps with the duplicate charge without refusing"}]
    assert case["metadata"]["captured"]["hash"] == rendered.trace["hash"]
    assert case["metadata"]["captured"]["env"] == "prod"
    again = repo.cli("eval", "pull", "support.answer", "--kind", "format-error", *reg)
    assert "0 new cases" in again.output and "1 already in the set" in again.output
    assert len(repo.root.joinpath("evals/answer.jsonl").read_text().splitlines()) == 3, "deduplicated"

    # one kind is still missing: the gate names it
    repo.import_records([repo.record("support.answer", 0.9)], tmp_path)
    repo.commit("pull two captured cases")
    gate = repo.cli("gate", "--base", base, *reg)
    assert gate.exit_code == 1 and "1 captured case not in `evals/answer.jsonl` (1 wrong-tool-sequence)" in gate.output
    assert repo.cli("eval", "pull", "support.answer", "--expect", "Calls the tools in order", *reg).exit_code == 0
    repo.import_records([repo.record("support.answer", 0.9)], tmp_path)
    repo.commit("pull the last captured case")
    gate = repo.cli("gate", "--base", base, *reg)
    assert gate.exit_code == 0, gate.output
    marked = json.loads(repo.cli("eval", "captured", "support.answer", "--format", "json", *reg).output)
    assert [c["pulled"] for c in marked["cases"]] == [["evals/answer.jsonl"]] * 3
    report = repo.cli("report", "--base", base, *reg).output
    assert "Captured cases not in the eval set" not in report


def test_redaction_runs_before_storage_and_inputs_need_permission(tmp_path, registry_url, git_config):
    repo = init(tmp_path / "acme")
    repo.write("promptc.toml", repo.root.joinpath("promptc.toml").read_text() + ENVIRONMENTS)
    assert repo.cli("publish", str(repo.root / "dist"), "--registry", registry_url).exit_code == 0
    assert repo.cli("promote", "support.answer@1.0.0", "--env", "prod", "--registry", registry_url).exit_code == 0
    seen = []

    def hook(inputs, output):
        seen.append((dict(inputs), output))
        return ({"question": "[removed]"}, "[removed]") if SECRET in output else None

    client = Client(registry_url, "prod", signals=False, redact=hook)
    rendered = client.render("support.answer", {"question": f"card {SECRET}"})
    # without `capture: {inputs: true}`, the inputs are withheld even after the hook ran
    case = client.capture(rendered.trace, output=f"refused {SECRET}", kind="unexpected-refusal")
    assert seen == [({"question": f"card {SECRET}"}, f"refused {SECRET}")]
    assert case.inputs is None and case.data["inputs"] == captures.NOT_ALLOWED and case.output == "[removed]"
    assert client.capture(rendered.trace, output="fine", kind="verbosity") is None, "the hook dropped it"
    with pytest.raises(captures.CaptureError, match="kebab-case"):
        client.capture(rendered.trace, output="x", kind="Bad Kind")
    client.close()
    text = rows_text(registry_url)
    assert SECRET not in text and "verbosity" not in text
    if registry_url.startswith("sqlite"):  # nor was it ever written: not in the file or its log
        path = Path(registry_url[len("sqlite://"):])
        for file in path.parent.glob(path.name + "*"):
            assert SECRET.encode() not in file.read_bytes(), file
    assert [c.kind for c in captures.cases(open_store(registry_url, readonly=True))] == ["unexpected-refusal"]


def test_a_case_stays_within_its_bound(tmp_path):
    trace = {"name": "p", "version": "1.0.0", "hash": "sha256:" + "0" * 64, "env": "prod", "variant": "stable"}
    case = captures.prepare(trace, kind="verbosity", output="x" * 200_000, inputs={"q": "y" * 100_000})
    assert case.inputs is None and case.data["inputs"] == captures.TOO_LARGE
    assert len(json.dumps(case.output)) < captures.MAX_CASE_BYTES and case.data["output"].startswith("cut to")
    store = open_store(f"sqlite:///{tmp_path / 'r.db'}")
    captures.record(store, case)
    assert captures.cases(store)[0].output == case.output
    with pytest.raises(captures.CaptureError, match="NotServed"):
        captures.prepare({**trace, "hash": None}, kind="verbosity", output="")
    store.close()


def test_a_registry_from_before_captures_opens_and_gains_the_tables(tmp_path, registry_url):
    """A registry created by the release before captures (its schema had no capture tables)
    opens read-only with no captured cases, and gains the tables when opened writable."""
    if registry_url.startswith("sqlite"):
        path = registry_url[len("sqlite://"):]
        conn = sqlite3.connect(path, isolation_level=None)
        for statement in SCHEMA:
            if "capture" not in statement:
                conn.execute(statement)
        conn.close()
    else:
        store = open_store(registry_url)
        store._execute("DROP TABLE captures")
        store._execute("DROP TABLE capture_pulls")
        store._execute("UPDATE schema_version SET version = 1")  # as the release before captures left it
        store.close()
    old = open_store(registry_url, readonly=True)
    assert not old.has_table("captures") and old.head()[0] == 0
    assert captures.cases(old) == []
    old.close()
    store = open_store(registry_url)
    assert store.has_table("captures") and store.has_table("capture_pulls")
    trace = {"name": "p", "version": "1.0.0", "hash": "sha256:" + "0" * 64, "env": "prod", "variant": "stable"}
    captures.record(store, captures.prepare(trace, kind="verbosity", output="far too long"))
    assert [c.output for c in captures.cases(store)] == ["far too long"]
    store.close()


def test_pull_and_captured_usage_errors_name_the_problem(tmp_path, git_config):
    repo = init(tmp_path / "acme")
    repo.write("promptc.toml", repo.root.joinpath("promptc.toml").read_text() + ENVIRONMENTS)
    reg = ("--registry", f"sqlite:///{tmp_path / 'r.db'}")
    assert repo.cli("publish", str(repo.root / "dist"), *reg).exit_code == 0
    bad_since = repo.cli("eval", "captured", "--since", "last tuesday", *reg)
    assert bad_since.exit_code == 2 and "neither a time" in bad_since.output
    bad_kind = repo.cli("eval", "pull", "support.answer", "--kind", "Refusal", *reg)
    assert bad_kind.exit_code == 2 and "kebab-case" in bad_kind.output
    assert "No captured cases" in repo.cli("eval", "captured", *reg).output
    repo.write("evals/answer.jsonl", '{"vars": {}}\n{not json\n')
    broken = repo.cli("eval", "pull", "support.answer", *reg)
    assert broken.exit_code == 2 and "evals/answer.jsonl:2: not a JSON line" in broken.output
    repo.write("prompts/ops/summary.prompt", repo.root.joinpath("prompts/ops/summary.prompt").read_text()
               .replace("evals/summary.jsonl", "evals/summary.csv"))
    not_jsonl = repo.cli("eval", "pull", "ops.summary", *reg)
    assert not_jsonl.exit_code == 2 and "is not JSON Lines" in not_jsonl.output
    unknown = repo.cli("eval", "pull", "support.answr", *reg)
    assert unknown.exit_code == 2 and "did you mean `support.answer`" in unknown.output


def test_an_output_of_escapes_is_cut_to_fit_its_stored_form(tmp_path):
    """JSON writes a control character as six bytes: the bound holds for the stored text."""
    trace = {"name": "p", "version": "1.0.0", "hash": "sha256:" + "0" * 64, "env": "prod"}
    case = captures.prepare(trace, kind="format-error", output="\x00" * 100_000, note="n" * 5000)
    stored = len(json.dumps(case.output, ensure_ascii=False).encode()) + len(case.note)
    assert stored <= captures.MAX_CASE_BYTES and len(case.note) == captures.MAX_NOTE_CHARS
    assert len(case.output) > 9_000 and case.data["output"].startswith("cut to")
    store = open_store(f"sqlite:///{tmp_path / 'r.db'}")
    assert captures.record_all(store, [case, case]) == 1, "stored once"
    assert captures.mark_pulled(store, [case.id, case.id], "evals/x.jsonl", "lee") == 1
    assert captures.cases(store)[0].pulled == ("evals/x.jsonl",)
    store.close()


def test_the_javascript_client_uses_the_same_capture_vocabulary():
    """One table: the kinds, the line format and the reasons for missing inputs that the
    JavaScript client writes are the ones `promptc eval ingest` and the docs know."""
    import re

    source = (Path(__file__).resolve().parents[1] / "runtimes" / "js" / "src" / "client.mjs").read_text("utf-8")
    kinds = re.search(r"export const CAPTURE_KINDS = \[([^\]]*)\]", source).group(1)
    assert tuple(re.findall(r'"([^"]+)"', kinds)) == captures.KINDS
    assert f'export const CAPTURE_FORMAT = "{captures.LINE_FORMAT}";' in source
    for name in ("NOT_ALLOWED", "UNKNOWN", "REDACTED"):
        assert f'const {name} = "{getattr(captures, name)}";' in source, name
    assert "const KIND = /^" + captures.KIND.pattern + "$/;" in source


def test_since_is_a_time_or_a_duration_with_its_unit():
    import datetime as dt

    from promptc.review.captured import since_time

    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)
    assert since_time("36h", now) == "2026-03-09T00:00:00.000000Z"
    assert since_time("2026-03-01T08:30:00+01:00", now) == "2026-03-01T07:30:00.000000Z"
    for bad in ("2026", "soon", "7 days ago"):
        with pytest.raises(ValueError, match="neither a time"):
            since_time(bad, now)


def test_captures_and_signal_flushes_share_the_writers_connection_safely(tmp_path, registry_url, git_config):
    """Signals flush from the client's background thread on the same connection that
    `capture` writes on: threads capturing while it flushes lose nothing and raise nothing."""
    import threading

    repo = init(tmp_path / "acme")
    repo.write("promptc.toml", repo.root.joinpath("promptc.toml").read_text() + ENVIRONMENTS)
    assert repo.cli("publish", str(repo.root / "dist"), "--registry", registry_url).exit_code == 0
    assert repo.cli("promote", "support.answer@1.0.0", "--env", "prod", "--registry", registry_url).exit_code == 0
    client = Client(registry_url, "prod", flush_interval=0.0005)
    errors = []
    threads_n, each = 6, 40

    def work(n: int) -> None:
        try:
            for i in range(each):
                trace = client.render("support.answer", {"question": f"q{n}-{i}"}, key=f"u{n}").trace
                client.report(trace["response_id"], rating=1)
                client.capture(trace, output=f"o{n}-{i}", kind="verbosity")
        except Exception as exc:  # pragma: no cover - the failure this test exists to catch
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    client.close()
    assert errors == []
    with open_store(registry_url, readonly=True) as store:
        expected = sorted(f"o{n}-{i}" for n in range(threads_n) for i in range(each))
        assert sorted(c.output for c in captures.cases(store)) == expected
        exposures = store._query("SELECT count(*) FROM observations WHERE metric = 'exposure'")[0][0]
        assert exposures == threads_n * each
