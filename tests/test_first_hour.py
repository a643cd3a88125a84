"""What a new user meets in the first hour (issue 16): set-up, finding the project, the
command-line conventions, release safety, diagnostics and the guard's words."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import run_cli, write_project
from tests.needs import NEEDS, key_of, missing, summary

pytest_plugins = ["pytester"]


# --- set-up: skips are grouped by what is missing, with how to install it -----------------

def test_skip_reasons_name_what_is_missing_and_how_to_install_it() -> None:
    reason = missing("docker-registry", "/usr/bin/docker-registry is missing")
    assert key_of(reason) == "docker-registry"
    assert key_of("Skipped: " + reason) == "docker-registry"
    assert "apt-get install docker-registry" in reason
    assert key_of("some other reason") is None
    lines = summary([missing("node", "a"), missing("node", "b"), missing("chromium"), "flaky: no"])
    assert lines == [
        f"   2 skipped, missing {NEEDS['node'][0]}; install: {NEEDS['node'][1]}",
        f"   1 skipped, missing {NEEDS['chromium'][0]}; install: {NEEDS['chromium'][1]}",
        "   1 skipped: flaky: no",
    ]


def test_the_summary_of_a_run_groups_its_skips(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from tests.conftest import pytest_terminal_summary  # noqa: F401\n")
    pytester.makepyfile(textwrap.dedent("""
        import pytest
        from tests.needs import missing

        @pytest.mark.parametrize("n", range(3))
        def test_js(n):
            pytest.skip(missing("node", "`node` is not on PATH"))

        def test_oci():
            pytest.skip(missing("docker-registry"))

        def test_runs():
            pass
    """))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=4)
    result.stdout.fnmatch_lines([
        "*skipped: what the full run needs*",
        f"   3 skipped, missing {NEEDS['node'][0]}; install: {NEEDS['node'][1]}",
        f"   1 skipped, missing {NEEDS['docker-registry'][0]}; install: {NEEDS['docker-registry'][1]}",
    ])


# --- finding the project --------------------------------------------------------------------

def test_no_project_in_the_directory_or_its_parents_is_a_usage_error(tmp_path, monkeypatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    for args in (["build"], ["check"], ["fmt"], ["tokens"], ["render", "x"], ["build", str(empty)]):
        out = run_cli(*args, expect=2)
        assert "no promptc.toml" in out and "`promptc init`" in out, (args, out)
    assert list(empty.iterdir()) == [], "a refused command writes nothing"


def test_the_project_is_found_from_a_subdirectory(tmp_path, monkeypatch) -> None:
    (tmp_path / "p").mkdir()
    root = write_project(tmp_path / "p", {"support/answer.prompt":
                                          '---\nversion: 1.0.0\n---\nsystem """\nHello.\n"""\n'})
    monkeypatch.chdir(root / "prompts" / "support")
    assert "Built 1 bundle into dist/" in run_cli("build")
    assert [p.name for p in (root / "dist").glob("support.answer@1.0.0.*.json")]
    assert not (root / "prompts" / "support" / "dist").exists()
    assert not (root / "prompts" / "support" / "promptc.lock").exists()
    assert (root / "promptc.lock").is_file()


# --- conventions ----------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "support-desk"


def _promptc(*args: str, stdin: bytes | None = None, close_stdout: bool = False, cwd=None):
    """`python -m promptc ARGS…` as a separate process, with this checkout's sources."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "promptc", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=cwd)
    if close_stdout:
        proc.stdout.close()  # the reader is gone before the first write: `promptc … | head -0`
        proc.stdin.close()
        err = proc.stderr.read()
        proc.stderr.close()
        return proc.wait(timeout=60), b"", err
    out, err = proc.communicate(stdin, timeout=60)
    return proc.returncode, out, err


@pytest.mark.parametrize("args", [
    ["rules"],
    ["--help"],
    ["render", "support.answer", "--project", str(EXAMPLE), "--inputs", str(EXAMPLE / "inputs" / "answer.json")],
])
def test_a_closed_pipe_ends_quietly(args) -> None:
    code, _, err = _promptc(*args, close_stdout=True)
    assert (code, err) == (0, b""), err.decode()


def test_python_dash_m_promptc_is_the_command() -> None:
    code, out, err = _promptc("--version")
    assert code == 0 and out.decode().startswith("promptc"), err.decode()


def test_render_reads_its_inputs_from_stdin() -> None:
    inputs = (EXAMPLE / "inputs" / "answer.json").read_bytes()
    code, out, err = _promptc("render", "support.answer", "--project", str(EXAMPLE), "--inputs", "-",
                              "--format", "json", stdin=inputs)
    assert code == 0, err.decode()
    from_file = run_cli("render", "support.answer", "--project", str(EXAMPLE), "--inputs",
                        str(EXAMPLE / "inputs" / "answer.json"), "--format", "json")
    assert json.loads(out) == json.loads(from_file)
    code, _, err = _promptc("render", "support.answer", "--project", str(EXAMPLE), "--inputs", "-", stdin=b"[1]")
    assert code == 2 and b"<stdin>: inputs must be a JSON object" in err


def _complete(words: str, cwd) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "_PROMPTC_COMPLETE": "bash_complete",
           "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    result = subprocess.run([sys.executable, "-m", "promptc"], env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]


def test_shell_completion_completes_prompt_names_and_environments() -> None:
    assert _complete("promptc render sa", EXAMPLE) == ["sales.outreach"]
    assert _complete("promptc history ", EXAMPLE) == ["sales.outreach", "support.answer"]
    assert _complete("promptc promote support.answer@", EXAMPLE) == ["support.answer@2.0.0"]
    assert _complete("promptc history support.answer --env ", EXAMPLE) == ["staging", "prod"]
    assert _complete("promptc rollout support.answer --env p", EXAMPLE) == ["prod"]
    assert _complete("promptc tokens ", ROOT / "docs") == []  # no project: no suggestions, no error
    assert "_PROMPTC_COMPLETE" in (ROOT / "docs" / "completion.md").read_text()


# --- release safety -------------------------------------------------------------------------

@pytest.fixture
def released(tmp_path):
    """The example project built twice (2.0.0, then 2.0.1 with a text edit), both published."""
    from tests.helpers import example_releases

    project, dists = example_releases(tmp_path)
    reg = ["--registry", str(tmp_path / "r.db"), "--project", str(project)]
    run_cli("publish", str(dists["1"]), *reg)
    run_cli("publish", str(dists["2"]), *reg)
    return project, reg


def test_an_undeclared_environment_is_an_error_with_a_did_you_mean(released) -> None:
    project, reg = released
    out = run_cli("promote", "support.answer@2.0.0", "--env", "prdo", *reg, expect=2)
    assert "no environment `prdo` (did you mean `prod`?)" in out and "--create-env" in out
    out = run_cli("rollout", "support.answer", "--env", "prdo", "--candidate", "2.0.1", "--percent", "5", *reg,
                  expect=2)
    assert "did you mean `prod`?" in out
    assert "Nothing is released yet" in run_cli("status", *reg)  # nothing was created
    run_cli("promote", "support.answer@2.0.0", "--env", "prod", *reg)  # declared in promptc.toml
    run_cli("promote", "support.answer@2.0.0", "--env", "tenant-x", "--create-env", *reg)
    run_cli("promote", "support.answer@2.0.1", "--env", "tenant-x", *reg)  # now the registry has it
    out = run_cli("promote", "support.answer@2.0.0", "--env", "tenant-y", *reg, expect=2)
    assert "did you mean `tenant-x`?" in out


def test_the_declared_environments_are_checked(tmp_path) -> None:
    (tmp_path / "promptc.toml").write_text('[registry]\nenvironments = ["prod", "prod"]\n')
    out = run_cli("check", str(tmp_path), expect=1)
    assert "listed twice" in out


def _breaking_release(project: Path, out: Path) -> None:
    """support.answer 3.0.0: a new required input, so callers of 2.x fail."""
    from promptc import driver

    answer = project / "prompts" / "support" / "answer.prompt"
    text = answer.read_text(encoding="utf-8").replace("input question: str(max_tokens=600)",
                                                      "input question: str(max_tokens=600)\ninput order_id: str")
    answer.write_text(text.replace("{{ question }}", "{{ question }} (order {{ order_id }})", 1), encoding="utf-8")
    bumped = driver.version_bump(driver.open_project(project), ["support.answer"])
    assert [(n, new) for n, _, new in bumped.bumped] == [("support.answer", "3.0.0")]
    assert driver.build(driver.open_project(project), out=out).ok


def test_a_breaking_version_needs_an_acknowledgement(released, tmp_path) -> None:
    project, reg = released
    _breaking_release(project, tmp_path / "release-3")
    run_cli("publish", str(tmp_path / "release-3"), *reg)
    run_cli("promote", "support.answer@2.0.0", "--env", "prod", *reg)
    assert "2.0.1" in run_cli("promote", "support.answer@2.0.1", "--env", "prod", *reg)  # compatible: no question
    out = run_cli("promote", "support.answer@3.0.0", "--env", "prod", *reg, expect=2)
    assert "warning: support.answer@3.0.0 changes the interface that callers of support.answer@2.0.1" in out
    assert "order_id" in out and "--accept-breaking" in out
    out = run_cli("rollout", "support.answer", "--env", "prod", "--candidate", "3.0.0", "--percent", "5", *reg,
                  expect=2)
    assert "order_id" in out and "--accept-breaking" in out
    assert "2.0.1" in run_cli("status", "--env", "prod", *reg)  # nothing moved
    out = run_cli("rollout", "support.answer", "--env", "prod", "--candidate", "3.0.0", "--percent", "5",
                  "--accept-breaking", *reg)
    assert "warning:" in out and "event #" in out
    # a first release in an environment has no callers yet: no question
    run_cli("promote", "support.answer@3.0.0", "--env", "staging", *reg)


def test_verify_tells_not_deployed_from_drift(released) -> None:
    project, reg = released
    run_cli("build", str(project))
    out = run_cli("verify", "--env", "staging", *reg)  # declared, nothing deployed yet
    assert "info: support.answer: not deployed in staging" in out and "No drift" in out
    assert "2 prompts not deployed there" in out
    run_cli("promote", "support.answer@2.0.1", "--env", "staging", *reg)
    out = run_cli("verify", "--env", "staging", *reg)
    assert "info: sales.outreach: not deployed in staging" in out
    assert not [line for line in out.splitlines() if line.startswith("drift:")]
    run_cli("promote", "support.answer@2.0.0", "--env", "prod", *reg)
    out = run_cli("verify", "--env", "prod", *reg, expect=1)
    assert "drift: support.answer: prod serves 2.0.0" in out and "1 difference(s)" in out
    report = json.loads(run_cli("verify", "--env", "prod", *reg, "--json", expect=1))
    assert {(i["kind"], i["drift"]) for i in report["items"]} >= {("not-deployed", False)}


def test_history_shows_versions_and_hashes(released) -> None:
    project, reg = released
    run_cli("promote", "support.answer@2.0.0", "--env", "prod", *reg)
    run_cli("promote", "support.answer@2.0.1", "--env", "prod", *reg)
    lines = run_cli("history", "support.answer", "--env", "prod", *reg).splitlines()
    assert len(lines) == 2
    assert "- → 2.0.0 (" in lines[0] and " → 2.0.1 (" in lines[1] and lines[1].count("2.0.0 (") == 1
    moves = json.loads(run_cli("history", "support.answer", "--env", "prod", *reg, "--json"))
    assert [(m["old_version"], m["new_version"]) for m in moves] == [(None, "2.0.0"), ("2.0.0", "2.0.1")]
    assert all(m["new_hash"].startswith("sha256:") for m in moves)


def _publish_prompts(tmp_path, prompts: dict[str, str]) -> list[str]:
    root = tmp_path / "ident"
    root.mkdir()
    write_project(root, prompts)
    run_cli("build", str(root))
    reg = ["--registry", str(tmp_path / "ident.db"), "--project", str(root)]
    run_cli("publish", str(root / "dist"), *reg)
    return reg


def test_identify_rests_on_fixed_text(tmp_path) -> None:
    reg = _publish_prompts(tmp_path, {
        "echo.prompt": '---\nversion: 1.0.0\n---\ninput question: str\nuser """\n{{ question }}\n"""\n',
        "faq.prompt": '---\nversion: 1.0.0\n---\ninput question: str\n'
                      'user """\nAnswer from the FAQ: {{ question }}\n"""\n',
        "faq_copy.prompt": '---\nversion: 1.0.0\n---\ninput q: str\nuser """\nAnswer from the FAQ: {{ q }}\n"""\n',
        "refund.prompt": '---\nversion: 1.0.0\n---\ninput question: str\n'
                         'user """\nAnswer from the FAQ: {{ question }} Then offer a refund.\n"""\n',
    })
    observed = tmp_path / "observed.txt"
    # Only `{{ question }}` could render this: no fixed text, no match.
    observed.write_text("What is the capital of France?")
    out = run_cli("identify", str(observed), *reg, expect=1)
    assert out.startswith("No match") and "echo@1.0.0 could render it, but only from values" in out
    found = json.loads(run_cli("identify", str(observed), *reg, "--json", expect=1))
    assert (found["status"], found["matches"], found["unanchored"]) == ("no match", [], ["echo@1.0.0"])
    # The most fixed text wins: refund (34 non-blank characters) over faq (17) and echo (0).
    observed.write_text("Answer from the FAQ: can I pay by card? Then offer a refund.")
    found = json.loads(run_cli("identify", str(observed), *reg, "--json"))
    assert found["status"] == "match" and [m["name"] for m in found["matches"]] == ["refund"]
    assert found["matches"][0]["fixed_chars"] == len("AnswerfromtheFAQ:Thenofferarefund.")
    assert found["observed_chars"] == len("AnswerfromtheFAQ:canIpaybycard?Thenofferarefund.")
    out = run_cli("identify", str(observed), *reg)
    assert "34 of the text's 48 non-blank characters are the prompt's fixed text (71 %)" in out
    # Two prompts with the same fixed text: ambiguous, exit 1, both named.
    observed.write_text("Answer from the FAQ: can I pay by card?")
    found = json.loads(run_cli("identify", str(observed), *reg, "--json", expect=1))
    assert found["status"] == "ambiguous" and sorted(m["name"] for m in found["matches"]) == ["faq", "faq_copy"]
    assert "Ambiguous: 2 prompts" in run_cli("identify", str(observed), *reg, expect=1)
    assert json.loads(run_cli("identify", str(observed), "--name", "faq", *reg, "--json"))["status"] == "match"
