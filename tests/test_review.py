"""The review workflow end to end, on a git repository with three commits after the base:

1. a tone edit in the shared module `shared.tone` (reaches support.answer and sales.pitch),
   evaluated and approved;
2. an interface break in support.answer (input `tier` removed, major bump), not evaluated;
3. an eval regression in sales.pitch (a text edit whose eval scores 0.7 instead of 0.9).

Each commit is compared with its parent by `promptc diff`, `report` and `gate --base`.
"""

from __future__ import annotations

import json
import os

import pytest

from promptc.review import snapshot

from .review_repo import ANN, LEE, Repo, answer, git_env, init, pitch

FAILURES_BEFORE = [{"example": "asks for a discount", "reason": "offered 50% off"}]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """The repository and its commits: base, tone, interface, regression."""
    mp = pytest.MonkeyPatch()
    for key, value in git_env().items():
        if key.startswith("GIT_CONFIG"):
            mp.setenv(key, value)
    tmp = tmp_path_factory.mktemp("evals")
    repo = init(tmp_path_factory.mktemp("repo") / "acme")
    repo.import_records([repo.record(n, 0.9, slices={"billing": 0.8, "howto": 1.0}, failures=FAILURES_BEFORE)
                         for n in ("ops.summary", "sales.pitch", "support.answer")], tmp)
    commits = {"base": repo.commit("base")}

    repo.write("prompts/shared/tone.prompt", repo.root.joinpath("prompts/shared/tone.prompt").read_text()
               .replace("Be warm, plain and brief.", "Be warm, plain and brief. Never use jargon."))
    repo.write("prompts/support/answer.prompt", answer("1.0.1"))
    repo.write("prompts/sales/pitch.prompt", pitch("1.0.1"))
    repo.build()
    repo.import_records([repo.record(n, 0.9, slices={"billing": 0.8, "howto": 1.0}, failures=FAILURES_BEFORE)
                         for n in ("sales.pitch", "support.answer")], tmp)
    assert repo.cli("approve", "support.answer@1.0.1", "--by", LEE[1]).exit_code == 0
    commits["tone"] = repo.commit("tone: no jargon")

    repo.write("prompts/support/answer.prompt", answer("2.0.0", tier=False))
    repo.build()
    commits["interface"] = repo.commit("answer: drop the tier input")

    repo.write("prompts/sales/pitch.prompt", pitch("1.0.2", extra="Mention one concrete benefit.\n"))
    repo.build()
    repo.import_records([repo.record("sales.pitch", 0.7, slices={"billing": 0.5, "howto": 0.9},
                                     failures=FAILURES_BEFORE + [{"example": "pitch for Acme Books",
                                                                  "reason": "three sentences"}])], tmp)
    commits["regression"] = repo.commit("pitch: mention a benefit")
    yield repo, commits
    mp.undo()


def at(history, name: str) -> tuple[Repo, str]:
    """Check out commit `name` and return the repository and the parent to compare with."""
    repo, commits = history
    order = list(commits)
    repo.checkout(commits[name])
    return repo, commits[order[order.index(name) - 1]]


# --------------------------------------------------------------------------- 1. tone edit


def test_tone_edit_diff_shows_in_every_prompt_it_reaches(history):
    repo, parent = at(history, "tone")
    result = repo.cli("diff", "--base", parent, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    changed = {p["name"]: p for p in data["changed"]}
    assert set(changed) == {"sales.pitch", "support.answer"}
    assert data["unchanged"] == ["ops.summary"]
    for prompt in changed.values():
        assert prompt["level"] == "patch" and prompt["interface"] == []
        assert prompt["version"]["ok"] is True
        diff = prompt["messages"][0]["diff"]
        assert "-Be warm, plain and brief.\n+Be warm, plain and brief. Never use jargon." in diff
        assert prompt["tokens"]["static_tokens"]["delta"] > 0
    # the fragment is expanded in place, next to the prompt's own template text
    assert '{% if tier == "pro" %}Offer a call' in changed["support.answer"]["messages"][0]["diff"]


def test_tone_edit_text_diff(history):
    repo, parent = at(history, "tone")
    result = repo.cli("diff", "--base", parent)
    assert result.exit_code == 0
    out = result.stdout
    assert "sales.pitch  changed (patch)  1.0.0 → 1.0.1" in out
    assert "support.answer  changed (patch)  1.0.0 → 1.0.1" in out
    assert "+Be warm, plain and brief. Never use jargon." in out
    assert "ops.summary" not in out.split("prompts changed")[0]


def test_tone_edit_passes_the_gate(history):
    repo, parent = at(history, "tone")
    result = repo.cli("gate", "--base", parent)
    assert result.exit_code == 0, result.output
    assert "Gate passed: 2 changed prompts" in result.stderr
    assert result.stdout == ""


def test_tone_edit_report(history):
    repo, parent = at(history, "tone")
    result = repo.cli("report", "--base", parent)
    assert result.exit_code == 0
    text = result.stdout
    assert "**Gate: passed.**" in text
    assert "2 changed, 0 added, 0 removed, 1 unchanged" in text
    assert "| `support.answer` | patch change | 1.0.0 → 1.0.1 | high | 0.900 → 0.900 (+0.000) |" in text
    assert "+Be warm, plain and brief. Never use jargon." in text


# --------------------------------------------------------------------------- 2. interface break


def test_interface_break_diff_classifies_major(history):
    repo, parent = at(history, "interface")
    data = json.loads(repo.cli("diff", "--base", parent, "--format", "json").stdout)
    assert [p["name"] for p in data["changed"]] == ["support.answer"]
    prompt = data["changed"][0]
    assert prompt["level"] == "major"
    assert {"level": "major", "change": "input `tier` was removed"} in prompt["interface"] or \
        any(r["level"] == "major" and "tier" in r["change"] for r in prompt["interface"])
    assert prompt["version"] == {"old": "1.0.1", "new": "2.0.0", "bump": "major", "required": "major",
                                 "ok": True, "suggested": None}
    assert '-{% if tier == "pro" %}Offer a call with the account team.{% endif %}' in prompt["messages"][0]["diff"]


def test_interface_break_fails_the_gate(history):
    repo, parent = at(history, "interface")
    result = repo.cli("gate", "--base", parent)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("FAIL support.answer: no eval record for its new hash sha256:")
    assert "`promptc eval import`" in lines[0]
    assert lines[1].startswith("FAIL support.answer: risk high: changed without an approval;")
    assert "promptc approve support.answer@2.0.0 --by" in lines[1]
    data = json.loads(repo.cli("gate", "--base", parent, "--format", "json").stdout)
    assert data["ok"] is False and data["checked"] == ["support.answer"]
    assert [r["rule"] for r in data["reasons"]] == ["no-eval", "needs-approval"]


def test_interface_break_report(history):
    repo, parent = at(history, "interface")
    text = repo.cli("report", "--base", parent).stdout
    assert "**Gate: failed** (2 problems)" in text
    assert "| `support.answer` | major change | 1.0.1 → 2.0.0 | high | **missing** |" in text
    assert "- interface, major:" in text and "`tier`" in text
    data = json.loads(repo.cli("report", "--base", parent, "--format", "json").stdout)
    assert data["gate"]["ok"] is False
    assert data["changed"][0]["level"] == "major"


def test_approval_committed_by_the_reviewer_counts(history, tmp_path):
    """A reviewer who commits only promptc.lock does not become an author of the change."""
    repo, parent = at(history, "interface")
    repo.git("checkout", "-q", "-b", "review-interface")
    assert repo.cli("approve", "support.answer@2.0.0", "--by", LEE[0]).exit_code == 0
    repo.commit("approve", author=LEE)
    data = json.loads(repo.cli("gate", "--base", parent, "--format", "json").stdout)
    assert [r["rule"] for r in data["reasons"]] == ["no-eval"]
    # an approval by the change's author (emails compare without case) does not count
    assert repo.cli("approve", "support.answer@2.0.0", "--by", ANN[1].upper()).exit_code == 0
    data = json.loads(repo.cli("gate", "--base", parent, "--format", "json", "--author", LEE[0],
                               "--author", ANN[1]).stdout)
    reasons = {r["rule"]: r for r in data["reasons"]}
    assert reasons["needs-approval"]["message"] == \
        "risk high: approved only by its author (ANN@ACME.EXAMPLE, Lee Reviewer)"
    repo.git("checkout", "-q", "--", ".")


# --------------------------------------------------------------------------- 3. eval regression


def test_regression_fails_the_gate(history):
    repo, parent = at(history, "regression")
    result = repo.cli("gate", "--base", parent)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "FAIL sales.pitch: eval score fell from 0.900 to 0.700 (-0.200; risk low allows at most -0.050); "
        "fix the regression (the report lists the examples that newly fail) and import a new eval, or raise "
        "[review.low] max_score_drop in promptc.toml if the drop is accepted"]


def test_regression_report_names_new_failures_and_slices(history):
    repo, parent = at(history, "regression")
    text = repo.cli("report", "--base", parent).stdout
    assert "| `sales.pitch` | patch change | 1.0.1 → 1.0.2 | low | 0.900 → 0.700 (-0.200) |" in text
    assert "- slices: billing 0.800 → 0.500; howto 1.000 → 0.900" in text
    assert "- newly failing examples (1):\n  - pitch for Acme Books: three sentences" in text
    assert "asks for a discount" not in text  # failed before too: not new
    assert "+Mention one concrete benefit." in text


def test_regression_within_threshold_passes(history):
    repo, parent = at(history, "regression")
    config = repo.root / "promptc.toml"
    saved = config.read_text()
    try:
        config.write_text(saved + "\n[review.low]\nmax_score_drop = 0.25\n")
        assert repo.cli("gate", "--base", parent).exit_code == 0
        config.write_text(saved + "\n[review.low]\nmax_score_drop = 0.25\nmin_score = 0.8\n")
        result = repo.cli("gate", "--base", parent)
        assert result.exit_code == 1
        assert "eval score 0.700 is below the minimum 0.800 for risk low" in result.stdout
    finally:
        config.write_text(saved)


# --------------------------------------------------------------------------- the working tree


def test_unbumped_version_fails_the_gate(history):
    repo, _ = at(history, "regression")
    path = repo.root / "prompts/ops/summary.prompt"
    saved = path.read_text()
    try:
        path.write_text(saved.replace("three sentences", "two sentences"))
        data = json.loads(repo.cli("gate", "--base", "HEAD", "--format", "json").stdout)
        rules = {r["rule"]: r for r in data["reasons"]}
        assert rules["version"]["message"] == "1.0.0 → 1.0.0 is the same version, but the change needs a patch bump"
        assert "`version: 1.0.1`" in rules["version"]["fix"]
        assert "run `promptc build`" in rules["no-eval"]["fix"]  # the lock still names the old hash
    finally:
        path.write_text(saved)


def test_base_build_leaves_the_working_tree_alone(history):
    repo, parent = at(history, "regression")
    dist = sorted((p.name, p.stat().st_mtime_ns) for p in (repo.root / "dist").iterdir())
    lock = (repo.root / "promptc.lock").read_bytes()
    repo.cli("report", "--base", parent)
    assert repo.git("status", "--porcelain") == ""
    assert repo.git("worktree", "list", "--porcelain").count("worktree ") == 1
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (repo.root / "dist").iterdir()) == dist
    assert (repo.root / "promptc.lock").read_bytes() == lock


def test_worktree_is_removed_when_the_base_build_fails(history, monkeypatch):
    repo, parent = at(history, "regression")
    seen = []

    def broken(project, label="working tree"):
        seen.append(project.root)
        raise RuntimeError("boom")

    monkeypatch.setattr(snapshot, "from_project", broken)
    with pytest.raises(RuntimeError):
        snapshot.at_revision(snapshot.driver.open_project(repo.root), parent)
    assert seen and not seen[0].exists()
    assert repo.git("worktree", "list", "--porcelain").count("worktree ") == 1


def test_limit_diff_to_named_prompts(history):
    repo, _ = at(history, "regression")
    first = history[1]["base"]
    data = json.loads(repo.cli("diff", "--base", first, "sales.pitch", "--format", "json").stdout)
    assert [p["name"] for p in data["changed"]] == ["sales.pitch"]
    result = repo.cli("diff", "--base", first, "sales.pich")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: no prompt named `sales.pich` on either side; did you mean `sales.pitch`?"


def test_diff_of_two_releases(history):
    repo, _ = at(history, "regression")
    result = repo.cli("diff", "sales.pitch@1.0.0", "sales.pitch@1.0.2")
    assert result.exit_code == 0, result.output
    assert "+Be warm, plain and brief. Never use jargon." in result.stdout
    assert "+Mention one concrete benefit." in result.stdout
    bundle = next((repo.root / "dist").glob("support.answer@2.0.0.*.json"))
    old = next((repo.root / "dist").glob("support.answer@1.0.0.*.json"))
    data = json.loads(repo.cli("diff", str(old), str(bundle), "--format", "json").stdout)
    assert data["changed"][0]["level"] == "major"
    assert data["changed"][0]["lint"] == {"new": [], "fixed": []}


@pytest.mark.parametrize("args, message", [
    (("diff", "--base", "no-such-rev"), "error: unknown git revision `no-such-rev`"),
    (("gate", "--base", "HEAD~99"), "error: unknown git revision `HEAD~99`"),
    (("report", "--base", "--oops"), "error: `--oops` is not a git revision"),
    (("diff", "sales.pitch@9.9.9", "sales.pitch@1.0.0"), "error: no bundle for `sales.pitch@9.9.9` in dist/"),
    (("diff", "missing.json", "other.json"), "error: bundle file `missing.json` does not exist"),
    (("diff", "only-one"), "error: give two bundles to compare"),
])
def test_usage_errors_are_one_line(history, args, message):
    repo, _ = at(history, "regression")
    result = repo.cli(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


def test_base_outside_a_git_repository(tmp_path):
    from .helpers import write_project

    root = write_project(tmp_path, {"a.prompt": '---\nversion: 1.0.0\n---\nsystem """\nHi.\n"""\n'})
    result = Repo(root).cli("gate", "--base", "HEAD")
    assert result.exit_code == 2
    assert "is not inside a git repository" in result.stderr


def test_added_and_removed_prompts(history, tmp_path):
    repo, _ = at(history, "regression")
    path = repo.root / "prompts/ops/status.prompt"
    removed = repo.root / "prompts/ops/summary.prompt"
    saved = removed.read_text()
    try:
        path.write_text('---\nversion: 0.1.0\nrisk: low\n---\ninput x: str\noutput text\n'
                        'system """\nSay {{ x }}.\n"""\n')
        removed.unlink()
        data = json.loads(repo.cli("gate", "--base", "HEAD", "--format", "json").stdout)
        assert data["checked"] == ["ops.status"]  # a removed prompt is not gated
        assert data["reasons"][0]["rule"] == "no-eval"
        assert "`eval:` in the front matter" in data["reasons"][0]["fix"]
        text = repo.cli("report", "--base", "HEAD").stdout
        assert "| `ops.status` | added | 0.1.0 | low | **missing** | new | – | ❌ |" in text
        assert "| `ops.summary` | removed | 1.0.0 | medium | – | removed | removed | – |" in text
        assert "+Say {{ x }}." in text and "-Summarise the incident notes" in text
    finally:
        os.remove(path)
        removed.write_text(saved)
