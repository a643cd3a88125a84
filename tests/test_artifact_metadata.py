"""What a prompt artifact carries besides its text: `retrieval:` (hashed, in `spec`, a
behaviour change for the lock, shown by `diff`) and `limitations:` (metadata: not hashed,
shown by `show`, `diff`, the review report and the dashboard)."""

from __future__ import annotations

import json

import pytest

from promptc.emit import lock as lockfile
from promptc.registry import ops
from promptc.registry.backends import open_store
from promptc.runtime import load
from promptc.runtime.hashing import spec_hash

from .helpers import codes, compile_files, run_cli
from .review_repo import answer, git_env, init

BODY = '''input question: str

system """
Answer from the help center.
"""

user """
{{ question }}
"""
'''


def module(front: str) -> str:
    return f"---\nversion: 1.0.0\nmodel: {{name: gpt-4o}}\n{front}---\n{BODY}"


def bundle(tmp_path, front: str) -> dict:
    tmp_path.mkdir(parents=True, exist_ok=True)
    result = compile_files(tmp_path, {"answer.prompt": module(front)})
    assert result.ok, codes(result)
    return result.bundles["answer"]


RETRIEVAL = "retrieval: {index: help-center, top_k: 5, filters: {lang: en, product: [books, pay]}, " \
            "reranker: bge-reranker-v2, chunking: {strategy: paragraph, size: 512, overlap: 64, unit: tokens}}\n"


def test_retrieval_is_part_of_the_hashed_spec(tmp_path):
    plain = bundle(tmp_path / "a", "")
    with_retrieval = bundle(tmp_path / "b", RETRIEVAL)
    more = bundle(tmp_path / "c", RETRIEVAL.replace("top_k: 5", "top_k: 8"))
    assert "retrieval" not in plain["spec"], "a prompt without retrieval hashes as before"
    assert with_retrieval["spec"]["retrieval"] == {
        "index": "help-center", "top_k": 5, "filters": {"lang": "en", "product": ["books", "pay"]},
        "reranker": "bge-reranker-v2",
        "chunking": {"strategy": "paragraph", "size": 512, "overlap": 64, "unit": "tokens"}}
    assert len({plain["hash"], with_retrieval["hash"], more["hash"]}) == 3
    assert with_retrieval["hash"] == spec_hash(with_retrieval["spec"])
    loaded = load(with_retrieval)  # the runtime's schema accepts it, and returns it to the caller
    assert loaded.render({"question": "q"}).retrieval == with_retrieval["spec"]["retrieval"]
    assert load(plain).render({"question": "q"}).retrieval is None


def test_limitations_are_metadata_outside_the_hash(tmp_path):
    plain = bundle(tmp_path / "a", "")
    limited = bundle(tmp_path / "b", 'limitations: ["Cannot issue refunds", "English only"]\ncapture: {inputs: true}\n')
    assert limited["hash"] == plain["hash"]
    assert limited["meta"]["limitations"] == ["Cannot issue refunds", "English only"]
    assert limited["meta"]["capture"] == {"inputs": True}
    assert "limitations" not in plain["meta"]


@pytest.mark.parametrize("front, fragment", [
    ("retrieval: {top_k: 0}\n", "retrieval.top_k"),
    ("retrieval: {index: kb, rerank: x}\n", "unknown front-matter key `retrieval.rerank`"),
    ("retrieval: {filters: {lang: {nested: 1}}}\n", "filter `lang` must be text"),
    ("retrieval: {filters: {id: 123456789012345678901}}\n", "outside the portable range"),
    ("retrieval: {top_k: 10001}\n", "retrieval.top_k"),
    ("limitations: English only\n", "limitations"),
    ("limitations: ['']\n", "limitations.0"),
    ("capture: {inputs: maybe}\n", "capture.inputs"),
])
def test_bad_metadata_is_a_located_error(tmp_path, front, fragment):
    result = compile_files(tmp_path, {"answer.prompt": module(front)})
    assert not result.ok
    d = next(d for d in result.diagnostics if d.is_error)
    assert fragment in d.message and d.span.line == 4, (d.message, d.span)


def test_the_lock_classifies_a_retrieval_change_as_behaviour_changing(tmp_path):
    old = bundle(tmp_path / "a", RETRIEVAL)
    lock = lockfile.Lock.loads(lockfile.updated(lockfile.Lock(), [old]).dumps())  # round trip: the lock alone
    assert json.loads(lock.entries["answer"].retrieval)["top_k"] == 5
    new = bundle(tmp_path / "b", RETRIEVAL.replace("top_k: 5", "top_k: 8"))
    change = lockfile.required_change(lock.entries["answer"], new)
    assert (change.level, change.reasons) == ("minor", ["retrieval settings changed (top_k)"])
    [finding] = lockfile.check_versions(lock, [new])
    assert finding.rule == "version-not-bumped" and "1.1.0" in finding.notes[0]
    removed = lockfile.required_change(lock.entries["answer"], bundle(tmp_path / "c", ""))
    assert removed.reasons == ["retrieval settings removed"]
    # a lock entry without retrieval is written as before
    assert "retrieval" not in lockfile.updated(lockfile.Lock(), [bundle(tmp_path / "d", "")]).dumps()


def test_diff_shows_retrieval_and_limitations(tmp_path):
    old = bundle(tmp_path / "a", RETRIEVAL + 'limitations: ["English only"]\n')
    new = bundle(tmp_path / "b", RETRIEVAL.replace("top_k: 5", "top_k: 8")
                 + 'limitations: ["English only", "No refunds"]\n')
    same_hash = bundle(tmp_path / "c", RETRIEVAL + 'limitations: ["English only", "No refunds"]\n')
    files = {}
    for label, doc in (("old", old), ("new", new), ("same", same_hash)):
        files[label] = tmp_path / f"{label}.json"
        files[label].write_text(json.dumps(doc))
    text = run_cli("diff", str(files["old"]), str(files["new"]), "--project", str(tmp_path / "a"))
    assert "retrieval top_k: 5 → 8" in text
    assert "limitation added: No refunds" in text
    meta_only = run_cli("diff", str(files["old"]), str(files["same"]), "--project", str(tmp_path / "a"))
    assert "answer  metadata changed (same hash)" in meta_only and "limitation added: No refunds" in meta_only
    as_json = json.loads(run_cli("diff", str(files["old"]), str(files["new"]), "--format", "json",
                                 "--project", str(tmp_path / "a")))
    [change] = as_json["changed"]
    assert change["retrieval"] == [{"key": "top_k", "old": 5, "new": 8}]
    assert change["limitations"] == {"old": ["English only"], "new": ["English only", "No refunds"]}
    markdown = run_cli("diff", str(files["old"]), str(files["same"]), "--format", "markdown",
                       "--project", str(tmp_path / "a"))
    assert "### Known limitations changed (same hash)" in markdown and "known limitation added: No refunds" in markdown


def test_show_prints_retrieval_and_limitations(tmp_path):
    doc = bundle(tmp_path / "a", RETRIEVAL + 'limitations: ["Cannot issue refunds"]\n')
    store = open_store(f"sqlite:///{tmp_path / 'r.db'}")
    ops.publish(store, [("answer.json", json.dumps(doc).encode())], "ci")
    store.close()
    text = run_cli("show", "answer@1.0.0", "--registry", str(tmp_path / "r.db"))
    assert "known limitations:\n  - Cannot issue refunds" in text
    assert 'retrieval: chunking={"strategy": "paragraph", "size": 512, "overlap": 64, "unit": "tokens"}' in text
    assert 'top_k=5' in text


def test_report_shows_limitations_of_a_changed_prompt(tmp_path, monkeypatch):
    for key, value in git_env().items():
        if key.startswith("GIT_CONFIG"):
            monkeypatch.setenv(key, value)
    repo = init(tmp_path / "acme")
    base = repo.commit("base")
    repo.write("prompts/support/answer.prompt", answer("1.0.1").replace(
        "eval: evals/answer.jsonl", 'eval: evals/answer.jsonl\nlimitations: ["Cannot see invoices older than a year"]')
        .replace("support assistant.", "support assistant, always."))
    repo.build()
    report = repo.cli("report", "--base", base).output
    assert "- known limitation added: Cannot see invoices older than a year" in report
