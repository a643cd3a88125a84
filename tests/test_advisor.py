"""`promptc review-lint` end to end against a model provider on 127.0.0.1 (tests/model_server.py)
that speaks the OpenAI and Anthropic wire formats and answers with recorded replies.

Positions are checked against an oracle that knows nothing of promptc: the offset of the
quoted text in the file's bytes, turned into a line and a column by counting line breaks.
"""

from __future__ import annotations

import hashlib
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from promptc.advisor.rubric import INSTRUCTIONS, RUBRIC_VERSION
from promptc.cli import main
from tests.model_server import ModelServer

KEY_ENV = "PROMPTC_TEST_REVIEW_KEY"

STYLE = '''\
fragment house_rules """
List at most three topics per reply.
Sign every reply as "The Billing Team".
"""
'''

ANSWER = '''\
---
version: 1.0.0
purpose: Answer billing questions.
owner: billing-team
---
from shared.style import house_rules
input question: str(max_len=500)
input tier: "free" | "pro" = "free"
tool lookup_invoice(id: str) "Find an invoice by its id."

system """
You are the billing assistant.
{{ house_rules() }}
{% if tier == "pro" %}
Offer a call with an account manager.
{% else %}
Point to the help center.
{% endif %}
Check the ledger with fetch_ledger when asked about payouts.
Example reply: Topics: refunds, taxes, payouts, exports. The Billing Team
"""

user """{{ question }}"""
'''

REFUND = '''\
---
version: 1.0.0
purpose: Explain refunds.
owner: billing-team
---
system """
Explain the refund policy in plain words.
"""
'''

FINDINGS = [
    # mapped through the imported fragment (first quote) and the prompt (second)
    {"kind": "conflict", "conflict_kind": "example",
     "quotes": ["List at most three topics per reply.", "Topics: refunds, taxes, payouts, exports."],
     "message": "The example lists four topics where the rule allows three.",
     "suggestion": "Make the example list three topics."},
    {"kind": "stale-tool", "quotes": ["fetch_ledger"], "message": "`fetch_ledger` is not a declared tool."},
    {"kind": "unvalidated-input", "quotes": ["{{question}}"], "message": "The question is not delimited."},
    {"kind": "format-locking", "quotes": ["Offer a call with an account manager."], "message": "In a branch."},
    # dropped: the second quote is not in the prompt
    {"kind": "conflict", "quotes": ["List at most three topics per reply.", "Always list five topics."],
     "message": "Invented."},
    # dropped: the quote runs across two branches of an `if`, which the prompt never sends together
    {"kind": "conflict", "quotes": ["Offer a call with an account manager.\nPoint to the help center.", "refunds"],
     "message": "Across branches."},
    # not understood: no such kind
    {"kind": "spelling", "quotes": ["billing"], "message": "Nope."},
]


def oracle(text: str, quote: str) -> tuple[int, int, int, int]:
    """(line, column, end_line, end_column) of the first occurrence of `quote`, by counting."""
    i = text.index(quote)
    j = i + len(quote)
    line = text.count("\n", 0, i) + 1
    column = i - (text.rfind("\n", 0, i) + 1) + 1
    end_line = text.count("\n", 0, j) + 1
    end_column = j - (text.rfind("\n", 0, j) + 1) + 1
    return line, column, end_line, end_column


@pytest.fixture
def server():
    s = ModelServer().start()
    yield s
    s.stop()


def make_project(root: Path, server: ModelServer, provider: str = "openai", extra: str = "",
                 files: dict[str, str] | None = None) -> Path:
    base = server.url + ("/v1" if provider == "openai" else "")
    (root / "promptc.toml").write_text(
        f'[project]\nname = "t"\nsources = ["prompts"]\n\n[review]\nprovider = "{provider}"\n'
        f'model = "gpt-4o-mini"\nbase_url = "{base}"\napi_key_env = "{KEY_ENV}"\ntimeout = 5\n{extra}',
        encoding="utf-8")
    for rel, text in (files or {"shared/style.prompt": STYLE, "answer.prompt": ANSWER, "refund.prompt": REFUND}).items():
        path = root / "prompts" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    server.replies["Prompt `answer`"] = json.dumps({"findings": FINDINGS})
    return root


def review(*args: str, expect: int = 0, key: str = "test-key"):
    result = CliRunner().invoke(main, ["review-lint", *args], env={KEY_ENV: key, "GITHUB_ACTIONS": None},
                                catch_exceptions=False)
    assert result.exit_code == expect, (args, result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.output and "internal error" not in result.stderr
    return result


def as_json(root: Path, *args: str, expect: int = 0) -> tuple[list[dict], str]:
    result = review(str(root), "--format", "json", *args, expect=expect)
    return json.loads(result.stdout), result.stderr


def by_rule(found: list[dict]) -> dict[str, dict]:
    return {d["rule"]: d for d in found}


def test_findings_are_anchored_and_mapped_through_imports(tmp_path, server):
    root = make_project(tmp_path, server)
    found, err = as_json(root)
    rules = by_rule(found)
    assert sorted(rules) == ["review/conflict", "review/format-locking", "review/stale-tool",
                             "review/unvalidated-input"], found
    assert len(found) == 4  # the invented conflict and the one across branches are gone
    style = (root / "prompts/shared/style.prompt").read_text(encoding="utf-8")
    answer = (root / "prompts/answer.prompt").read_text(encoding="utf-8")

    def at(d: dict) -> tuple:
        return d["line"], d["column"], d["end_line"], d["end_column"]

    conflict = rules["review/conflict"]
    assert conflict["file"] == "prompts/shared/style.prompt"
    assert at(conflict) == oracle(style, "List at most three topics per reply.")
    label = conflict["labels"][0]
    assert label["file"] == "prompts/answer.prompt"
    assert (label["line"], label["column"], label["end_line"], label["end_column"]) == \
        oracle(answer, "Topics: refunds, taxes, payouts, exports.")
    assert conflict["import_chain"] == ["prompts/answer.prompt (`answer`)"]
    assert conflict["message"].startswith("example conflict: The example lists four topics")
    assert conflict["notes"][0] == "Make the example list three topics."
    assert conflict["severity"] == "info" and conflict["code"] == "PCR01"
    assert at(rules["review/stale-tool"]) == oracle(answer, "fetch_ledger")
    # the model saw `{{question}}`; the finding covers `{{ question }}` as written
    assert at(rules["review/unvalidated-input"]) == oracle(answer, "{{ question }}")
    assert at(rules["review/format-locking"]) == oracle(answer, "Offer a call with an account manager.")
    assert "2 dropped: quotes not in the prompt" in err and "1 not understood" in err
    assert "2 prompts reviewed by gpt-4o-mini (openai): 2 sent, 0 from the cache" in err

    # what was sent: the rubric, the interface and the messages with the fragment inlined
    assert server.paths == ["/v1/chat/completions"] * 2
    _, headers, body = next(entry for entry in server.log if "Prompt `answer`" in json.dumps(entry[2]))
    assert headers["authorization"] == "Bearer test-key"
    assert body["model"] == "gpt-4o-mini" and body["messages"][0] == {"role": "system", "content": INSTRUCTIONS}
    user = body["messages"][1]["content"]
    assert "List at most three topics per reply." in user  # inlined from shared.style
    assert "- input `question` (required)" in user and "- tool `lookup_invoice`" in user
    assert "{% if #1 branch 1 %}Offer a call" in user and "{% if #1 branch else %}Point" in user


def test_a_reply_quoting_text_not_in_the_prompt_yields_no_finding(tmp_path, server):
    root = make_project(tmp_path, server)
    server.replies["Prompt `answer`"] = json.dumps({"findings": [
        {"kind": "conflict", "quotes": ["Never sign replies.", "Sign every reply"], "message": "a"},
        {"kind": "format-locking", "quotes": ["list at most three topics per reply."], "message": "case differs"},
        {"kind": "stale-tool", "quotes": ["fetch_ledger…"], "message": "an added ellipsis"},
        {"kind": "stale-tool", "quotes": ["Find an invoice by its id."], "message": "the interface, not a message"},
    ]})
    found, err = as_json(root)
    assert found == []
    assert "4 dropped: quotes not in the prompt" in err


def test_a_second_run_sends_nothing_and_cached_findings_follow_their_lines(tmp_path, server):
    root = make_project(tmp_path, server)
    first, _ = as_json(root)
    sent = len(server.log)
    assert sent == 2
    second, err = as_json(root)
    assert len(server.log) == sent, "an unchanged prompt was sent again"
    assert second == first
    assert "0 sent, 2 from the cache" in err
    # Lines move but the text sent does not change: still cached, reported at the new lines.
    answer = root / "prompts/answer.prompt"
    answer.write_text(ANSWER.replace("from shared.style", "\n\nfrom shared.style"), encoding="utf-8")
    moved, _ = as_json(root)
    assert len(server.log) == sent
    assert by_rule(moved)["review/stale-tool"]["line"] == by_rule(first)["review/stale-tool"]["line"] + 2
    # Editing one prompt re-asks that prompt only.
    answer.write_text(ANSWER.replace("billing assistant", "billing helper"), encoding="utf-8")
    as_json(root)
    assert len(server.log) == sent + 1
    assert "Prompt `answer`" in server.log[-1][2]["messages"][1]["content"]
    # Another model is another cache entry.
    toml = root / "promptc.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"gpt-4o-mini"', '"gpt-4.1-mini"'), encoding="utf-8")
    as_json(root)
    assert len(server.log) == sent + 3


def test_anthropic_messages_wire_format(tmp_path, server):
    root = make_project(tmp_path, server, provider="anthropic")
    found, _ = as_json(root)
    assert server.paths == ["/v1/messages"] * 2
    _, headers, body = server.log[0]
    assert headers["x-api-key"] == "test-key" and headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in headers
    assert body["system"] == INSTRUCTIONS and body["max_tokens"] == 2000
    assert [m["role"] for m in body["messages"]] == ["user"]
    assert sorted(by_rule(found)) == ["review/conflict", "review/format-locking", "review/stale-tool",
                                      "review/unvalidated-input"]


def test_rate_limit_retry_after_is_honoured(tmp_path, server):
    root = make_project(tmp_path, server)
    server.script = [("status", 429, {"Retry-After": "1"})]
    started = time.monotonic()
    found, err = as_json(root)
    assert time.monotonic() - started >= 1.0
    assert len(server.log) == 3  # the refused request, its retry and the other prompt
    assert len(found) == 4 and "2 sent" in err


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_server_errors_are_retried_then_reported_and_not_cached(tmp_path, server, provider):
    root = make_project(tmp_path, server, provider=provider, extra="max_retries = 2\n",
                        files={"answer.prompt": ANSWER.replace("{{ house_rules() }}\n", "").replace(
                            "from shared.style import house_rules\n", "")})
    fast = {"retry-after-ms": "10"}
    server.script = [("status", 500, fast), ("status", 529, fast), ("status", 503, fast)]
    result = review(str(root), "--format", "json", expect=1)
    assert len(server.log) == 3
    assert "answer (prompts/answer.prompt) was not reviewed" in result.stderr
    assert "answered 503: scripted 503 (gave up after 3 attempts)" in result.stderr
    assert "1 failed" in result.stderr
    server.script = [("status", 500, fast)] * 3
    sarif = json.loads(review(str(root), "--format", "sarif", expect=1).stdout)["runs"][0]
    assert sarif["invocations"][0]["executionSuccessful"] is False
    (note,) = sarif["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "error" and "answer (prompts/answer.prompt) was not reviewed" in note["message"]["text"]
    # nothing was cached: the next run asks again, and now gets an answer
    found, _ = as_json(root)
    assert len(server.log) == 7 and found


def test_a_wrong_key_is_not_retried(tmp_path, server):
    root = make_project(tmp_path, server)
    result = review(str(root), expect=1, key="wrong")
    assert len(server.log) == 2  # one request per prompt, no retries
    assert "answered 401: Incorrect API key provided" in result.stderr
    assert "api_key_env" in result.stderr
    assert "wrong" not in result.stderr + result.stdout  # the key is never printed


def test_timeouts(tmp_path, server):
    root = make_project(tmp_path, server, extra="max_retries = 0\n", files={"refund.prompt": REFUND})
    toml = root / "promptc.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("timeout = 5", "timeout = 0.3"), encoding="utf-8")
    server.script = [("hang", 1.0)]
    result = review(str(root), expect=1)
    assert "did not answer within 0.3 s (gave up after 1 attempt)" in result.stderr
    # with one retry the second attempt answers
    toml.write_text(toml.read_text(encoding="utf-8").replace("max_retries = 0", "max_retries = 1"), encoding="utf-8")
    server.script = [("hang", 1.0)]
    before = len(server.log)
    result = review(str(root))
    assert len(server.log) == before + 2 and "1 sent" in result.stderr


def test_malformed_replies(tmp_path, server):
    root = make_project(tmp_path, server, files={"refund.prompt": REFUND})
    server.script = [("garbage",)]
    result = review(str(root), expect=1)
    assert "the provider's reply is not JSON" in result.stderr
    server.script = [("content", "Sure! The prompt looks fine to me.")]
    result = review(str(root), expect=1)
    assert 'the reply is not a JSON object: "Sure! The prompt looks fine to me."' in result.stderr
    server.script = [("content", '{"verdict": "fine"}')]
    result = review(str(root), expect=1)
    assert "the reply has no `findings` list" in result.stderr
    assert len(server.log) == 3  # none of these was cached
    fenced = '```json\n{"findings": [{"kind": "format-locking", "quotes": ["in plain words"], "message": "m"}]}\n```'
    server.script = [("content", fenced)]
    found, _ = as_json(root)
    assert [d["rule"] for d in found] == ["review/format-locking"]
    assert (found[0]["line"], found[0]["column"]) == oracle(REFUND, "in plain words")[:2]


def _dry_run(root: Path) -> dict:
    return json.loads(review(str(root), "--dry-run", "--format", "json").stdout)


def test_dry_run_sends_nothing_and_counts_tokens_and_cost(tmp_path, server):
    from promptc import tokens

    root = make_project(tmp_path, server, extra='\n[prices."gpt-4o-mini"]\ninput_per_mtok = 0.15\noutput_per_mtok = 0.6\n')
    plan = _dry_run(root)
    assert server.log == []
    assert plan["total"]["send"] == 2
    for entry in plan["prompts"]:
        body = entry["request"]["body"]
        assert entry["request"]["url"] == server.url + "/v1/chat/completions"
        assert "authorization" not in {k.lower() for k in entry["request"]["headers"]}
        encoding = tokens.for_model("gpt-4o-mini").encoding
        assert entry["input_tokens"] == sum(tokens.count(m["content"], encoding) for m in body["messages"])
        assert entry["max_cost_usd"] == pytest.approx((entry["input_tokens"] * 0.15 + 2000 * 0.6) / 1e6, abs=1e-6)
    text = review(str(root), "--dry-run").stdout
    assert "Would send 2 of 2 prompts" in text and "tokens in" in text and "estimated cost at most $" in text
    assert server.log == []
    as_json(root)
    assert "Would send 0 of 2 prompts" in review(str(root), "--dry-run").stdout


def test_budget_caps_spending(tmp_path, server):
    prices = '\n[prices."gpt-4o-mini"]\ninput_per_mtok = 1000\noutput_per_mtok = 1000\n'
    root = make_project(tmp_path, server, extra=prices)
    plan = {e["prompt"]: e["max_cost_usd"] for e in _dry_run(root)["prompts"]}
    server.usage = (1000, 200)  # each reply costs $1.20 at these prices
    # Enough for the first prompt (answer) and its actual cost, not for the second's worst case.
    budget = plan["answer"] + 0.01
    assert 1.2 + plan["refund"] > budget
    result = review(str(root), "--budget", str(budget), "--format", "json")
    assert len(server.log) == 1 and "Prompt `answer`" in server.log[0][2]["messages"][1]["content"]
    assert "refund was not sent: a reply could cost up to" in result.stderr
    assert "1 not sent (over the budget)" in result.stderr and "cost $1.2000" in result.stderr
    # the next run finds answer in the cache and spends the budget on refund
    result = review(str(root), "--budget", str(budget), "--format", "json")
    assert len(server.log) == 2 and "1 sent, 1 from the cache" in result.stderr


def test_budget_needs_a_price(tmp_path, server):
    root = make_project(tmp_path, server)
    toml = root / "promptc.toml"  # a model neither promptc.toml nor the dated price list prices
    toml.write_text(toml.read_text(encoding="utf-8").replace("gpt-4o-mini", "acme-internal-7b"), encoding="utf-8")
    result = review(str(root), "--budget", "1", expect=2)
    assert '[prices."acme-internal-7b"]' in result.stderr and server.log == []


def test_nothing_is_sent_without_a_configured_model_or_key(tmp_path, server):
    root = make_project(tmp_path, server)
    result = review(str(root), expect=2, key="")
    assert f"the environment variable {KEY_ENV} is not set" in result.stderr
    (root / "promptc.toml").write_text('[project]\nname = "t"\n', encoding="utf-8")
    result = review(str(root), expect=2)
    assert "no model is configured for review-lint (provider and model missing)" in result.stderr
    assert server.log == []


def test_static_findings_suppress_the_models_on_the_same_passages(tmp_path, server):
    text = ('---\nversion: 1.0.0\npurpose: p\nowner: o\n---\nsystem """\nKeep every answer under 50 words.\n'
            'Explain each step in detail, in at least 200 words.\nReply in English.\n"""\n')
    root = make_project(tmp_path, server, files={"answer.prompt": text})
    check = CliRunner().invoke(main, ["check", str(root), "--format", "json"])
    static = [d for d in json.loads(check.stdout) if d["rule"] == "conflicting-instructions"]
    assert static, "the linter should report its own documented example"
    lines = {static[0]["line"], *(label["line"] for label in static[0].get("labels", ()))}
    source = text.splitlines()
    quotes = [source[line - 1].strip() for line in sorted(lines)]
    server.replies["Prompt `answer`"] = json.dumps({"findings": [
        {"kind": "conflict", "conflict_kind": "numeric", "quotes": quotes, "message": "same pair"},
        {"kind": "conflict", "conflict_kind": "length", "quotes": [quotes[0], "Reply in English."],
         "message": "another pair"},
    ]})
    found, err = as_json(root)
    assert [d["message"] for d in found] == ["length conflict: another pair"]
    assert "1 already reported by the linter" in err


def test_ignore_comments_and_severity_settings(tmp_path, server):
    ignored = ANSWER.replace("Check the ledger with fetch_ledger when asked about payouts.",
                             "Check the ledger with fetch_ledger when asked about payouts. "
                             "{# promptc: ignore[review/stale-tool] #}")
    files = {"shared/style.prompt": STYLE, "answer.prompt": ignored}
    root = make_project(tmp_path, server, extra='severity = { conflict = "warning", format-locking = "off" }\n',
                        files=files)
    found, err = as_json(root, expect=1)  # a warning fails the run, as in `check`
    assert {d["rule"]: d["severity"] for d in found} == {"review/conflict": "warning",
                                                         "review/unvalidated-input": "info"}
    assert "1 dismissed by ignore comments" in err
    # front matter silences a kind for the whole module, as `lint: {ignore: […]}` does for rules
    (root / "prompts/answer.prompt").write_text(
        ignored.replace("owner: billing-team\n", "owner: billing-team\nlint: {ignore: [review/conflict]}\n"),
        encoding="utf-8")
    found, err = as_json(root)
    assert [d["rule"] for d in found] == ["review/unvalidated-input"]
    assert "2 dismissed by ignore comments" in err


def test_unknown_severity_kind_is_a_config_error(tmp_path, server):
    root = make_project(tmp_path, server, extra='severity = { conflicts = "warning" }\n')
    result = review(str(root), expect=2)
    assert "unknown kind `conflicts`" in result.stderr and server.log == []


def test_every_output_format(tmp_path, server):
    root = make_project(tmp_path, server)
    answer = (root / "prompts/answer.prompt").read_text(encoding="utf-8")
    stale_line = oracle(answer, "fetch_ledger")[0]

    text = review(str(root), "--format", "text").stdout
    assert f"prompts/answer.prompt:{stale_line}:" in text and "info[PCR03 review/stale-tool]" in text
    assert "  = imported from prompts/answer.prompt (`answer`)" in text

    sarif = json.loads(review(str(root), "--format", "sarif").stdout)
    run = sarif["runs"][0]
    results = {r["ruleId"]: r for r in run["results"]}
    assert sorted(results) == ["PCR01", "PCR03", "PCR04", "PCR05"]
    stale = results["PCR03"]
    assert stale["level"] == "note"
    location = stale["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "prompts/answer.prompt"
    assert location["region"]["startLine"] == stale_line
    rule = run["tool"]["driver"]["rules"][stale["ruleIndex"]]
    assert rule["name"] == "review/stale-tool" and rule["properties"]["tags"] == ["review", "advisory"]
    assert results["PCR01"]["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "prompts/answer.prompt"
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["properties"]["review"] == {"rubric": RUBRIC_VERSION, "sent": 0, "cached": 2, "failed": 0,
                                           "overBudget": 0, "dropped": 2, "notUnderstood": 1,
                                           "suppressed": 0, "dismissed": 0}

    github = review(str(root), "--format", "github").stdout.splitlines()
    assert f"::notice file=prompts/answer.prompt,line={stale_line}," in next(
        line for line in github if "review/stale-tool" in line)
    assert len(github) == 4 and all(line.startswith("::notice ") for line in github)

    junit = ET.fromstring(review(str(root), "--format", "junit").stdout)
    suite = junit.find("testsuite")
    assert suite.get("failures") == "0"  # infos do not fail
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["findings.info"] == "4"
    out = "".join(case.findtext("system-out") or "" for case in suite.iter("testcase"))
    assert "review/stale-tool" in out and "review/conflict" in out
    assert len(server.log) == 2  # five formats, one request per prompt


def test_the_rubric_version_changes_with_the_instructions():
    """The cache trusts RUBRIC_VERSION: editing the instructions must bump it (and this hash)."""
    assert (RUBRIC_VERSION, hashlib.sha256(INSTRUCTIONS.encode()).hexdigest()) == \
        ("1", "d2485f30029f4369d1499b8d996a0ea602f69ba7f5cb2818a823006acf1b2950")


CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


@pytest.mark.skipif(not (CORPUS / "labels.jsonl").is_file(),
                    reason=f"the corpus of real prompts is not at {CORPUS} (../shared/corpus from the repository)")
def test_corpus_findings_map_to_the_right_lines(tmp_path, server):
    """Recorded replies for every corpus file labelled `conflict`: each labelled conflict as
    a model would report it (both passages quoted as the labels quote them), plus one
    finding with an invented quote. Every reported finding must point at the line and
    column where its passages are in the file; the invented ones must be dropped."""
    labelled = [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
    cases = [entry for entry in labelled if entry["label"] == "conflict" and entry["conflicts"]]
    assert cases, "the corpus has no file labelled `conflict`"
    make_project(tmp_path, server, files={})
    expected: dict[str, tuple[Path, dict]] = {}
    for entry in cases:
        path = CORPUS / entry["file"]
        findings = []
        for i, conflict in enumerate(entry["conflicts"]):
            tag = f"{path.name} #{i}"
            expected[tag] = (path, conflict)
            findings.append({"kind": "conflict", "conflict_kind": conflict.get("kind") or "other",
                             "quotes": [conflict["a"], conflict["b"]], "message": tag})
        findings.append({"kind": "conflict", "quotes": [entry["conflicts"][0]["a"], "An invented sentence here."],
                         "message": "invented"})
        server.replies[f"/{path.name})"] = json.dumps({"findings": findings})
    result = review("--project", str(tmp_path), "--format", "json", *(str(CORPUS / e["file"]) for e in cases))
    found = json.loads(result.stdout)
    assert len(server.log) == len(cases)
    assert f"{len(cases)} dropped: quotes not in the prompt" in result.stderr
    suppressed = 0
    if "already reported by the linter" in result.stderr:
        suppressed = int(result.stderr.split(" already reported by the linter")[0].rsplit("(", 1)[-1].rsplit(" ", 1)[-1])
    assert len(found) + suppressed == len(expected)
    for d in found:
        tag = d["message"].split(": ", 1)[1]
        path, conflict = expected[tag]
        text = path.read_bytes().decode("utf-8")
        assert Path(d["file"]) == path
        assert (d["line"], d["column"], d["end_line"], d["end_column"]) == oracle(text, conflict["a"].strip()), tag
        if conflict["b"].strip() != conflict["a"].strip():
            (label,) = d["labels"]
            assert (label["line"], label["column"], label["end_line"], label["end_column"]) == \
                oracle(text, conflict["b"].strip()), tag


def test_retry_after_forms():
    import email.utils

    from promptc.advisor.providers import _retry_after

    assert _retry_after({"retry-after": "7"}) == 7.0
    assert _retry_after({"retry-after-ms": "250", "retry-after": "7"}) == 0.25
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= _retry_after({"retry-after": soon}) <= 30
    assert _retry_after({"retry-after": "soon"}) is None and _retry_after({}) is None


def test_a_provider_asking_for_a_long_pause_ends_the_request(tmp_path, server):
    root = make_project(tmp_path, server, files={"refund.prompt": REFUND})
    server.script = [("status", 429, {"Retry-After": "3600"})]
    result = review(str(root), expect=1)
    assert "it asks to wait 3600 s, longer than promptc waits (120 s): run again later" in result.stderr
    assert len(server.log) == 1


def test_plain_prompt_files(tmp_path, server):
    """A .txt/.md file is one literal system message, read as `promptc check FILE.md` reads it."""
    root = make_project(tmp_path, server, files={})
    notes = tmp_path / "legacy" / "notes.md"
    notes.parent.mkdir()
    text = ("# Support bot\n\nAlways answer in exactly 3 bullet points.\r\n"
            "Describe {{ customer }}'s account in one sentence.\n")
    notes.write_bytes(text.encode("utf-8"))
    server.replies["legacy/notes.md"] = json.dumps({"findings": [
        {"kind": "format-locking", "quotes": ["in one sentence"], "message": "no fallback"},
        {"kind": "unvalidated-input", "quotes": ["{{ customer }}'s account"], "message": "a placeholder"},
        {"kind": "conflict", "quotes": ["exactly 3 bullet points", "in one sentence"], "message": "3 vs 1"},
    ]})
    found, err = as_json(tmp_path / "legacy" / "notes.md")
    normalised = text.replace("\r\n", "\n")
    assert [(d["rule"], d["file"], d["line"], d["column"]) for d in found] == [
        ("review/conflict", "legacy/notes.md", *oracle(normalised, "exactly 3 bullet points")[:2]),
        ("review/unvalidated-input", "legacy/notes.md", *oracle(normalised, "{{ customer }}'s account")[:2]),
        ("review/format-locking", "legacy/notes.md", *oracle(normalised, "in one sentence")[:2]),
    ]
    user = server.log[0][2]["messages"][1]["content"]
    assert "- inputs: none declared (a plain prompt file" in user
    assert "Describe {{ customer }}'s account" in user  # template syntax in a plain file is text
    # an ignore comment works in a plain file as in a module
    notes.write_text(text.replace("bullet points.\r\n", "bullet points. {# promptc: ignore[review/conflict] #}\n"),
                     encoding="utf-8")
    found, err = as_json(tmp_path / "legacy" / "notes.md")
    assert [d["rule"] for d in found] == ["review/unvalidated-input", "review/format-locking"]
    assert "1 dismissed by ignore comments" in err


def _refunds(n: int) -> dict[str, str]:
    return {f"refund{i}.prompt": REFUND.replace("refund policy", f"refund policy ({i})") for i in range(n)}


def test_requests_are_sent_in_parallel(tmp_path, server):
    root = make_project(tmp_path, server, files=_refunds(4))
    server.script = [("hang", 1.0)] * 4
    started = time.monotonic()
    result = review(str(root), "--jobs", "4")
    assert time.monotonic() - started < 3.0  # one at a time takes at least 4 s
    assert len(server.log) == 4 and "4 sent" in result.stderr


def test_the_budget_holds_with_requests_in_flight(tmp_path, server):
    """Each request reserves its largest cost; a request that does not fit waits for those in
    flight to settle at their actual cost, so the prompts sent are those one at a time would
    send, and the spending never passes the budget."""
    prices = '\n[prices."gpt-4o-mini"]\ninput_per_mtok = 1000\noutput_per_mtok = 1000\n'
    root = make_project(tmp_path, server, extra=prices, files=_refunds(3))
    worst = {e["prompt"]: e["max_cost_usd"] for e in _dry_run(root)["prompts"]}
    server.usage = (100, 10)  # each reply costs $0.11 at these prices
    budget = max(worst.values()) + 0.25  # one worst case at a time, plus the actual costs of two replies
    server.script = [("hang", 0.3)] * 3
    result = review(str(root), "--jobs", "3", "--budget", str(budget))
    assert len(server.log) == 3 and "3 sent" in result.stderr and "cost $0.3300" in result.stderr
    # with a budget too small for the third after two replies, the third is left out
    for path in (root / "prompts").glob("*.prompt"):
        path.write_text(path.read_text(encoding="utf-8").replace("plain words", "simple words"), encoding="utf-8")
    server.log.clear()
    worst = {e["prompt"]: e["max_cost_usd"] for e in _dry_run(root)["prompts"]}
    budget = max(worst.values()) + 0.15
    result = review(str(root), "--jobs", "3", "--budget", str(budget))
    assert len(server.log) == 2 and "1 not sent (over the budget)" in result.stderr
    assert "refund2 was not sent" in result.stderr


def test_a_finding_in_the_standard_library(tmp_path, server):
    """Text inlined from a stdlib fragment maps to the stdlib file; its note says how to dismiss
    it, since that file cannot carry an ignore comment."""
    from promptc.resources import stdlib_root

    stdlib = (Path(str(stdlib_root())) / "std" / "safety.prompt").read_text(encoding="utf-8")
    start = stdlib.index('fragment no_secrets """') + len('fragment no_secrets """')
    sentence = next(line.strip() for line in stdlib[start:].splitlines()
                    if len(line.strip()) > 20 and "{" not in line)
    text = ('---\nversion: 1.0.0\npurpose: p\nowner: o\n---\nimport std.safety\n\n'
            'system """\nAnswer billing questions.\n{{ safety.no_secrets }}\n"""\n')
    root = make_project(tmp_path, server, files={"answer.prompt": text})
    server.replies["Prompt `answer`"] = json.dumps({"findings": [
        {"kind": "conflict", "quotes": [sentence, "Answer billing questions."], "message": "m"}]})
    (d,) = as_json(root)[0]
    at = stdlib.index(sentence, start)  # in the fragment, wherever else the file may say it
    expected = oracle(stdlib[at:], sentence)[:2]
    expected = (stdlib.count("\n", 0, at) + 1, expected[1] + at - (stdlib.rfind("\n", 0, at) + 1))
    assert (d["file"], d["line"], d["column"]) == ("<stdlib>/std/safety.prompt", *expected)
    assert (d["labels"][0]["file"], d["labels"][0]["line"]) == ("prompts/answer.prompt", 9)
    assert "`lint: {ignore: [review/conflict]}` in the front matter of prompts/answer.prompt" in d["notes"][-1]


_WORDS = ["Always", "never", "reply", "in", "English", "use", "emojis", "three", "bullets", "{{ x }}", "—", "é"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=40),
       gaps=st.lists(st.sampled_from([" ", "  ", "\n", "\n\n", " \n\t"]), min_size=40, max_size=40),
       pick=st.tuples(st.integers(0, 39), st.integers(1, 6)),
       invented=st.lists(st.sampled_from(_WORDS + ["Sometimes"]), min_size=1, max_size=5))
def test_anchoring_property(words, gaps, pick, invented):
    """In a plain prompt file, a quote made of words that follow each other in the file
    anchors at its first occurrence, at a span whose text is the quote up to whitespace; any
    quote anchors exactly when it is in the file's text up to whitespace (the oracle: both
    with whitespace runs collapsed, a substring test)."""
    from promptc.advisor.anchor import locate
    from promptc.advisor.units import unit_of
    from promptc.plain import plain_module
    from promptc.source import SourceFile

    text = "".join(w + g for w, g in zip(words, gaps))
    src = SourceFile("p.md", text, "p")
    unit = unit_of(plain_module(src), {"inputs": None, "tools": None, "output": None}, "p.md")
    sources = {"p.md": src}

    def norm(s: str) -> str:
        return " ".join(s.split())

    start = min(pick[0], len(words) - 1)
    quote = " ".join(words[start:start + pick[1]])
    found = locate(unit, quote, sources)
    if len(quote.replace(" ", "")) < 3:
        assert found is None
    else:
        assert found is not None
        s = found.span
        covered = text[src.offset(s.line, s.column):src.offset(s.end_line, s.end_column)]
        assert norm(covered) == norm(quote)
        taken_at = sum(len(w) + len(g) for w, g in zip(words[:start], gaps))
        assert src.offset(s.line, s.column) <= taken_at  # the first occurrence
    # any quote: found exactly when its words, whitespace aside, are in the file's text
    other = " ".join(invented)
    expected = len(other.replace(" ", "")) >= 3 and norm(other) in norm(text)
    assert (locate(unit, other, sources) is not None) == expected
