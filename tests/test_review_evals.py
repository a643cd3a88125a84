"""Eval records and approvals: `promptc eval import`, `promptc approve`, and how promptc.lock
keeps them against the bundle hash they describe."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from promptc import driver
from promptc.config import Config
from promptc.emit.lock import Lock, LockError, updated, with_approval, with_eval
from promptc.export.promptfoo import chat_prompt

from .review_repo import answer, git_env, init


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for key, value in git_env().items():
        if key.startswith("GIT_CONFIG"):
            monkeypatch.setenv(key, value)
    return init(tmp_path / "acme")


def bundle_of(repo, name: str) -> dict:
    return driver.compile_project(driver.open_project(repo.root)).bundles[name]


def promptfoo_output(bundle: dict, cases: list[tuple[str, str, bool, str]]) -> dict:
    """promptfoo's `-o out.json` shape: results.prompts (templates) and results.results."""
    results = []
    for i, (description, slice_name, passed, reason) in enumerate(cases):
        results.append({
            "promptIdx": 0, "testIdx": i, "promptId": "abc",
            "prompt": {"raw": "(rendered text)", "label": bundle["name"]},
            "provider": {"id": "openai:chat:gpt-4o", "label": "gpt-4o"},
            "testCase": {"description": description, "vars": {"question": description},
                         "metadata": {"slice": slice_name}},
            "vars": {"question": description}, "response": {"output": "…"},
            "success": passed, "score": 1.0 if passed else 0.0, "latencyMs": 100 * (i + 1), "cost": 0.0025,
            "gradingResult": {"pass": passed, "score": 1.0 if passed else 0.0, "reason": reason},
        })
    return {"evalId": "eval-2026-01-01", "results": {
        "version": 3, "timestamp": "2026-01-01T00:00:00Z",
        "prompts": [{"raw": chat_prompt(bundle), "label": bundle["name"], "provider": "openai:chat:gpt-4o"}],
        "results": results, "stats": {"successes": sum(c[2] for c in cases), "failures": 0}}, "config": {}}


CASES = [("reset password", "howto", True, "ok"), ("refund twice", "billing", False, "promised a refund"),
         ("invoice logo", "howto", True, "ok"), ("card declined", "billing", True, "ok")]


def test_import_promptfoo_output(repo, tmp_path):
    out = tmp_path / "out.json"
    out.write_text(json.dumps(promptfoo_output(bundle_of(repo, "support.answer"), CASES)))
    result = repo.cli("eval", "import", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("recorded support.answer: score 0.750 (3/4 passed) for sha256:")
    entry = Lock.loads((repo.root / "promptc.lock").read_text()).entries["support.answer"]
    dataset = repo.root / "evals/answer.jsonl"
    assert entry.evals == [{
        "hash": entry.hash, "source": "promptfoo", "dataset": "evals/answer.jsonl",
        "dataset_hash": "sha256:" + hashlib.sha256(dataset.read_bytes()).hexdigest(),
        "score": 0.75, "latency_ms": 250.0, "cost": 0.01, "counts": {"fail": 1, "pass": 3},
        "slices": {"billing": 0.5, "howto": 1.0},
        "failures": [{"example": "refund twice", "reason": "promised a refund"}]}]
    # the record is part of the committed lock: a locked build keeps it and changes nothing
    locked = repo.cli("build", str(repo.root), "--locked", project=False)
    assert locked.exit_code == 0, locked.output
    # importing a rerun replaces the record for the same hash and dataset
    out.write_text(json.dumps(promptfoo_output(bundle_of(repo, "support.answer"),
                                               [(d, s, True, r) for d, s, _, r in CASES])))
    data = json.loads(repo.cli("eval", "import", str(out), "--format", "json").stdout)
    assert data["recorded"][0]["score"] == 1.0
    entry = Lock.loads((repo.root / "promptc.lock").read_text()).entries["support.answer"]
    assert [r["score"] for r in entry.evals] == [1.0]


def test_promptfoo_output_of_other_text_is_refused(repo, tmp_path):
    out = tmp_path / "out.json"
    out.write_text(json.dumps(promptfoo_output(bundle_of(repo, "support.answer"), CASES)))
    repo.write("prompts/support/answer.prompt", answer("1.0.1").replace("support assistant", "helpdesk assistant"))
    result = repo.cli("eval", "import", str(out))
    assert result.exit_code == 2
    assert "promptfoo ran a different text of `support.answer` than the working tree builds" in result.stderr
    data = promptfoo_output(bundle_of(repo, "support.answer"), CASES)
    del data["results"]["prompts"]
    out.write_text(json.dumps(data))
    result = repo.cli("eval", "import", str(out))
    assert result.exit_code == 2
    assert "without the template of `support.answer`" in result.stderr


@pytest.mark.parametrize("record, message", [
    ({"score": 1.5}, "record 1: `score` must be a number from 0 to 1"),
    ({"hash": "abc"}, "record 1: `hash` must be the bundle hash that was evaluated"),
    ({"slices": {"a": "high"}}, "record 1: `slices` must map slice names to scores from 0 to 1"),
    ({"failures": ["x"]}, "record 1: `failures` must be a list of"),
    ({"extra": 1}, "record 1: unknown key `extra`"),
    ({"prompt": "support.answr"}, "no prompt named `support.answr` in the project; did you mean `support.answer`?"),
    ({"hash": "sha256:" + "0" * 64}, "the record for `support.answer` measured sha256:000000000000, but the working "
                                     "tree builds sha256:"),
    ({"dataset": "evals/other.jsonl"}, "ran `evals/other.jsonl`, but its front matter names "
                                       "`eval: evals/answer.jsonl`"),
    ({"dataset_hash": "sha256:" + "1" * 64}, "`evals/answer.jsonl` changed since the eval of `support.answer` ran"),
])
def test_bad_plain_records_are_one_line_errors(repo, tmp_path, record, message):
    before = (repo.root / "promptc.lock").read_bytes()
    path = tmp_path / "record.json"
    path.write_text(json.dumps({**repo.record("support.answer", 0.9), **record}))
    result = repo.cli("eval", "import", str(path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (repo.root / "promptc.lock").read_bytes() == before  # all or nothing


@pytest.mark.parametrize("content, message", [
    (None, "eval file `{path}` does not exist"),
    ('{"prompt": ', "{path}:1:12: not valid JSON"),
    ('{"score": 1}', "is neither promptfoo output (no `results`) nor a plain eval record"),
    ('{"results": {"results": []}}', "the promptfoo output has no test results"),
    ('{"results": {"results": [{"success": true}]}}', "result 1 names no prompt label"),
])
def test_malformed_eval_files(repo, tmp_path, content, message):
    path = tmp_path / "eval.json"
    if content is not None:
        path.write_text(content)
    result = repo.cli("eval", "import", str(path))
    assert result.exit_code == 2
    assert message.format(path=path) in result.stderr
    assert "Traceback" not in result.output


def test_record_imported_before_the_build_survives_it(repo, tmp_path):
    repo.write("prompts/support/answer.prompt", answer("1.0.1").replace("support assistant", "helpdesk assistant"))
    new_hash = bundle_of(repo, "support.answer")["hash"]
    path = tmp_path / "record.json"
    path.write_text(json.dumps([{"prompt": "support.answer", "hash": new_hash, "score": 0.8}]))
    result = repo.cli("eval", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "promptc.lock still records an older hash of `support.answer`" in result.stderr
    repo.build()
    entry = Lock.loads((repo.root / "promptc.lock").read_text()).entries["support.answer"]
    assert entry.hash == new_hash
    assert [(r["hash"], r["score"]) for r in entry.evals] == [(new_hash, 0.8)]


def test_approve(repo):
    result = repo.cli("approve", "support.answer@1.0.0", "--by", "lee@acme.example", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    entry = Lock.loads((repo.root / "promptc.lock").read_text()).entries["support.answer"]
    assert entry.approvals == [{"by": "lee@acme.example", "hash": entry.hash, "version": "1.0.0"}]
    assert data == {"prompt": "support.answer", "version": "1.0.0", "hash": entry.hash, "by": "lee@acme.example"}
    before = (repo.root / "promptc.lock").read_text()
    assert repo.cli("approve", "support.answer@1.0.0", "--by", "lee@acme.example").exit_code == 0
    assert (repo.root / "promptc.lock").read_text() == before  # once per person and hash
    assert "[[prompt.approval]]" in before


@pytest.mark.parametrize("args, message", [
    (("support.answer", "--by", "lee"), "`support.answer` is not NAME@VERSION"),
    (("support.answer@2.0.0", "--by", "lee"), "the working tree builds `support.answer` at version 1.0.0, not 2.0.0"),
    (("support.anser@1.0.0", "--by", "lee"), "no prompt named `support.anser`; did you mean `support.answer`?"),
    (("support.answer@1.0.0", "--by", " "), "--by needs the approver's name"),
    (("ops.status@0.1.0", "--by", "lee"), "promptc.lock has no entry for `ops.status`; run `promptc build` first"),
])
def test_approve_errors(repo, args, message):
    repo.write("prompts/ops/status.prompt", '---\nversion: 0.1.0\n---\noutput text\nsystem """\nUp.\n"""\n')
    result = repo.cli("approve", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- the lock


H = ["sha256:" + c * 64 for c in "abc"]


def _lock(repo) -> Lock:
    return Lock.loads((repo.root / "promptc.lock").read_text())


def test_lock_keeps_records_and_approvals_by_hash(repo):
    lock = _lock(repo)
    entry = lock.entries["sales.pitch"]
    lock = with_eval(lock, "sales.pitch", {"hash": entry.hash, "source": "record", "score": 0.9})
    lock = with_eval(lock, "sales.pitch", {"hash": H[0], "source": "record", "score": 0.5})
    lock = with_approval(lock, "sales.pitch", "lee", entry.hash, "1.0.0")
    lock = with_approval(lock, "sales.pitch", "kim", H[0], "1.0.1")
    text = lock.dumps()
    assert Lock.loads(text).dumps() == text
    assert Lock.loads(text) == lock
    bundles = driver.compile_project(driver.open_project(repo.root)).bundles
    same = updated(lock, bundles.values()).entries["sales.pitch"]
    assert [r["score"] for r in same.evals] == [0.9, 0.5] and len(same.approvals) == 2  # unchanged entry
    bumped = dict(bundles["sales.pitch"], version="1.0.1")
    kept = updated(lock, [bumped]).entries["sales.pitch"]
    assert [r["hash"] for r in kept.evals] == [entry.hash] and [a["by"] for a in kept.approvals] == ["lee"]
    other = dict(bumped, hash=H[0])
    moved = updated(lock, [other]).entries["sales.pitch"]
    assert [r["score"] for r in moved.evals] == [0.5] and [a["by"] for a in moved.approvals] == ["kim"]


def test_malformed_approval_is_a_lock_error(repo):
    text = (repo.root / "promptc.lock").read_text()
    bad = text.replace('[[prompt]]\nname = "support.answer"',
                       '[[prompt]]\nname = "support.answer"', 1) + '\n[[prompt.approval]]\nby = "lee"\n'
    with pytest.raises(LockError) as info:
        Lock.loads(bad)
    assert "`approval` must be an array of tables ([[prompt.approval]]) with the strings `by`, `hash`, `version`" \
        in str(info.value)
    assert info.value.line == bad.splitlines().index("[[prompt.approval]]") + 1


def test_existing_lock_entries_compare_equal_without_approvals():
    from promptc.emit.lock import LockEntry

    entry = LockEntry("a", "1.0.0", H[0], H[1], {}, "{}", "{}", "[]")
    assert dataclasses.replace(entry, approvals=[]) == entry


# --------------------------------------------------------------------------- config


def test_review_thresholds_default_per_risk_and_merge():
    review = Config.model_validate({"review": {"high": {"max_score_drop": 0.03}}}).review
    assert review.high.require_approval is True and review.high.max_score_drop == 0.03
    assert review.low.max_score_drop > review.medium.max_score_drop > Config().review.high.max_score_drop
    assert review.policy(None) is review.medium
    assert review.policy("nonsense") is review.medium


def test_invalid_review_config_is_reported(repo):
    (repo.root / "promptc.toml").write_text('[review.high]\nmax_score_drop = 2\n')
    result = repo.cli("gate", "--base", "HEAD")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: promptc.toml:2: `review.high.max_score_drop` in promptc.toml: ")
    assert len(result.stderr.strip().splitlines()) == 1
