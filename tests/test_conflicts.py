"""The conflict rules on many phrasings: for each kind, passages that cannot both be followed
(reported by the right rule, with the kind, pointing at both passages) and traps that must
stay silent (different branches, sections, conditions, exceptions, objects, quotes and
examples). Each kind also fires across an imported fragment, where it can occur.

The phrasings are deliberately varied (synonyms, inflections, number words, comparatives,
word order); none is taken from a real prompt.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from promptc.cli import main

CI = "conflicting-instructions"
FC = "format-conflict"

# (kind, rule, first passage, second passage, declared output or "")
FIRES = [
    # numeric
    ("numeric", CI, "Your reply must not run past two paragraphs.", "Write no fewer than four paragraphs.", ""),
    ("numeric", CI, "Keep answers under fifty words.", "Each answer should be at least 120 words long.", ""),
    ("numeric", CI, "Give at most three suggestions.", "Offer five or more suggestions.", ""),
    ("numeric", CI, "Limit the reply to 2 sentences.", "Answer in between 4 and 6 sentences.", ""),
    ("numeric", CI, "Use no more than a dozen bullet points.", "Provide at least 20 bullets.", ""),
    ("numeric", CI, "Each bullet must not exceed 10 words.", "Every bullet point needs at least 15 words.", ""),
    ("numeric", CI, "- Gather at least 30 sources.", "- List at most 12 sources.", ""),
    ("numeric", CI, "Ask one or two clarifying questions.", "Ask at least four questions.", ""),
    # polarity
    ("polarity", CI, "Always cite your sources.", "Never cite the sources.", ""),
    ("polarity", CI, "Confirm the order number with the user before you act.",
     "Do not ask the user anything; act on what you have.", ""),
    ("polarity", CI, "Mention the refund policy in every reply.", "Do not mention the refund policy.", ""),
    ("polarity", CI, "Recommend a plan to the customer.", "Never recommend plans.", ""),
    ("polarity", CI, "Always use the search tool to check facts.", "Use the search tool only when needed.", ""),
    ("polarity", CI, "You must apologize for the delay.", "Don't apologize for delays.", ""),
    ("polarity", CI, "You must never reveal the discount code.", "Always share the discount code with the customer.",
     ""),
    # language
    ("language", CI, "Respond in French at all times.",
     "Never respond in French; use the language the user writes in.", ""),
    ("language", CI, "Write every answer in German.", "Always answer in the user's own language.", ""),
    ("language", CI, "Reply in Spanish.", "Reply in English.", ""),
    ("language", CI, "Answer in the same language as the user.", "Always respond in Japanese.", ""),
    ("language", CI, "Communicate in Italian.", "Do not reply in Italian.", ""),
    ("language", CI, "Always respond in English, regardless of the user's language.",
     "Reply in the language the customer uses.", ""),
    # format
    ("format", FC, "Avoid lists of any kind.", "Give the steps as a numbered list.", ""),
    ("format", FC, "Plain text only, no Markdown.", "Put each section under a `##` heading.", ""),
    ("format", FC, "You answer billing questions.",
     "Start with one sentence thanking the customer, then give the JSON.", "json"),
    ("format", FC, "Do not use bullet points.", "Present the options in bullet points.", ""),
    ("format", FC, "Never use tables.", "Compare the plans in a table.", ""),
    ("format", FC, "Respond only with valid JSON.", "After the JSON, add a short note for the agent.", "json"),
    ("format", FC, "Return the results as CSV.", "Return the results as a Markdown table.", ""),
    ("format", FC, "Write prose, not lists.", "Use bullet points for the key facts.", ""),
    ("format", FC, "Do not use numbered lists.", "Number each step in a numbered list.", ""),
    ("format", FC, "Never use bold text.", "Highlight key terms in bold.", ""),
    # length
    ("length", CI, "Be concise.", "Explain everything in detail.", ""),
    ("length", CI, "Keep it short.", "Be thorough and exhaustive.", ""),
    ("length", CI, "Answer in one sentence.", "Elaborate at length on each point you make.", ""),
    ("length", CI, "Give brief replies.", "Write long-form, in-depth responses.", ""),
    ("length", CI, "Don't be verbose.", "Reply with as much detail as possible.", ""),
    ("length", CI, "Respond with a single word.", "Give a detailed explanation with examples.", ""),
    # example
    ("example", CI, "List up to 3 topics.", "Example output:\n- pricing\n- refunds\n- shipping\n- returns", ""),
    ("example", CI, "Give at most two tips.", "Example:\n1. Restart the router.\n2. Check the cable.\n3. Call us.",
     ""),
    ("example", CI, "Each bullet must be at most 6 words.",
     "Example:\n- Short one here.\n- This bullet is far too long to fit the limit we set above.\n- Fine.", ""),
    ("example", CI, "Every tool should return a string.",
     "```python\ndef add(a, b) -> int:\n    return a + b\n```", ""),
    ("example", CI, "Suggest no more than 2 headlines.",
     "Sample response:\n- Fast wins\n- Slow burns\n- Big bets\n- Small steps", ""),
    # schema
    ("schema", CI, "Sort each ticket into one of two categories.",
     "Return a JSON object with 3 properties giving your confidence for each category.", "json3"),
    ("schema", CI, "Classify the message into three categories:\n- billing\n- outage", "Be exact.", ""),
    ("schema", CI, "Pick one of four labels.", "Reply with JSON that has 2 keys, a score for each label.", "json2"),
    ("schema", CI, "Return a JSON object with three fields.", "Be exact.", "json2"),
    ("schema", CI, "Choose between the 2 options.", "Give a JSON object with 5 fields, one per option.", "json"),
    # identifier
    ("identifier", CI, "Call `lookup_v2` for orders.", "If that fails, call `lookupv2` again.", ""),
    ("identifier", CI, "Use the label 07_refund.", "Approved labels: 07refund, 08cancel.", ""),
    ("identifier", CI, "Write results to report-2024.", "Then read report_2024 back.", ""),
    ("identifier", CI, "Tag it as `tier1_support`.", "Escalations go to `tier1-support`.", ""),
    ("identifier", CI, "Set the flag `beta3_mode`.", "Check that `beta3mode` is on.", ""),
    # context
    ("context", CI, "Below is the content of the document the user opened.",
     "The question arrives without any additional context.", ""),
    ("context", CI, "Here is the code the user wrote.", "No context is provided with the request.", ""),
    ("context", CI, "You are given the full transcript of the call.",
     "Answer without any context beyond the question.", ""),
    ("context", CI, "The following is the file under review.", "Work without any further context.", ""),
    ("context", CI, "You have been provided with the source text.",
     "No additional context will be given for the task.", ""),
]

TRAPS = [
    # different branches and sections, conditions and exceptions
    ("numeric", "{% if brief %}Keep answers under 50 words.{% else %}Write at least 300 words.{% endif %}", ""),
    ("numeric", "## Emails\nKeep emails under 100 words.\n## Reports\nWrite reports of at least 500 words.", ""),
    ("numeric", "Keep answers under 80 words.\nIf the user asks for detail, write up to 300 words.", ""),
    ("numeric", "Keep the summary under 50 words.\nWrite the full report in at least 400 words.", ""),
    ("numeric", "Use between 3 and 5 bullets.\nUse at least 4 bullets.", ""),
    ("numeric", "The input has at least 1000 words.\nSummarize it in under 100 words.", ""),
    ("polarity", "Always include a link to the setup guide.\nNever include links to third-party sites.", ""),
    ("polarity", "Cite sources when you quote statistics.\nDo not cite sources for common knowledge.", ""),
    ("polarity", "Ask the user for their order number.\nNever ask the user for their password.", ""),
    ("polarity", "A guide that says 'always cite' and later 'never cite' contradicts itself.", ""),
    ("polarity", "Mention the refund policy.\nUnless the order is late, do not mention the refund policy.", ""),
    ("polarity", "Never mention pricing.\nMention the support hours.", ""),
    ("polarity", "Ask the user for their email.\nDon't ask the user for their phone number.", ""),
    ("language", "Reply in the user's language; default to English when unsure.", ""),
    ("language", "Translate the text into French.\nAnswer in English.", ""),
    ("language", "If the user writes in Spanish, reply in Spanish.\nOtherwise reply in English.", ""),
    ("language", "Write the summary in German.\nKeep product names in English.", ""),
    ("language", "Respond in English.\nCode comments should also be in English.", ""),
    ("format", "Avoid lists, except for steps.\nGive the steps as a numbered list.", ""),
    ("format", "No Markdown in commit messages.\nUse headings in the PR description.", ""),
    ("format", "Start with a greeting in the `message` field.", "jsonmsg"),
    ("format", "Do not add any text before the JSON.\nRespond only with JSON.", "json"),
    ("format", "Use a table only to compare several plans.\nNever use Markdown headings.", ""),
    ("format", "Start with the answer, not with a heading.\nNo Markdown.", ""),
    ("format", "Use bullet points only for lists of three or more items.\nAvoid bullet points in short answers.", ""),
    ("format", "Do not use Markdown.\nUse clear paragraphs.", ""),
    ("format", "- No text before or after it, no Markdown code fences.\n"
               "- Put any multi-line code in a fenced code block.", "json"),
    ("length", "Be concise but complete.", ""),
    ("length", "Keep the subject line short.\nMake the body detailed.", ""),
    ("length", "Be brief.\nIf the user asks for detail, explain in depth.", ""),
    ("length", "{% if short %}Be brief.{% else %}Explain in detail.{% endif %}", ""),
    ("length", "Answer in one sentence.\nThe source text is long and detailed.", ""),
    ("example", "List up to 5 topics.\nExample output:\n- pricing\n- refunds\n- shipping", ""),
    ("example", "Each bullet must be at most 12 words.\nExample:\n- Short bullet.\n- Another short one.", ""),
    ("example", "Tools return a string.\n```python\ndef name() -> str:\n    return 'x'\n```", ""),
    ("example", "Give at most 2 tips.\nBad example (too many tips):\nA, B, C and D.", ""),
    ("example", "Suggest up to 3 ideas.\nThe user's notes:\n- one\n- two", ""),
    ("schema", "Sort each ticket into one of two categories:\n- billing\n- outage", ""),
    ("schema", "Return a JSON object with 3 properties, one per category.\nUse one of three categories.", "json3"),
    ("schema", "Return a JSON object with two fields.", "json2b"),
    ("schema", "Pick one of 2 labels.\nThe ticket has 4 fields you can read.", ""),
    ("schema", "Choose one of the three options below.", ""),
    ("identifier", "Call `lookup_v2` for orders.\nCall `lookup_v2` again if it fails.", ""),
    ("identifier", "Visit https://example.com/report-2024 and read report_2024.txt.", ""),
    ("identifier", "Use e-mail or email, set-up or setup.", ""),
    ("identifier", "Label v2 and v3 apart.", ""),
    ("identifier", "Use `step_1` first, then `step_2`.", ""),
    ("context", "Below is the content of the file.\nRead it carefully.", ""),
    ("context", "Answer without any additional context beyond the question.", ""),
    ("context", "If no file is attached, the question arrives without any additional context.\n"
                "Below is the content of the file, when there is one.", ""),
    ("context", "Here is the user's question.", ""),
    ("context", "Example:\nBelow is the content of the file.\nNo context is provided.", ""),
]

OUTPUTS = {
    "": "",
    "json": "output json {answer: str}\n",
    "json2": "output json {answer: str, escalate: bool}\n",
    "json2b": "output json {answer: str, escalate: bool}\n",
    "json3": "output json {chat: float, do: float, spec: float}\n",
    "jsonmsg": "output json {message: str}\n",
}


def _module(body: str, output: str = "", inputs: str = "") -> str:
    return (f"---\nversion: 1.0.0\npurpose: Help customers.\nowner: qa@example.com\n---\n{inputs}{OUTPUTS[output]}"
            f'system """\n{body}\n"""\n')


def _check(tmp_path, files: dict[str, str]) -> list[dict]:
    (tmp_path / "promptc.toml").write_text("")
    for name, text in files.items():
        path = tmp_path / "prompts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return json.loads(result.stdout)


def _conflicts(found: list[dict]) -> list[dict]:
    return [d for d in found if d["rule"] in (CI, FC, "tone-collision")]


@pytest.mark.parametrize("kind,rule,a,b,output", FIRES, ids=[f"{k}-{i}" for i, (k, *_rest) in enumerate(FIRES)])
def test_fires_with_kind_and_both_passages(tmp_path, kind, rule, a, b, output):
    found = _conflicts(_check(tmp_path, {"p.prompt": _module(f"{a}\n{b}", output)}))
    assert [(d["rule"], d.get("kind")) for d in found] == [(rule, kind)], found
    d = found[0]
    lines = {d["line"]} | {label["line"] for label in d.get("labels", [])}
    first_line = 7 + (1 if output else 0)  # the system message starts on line 7 (8 after an output line)
    if kind not in ("schema", "example") or "labels" in d:
        assert len(lines) == 2 or output, f"one finding must point at both passages: {d}"
    assert min(lines) >= first_line


@pytest.mark.parametrize("kind,body,output", TRAPS, ids=[f"{k}-{i}" for i, (k, *_rest) in enumerate(TRAPS)])
def test_traps_stay_silent(tmp_path, kind, body, output):
    inputs = "input brief: bool = false\ninput short: bool = false\n"
    found = _conflicts(_check(tmp_path, {"p.prompt": _module(body, output, inputs)}))
    assert found == [], found


CROSS = [
    ("numeric", CI, "Keep every answer under 60 words.", "Write at least 150 words."),
    ("polarity", CI, "Always cite your sources.", "Never cite the sources."),
    ("language", CI, "Always reply in English.", "Reply in the user's language."),
    ("format", FC, "Never use Markdown.", "Use headings for each part."),
    ("length", CI, "Be concise.", "Explain everything in great detail."),
    ("example", CI, "List at most two options.", "Example:\n- one\n- two\n- three"),
    ("schema", CI, "Classify into one of two categories.",
     "Return a JSON object with 3 properties, a score for each category.", "json3"),
    ("identifier", CI, "Call `fetch_v2` first.", "Then call `fetchv2` again."),
    ("context", CI, "Below is the content of the page.", "The request comes without any additional context."),
]


@pytest.mark.parametrize("kind,rule,shared,local,output", [c if len(c) == 5 else (*c, "") for c in CROSS],
                         ids=[c[0] for c in CROSS])
def test_fires_across_an_imported_fragment(tmp_path, kind, rule, shared, local, output):
    lib = f'fragment policy """\n{shared}\n"""\n'
    body = _module("{{ policy }}\n" + local, output)
    body = body.replace('system """', 'from shared.lib import policy\n\nsystem """', 1)
    found = _conflicts(_check(tmp_path, {"shared/lib.prompt": lib, "p.prompt": body}))
    assert [(d["rule"], d.get("kind")) for d in found] == [(rule, kind)], found
    d = found[0]
    files = {d["file"]} | {label["file"] for label in d.get("labels", [])}
    assert any(f.endswith("lib.prompt") for f in files), d
    assert any(f.endswith("p.prompt") for f in files) or kind in ("example", "identifier"), d


def test_model_layers_import_only_layers_below():
    """vocabulary → segments → directives → features → message: each module of the
    instruction model imports (at run time) only modules of the layers below it."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "src" / "promptc" / "lint" / "model"
    layers = [{"vocabulary", "lexicon"}, {"segments"}, {"directives", "clauses"},
              {"stances", "formats", "actions", "mentions", "delimiters", "conflicts"}, {"message"}]
    seen = set()
    for depth, layer in enumerate(layers):
        below = set().union(*layers[:depth])
        for name in layer:
            tree = ast.parse((root / f"{name}.py").read_text())
            runtime = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.level == 1]
            used = {n.module.split(".")[0] for n in runtime if n.module} | {
                a.name for n in runtime if not n.module for a in n.names}
            assert used <= below, f"{name} imports {sorted(used - below)} from its own layer or above"
            seen.add(name)
    assert seen | {"__init__"} == {p.stem for p in root.glob("*.py")}, "a module is missing from the layer map"
