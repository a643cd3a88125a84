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
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:asyncio")
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
    assert (code, err) == (141, b""), err.decode()  # as a program stopped by SIGPIPE, without a word


def test_a_closed_pipe_is_never_a_success_and_a_broken_socket_is_no_closed_pipe(tmp_path) -> None:
    (tmp_path / "promptc.toml").write_text("")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "a.prompt").write_text('---\nversion: 1.0.0\n---\nsystem """\n{{ nope }}\n"""\n')
    code, _, err = _promptc("check", str(tmp_path), close_stdout=True)
    assert (code, err) == (141, b"")  # findings cut short are not a pass
    # A BrokenPipeError that is not stdout's (a socket's) is an error like any other.
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    script = ("import click, sys\nfrom promptc.clikit import guard\n"
              "@click.command()\n@guard\ndef cmd():\n    raise BrokenPipeError(32, 'Broken pipe')\ncmd()\n")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3 and "internal error: BrokenPipeError" in result.stderr


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
    run_cli("promote", "support.answer@2.0.1", "--env", "staging", *reg)
    envs = [line for line in run_cli("status", *reg).splitlines() if line and not line.startswith(" ")]
    assert envs == ["staging", "prod", "tenant-x"], "promptc.toml's order, then the others"


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
    out = run_cli("rollout", "support.answer", "--env", "prod", "--candidate", "3.0.0", "--percent", "50", *reg)
    assert "warning:" not in out  # a ramp of the rollout confirmed when it started
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


# --- the guard, for the person reading it -----------------------------------------------------

def test_client_reports_error_and_the_error_metric_counts_it(released) -> None:
    from promptc.guard.config import METRICS
    from promptc.registry import signals
    from promptc.registry.backends import open_store
    from promptc.runtime.client import Client

    project, reg = released
    url = reg[1]
    run_cli("promote", "support.answer@2.0.0", "--env", "prod", *reg)
    inputs = json.loads((project / "inputs" / "answer.json").read_text())
    with Client(url, "prod", ttl=60) as client:
        traces = [client.render("support.answer", inputs, key=str(i)).trace for i in range(3)]
        client.report(traces[0]["response_id"], error=True)
        client.report(traces[1]["response_id"], error=False)  # nothing happened: nothing recorded
        with pytest.raises(signals.SignalError, match="did you mean `error`"):
            client.report(traces[2]["response_id"], eror=True)
        client.flush()
    with open_store(url, readonly=True) as store:
        bad = signals.bad_counts(store, "prod", "support.answer", [traces[0]["hash"]], METRICS["error"][1], "",
                                 "9999")
    assert sum(bad.values()) == 1
    assert "error 1" in run_cli("signals", "summary", "support.answer", "--env", "prod", *reg)


def test_guard_check_says_when_the_current_minute_counts(released) -> None:
    import datetime as dt

    from promptc.runtime.client import Client

    import time

    project, reg = released
    url = reg[1]
    second = dt.datetime.now(dt.timezone.utc).second
    if second >= 45:  # serve everything below within one minute
        time.sleep(61 - second)
    run_cli("promote", "support.answer@2.0.0", "--env", "prod", *reg)
    run_cli("rollout", "support.answer", "--env", "prod", "--candidate", "2.0.1", "--percent", "50", *reg)
    inputs = json.loads((project / "inputs" / "answer.json").read_text())
    with Client(url, "prod", ttl=60) as client:
        for i in range(20):
            client.render("support.answer", inputs, key=str(i))
        client.flush()
    # Any instant from 15 s into the minute they were served in leaves that minute uncounted.
    now = max(dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
              dt.datetime.now(dt.timezone.utc).replace(second=16, microsecond=0))
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = run_cli("guard", "check", "--env", "prod", "--now", stamp, *reg)
    minute = now.strftime("%H:%M")
    counts_at = (now.replace(second=0) + dt.timedelta(minutes=1, seconds=15)).strftime("%H:%M:%S")
    assert "insufficient-data" in out and "candidate 0/0" in out
    assert (f"note: 20 responses served from {minute} UTC on are not counted yet: a minute counts once it has "
            f"ended and settled ({minute} counts from {counts_at} UTC)") in out


def test_evidence_is_one_unit_explained_in_words() -> None:
    import math

    from promptc.guard.evaluate import EVIDENCE_LEGEND, format_evidence
    from promptc.guard.model import MetricEvidence
    from promptc.guard.report import metric_line

    assert format_evidence(math.log(20), 20) == "100 %"
    assert format_evidence(0.5 * math.log(40), 40) == "50 %"
    assert format_evidence(129.0, 20) == "4,306 %"
    assert format_evidence(-1.0, 20) == "-33 %"
    m = MetricEvidence(metric="error", form="two-sample", candidate_exposures=500, stable_exposures=500,
                       candidate_bad=40, stable_bad=2, log_lr=129.0, threshold=20.0, alpha=0.05, base_rate=0.01,
                       required_exposures=300, decision="breach")
    line = metric_line(m)
    assert "evidence 4,306 %" in line and "LR" not in line and "e+" not in line
    assert "100 % freezes" in EVIDENCE_LEGEND and "favour the candidate" in EVIDENCE_LEGEND


def test_prices_are_dated_and_promptc_toml_overrides_them(tmp_path) -> None:
    from promptc.config import Price
    from promptc.pricing import PRICES_AS_OF, price_for

    assert price_for("gpt-4o") == (Price(input_per_mtok=2.5, output_per_mtok=10.0), f"list prices of {PRICES_AS_OF}")
    assert price_for("claude-3-5-sonnet-20241022")[0] == Price(input_per_mtok=3.0, output_per_mtok=15.0)
    assert price_for("openai/gpt-4o-mini")[0] == Price(input_per_mtok=0.15, output_per_mtok=0.6)
    assert price_for("gpt-4o-2024-05-13")[0] == Price(input_per_mtok=5.0, output_per_mtok=15.0)  # not gpt-4o's
    assert price_for("claude-3-5-haiku-latest")[0] == Price(input_per_mtok=0.8, output_per_mtok=4.0)
    assert price_for("my-finetune") == (None, None)
    mine = Price(input_per_mtok=1.0, output_per_mtok=2.0)
    assert price_for("gpt-4o", {"gpt-4o": mine}) == (mine, "promptc.toml")

    (tmp_path / "promptc.toml").write_text('[prices."my-model"]\ninput_per_mtok = 1\noutput_per_mtok = 2\n')
    prompt = '---\nversion: 1.0.0\nmodel: {name: %s, max_tokens: 100}\n---\nsystem """\nHello there.\n"""\n'
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "a.prompt").write_text(prompt % "my-model")
    (tmp_path / "prompts" / "b.prompt").write_text(prompt % "gpt-4.1-mini")
    (tmp_path / "prompts" / "c.prompt").write_text(prompt % "acme-llm")
    out = run_cli("tokens", "--project", str(tmp_path))
    assert "cost ($1.00 in, $2.00 out per million tokens, from promptc.toml)" in out
    assert (f"cost ($0.40 in, $1.60 out per million tokens, promptc's list prices of {PRICES_AS_OF}; [prices] "
            "in promptc.toml overrides)") in out
    assert f"cost: no price for acme-llm: promptc's list prices of {PRICES_AS_OF} do not have it" in out
