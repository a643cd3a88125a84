"""`promptc report` renders as GitHub-flavoured Markdown (markdown-it-py's "gfm-like"
preset), and stays readable and under the size cap for a change touching 50 prompts."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from promptc import driver
from promptc.review import markdown, snapshot
from promptc.review.compare import compare

from .helpers import write_project
from .review_repo import Repo, git_env

BLOCK_TAGS = ("details", "summary", "table", "thead", "tbody", "tr", "th", "td", "pre", "ul", "ol", "li", "h2", "h3",
              "p", "blockquote")


class _Tags(HTMLParser):
    """Checks that block elements nest and close, and collects text outside code blocks."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.counts: dict[str, int] = {}
        self.text: list[str] = []
        self.in_pre = 0

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.stack.append(tag)
            self.counts[tag] = self.counts.get(tag, 0) + 1
        self.in_pre += tag == "pre"

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
            self.stack.pop()
        self.in_pre -= tag == "pre"

    def handle_data(self, data):
        if not self.in_pre:
            self.text.append(data)


def render_gfm(text: str) -> tuple[str, _Tags]:
    html = MarkdownIt("gfm-like").render(text)
    tags = _Tags()
    tags.feed(html)
    tags.close()
    assert tags.stack == [], f"unclosed: {tags.stack}"
    prose = "".join(tags.text)
    assert "```" not in prose, "a code fence leaked into the text"
    assert not re.search(r"^\s*\|.*\|\s*$", prose, re.M), "a table row was not rendered as a table"
    assert "\\" not in prose, "a Markdown escape shows as a backslash"
    assert "&lt;details" not in html and "&lt;summary" not in html
    return html, tags


# --------------------------------------------------------------------------- small cases


def _side(tmp_path: Path, name: str, files: dict[str, str]) -> snapshot.Snapshot:
    (tmp_path / name).mkdir()
    root = write_project(tmp_path / name, files)
    return snapshot.from_project(driver.open_project(root), name)


PROMPT = '''---
version: {version}
purpose: Extract fields as JSON.
risk: medium
---
input doc: str(max_len=5000)
output text

system """
Reply with JSON in a fenced block:
```json
{{"total": 0}}
```
{extra}
"""

user """
{{{{ doc }}}}
"""
'''


def test_report_with_awkward_text_renders_cleanly(tmp_path):
    """Prompt text with code fences, pipes, HTML and Markdown punctuation stays inside the diff."""
    old = _side(tmp_path, "old", {"x/extract.prompt": PROMPT.format(version="1.0.0", extra="Keep | pipes.")})
    new = _side(tmp_path, "new", {"x/extract.prompt": PROMPT.format(
        version="1.0.0", extra="Keep | pipes, <b>tags</b>, *stars* and `ticks`.\n````\nfour\n````")})
    comparison = compare(old, new)
    text = markdown.render(comparison, None)
    html, tags = render_gfm(text)
    assert tags.counts["table"] == 1 and tags.counts["tr"] == 2
    assert tags.counts["details"] == 1 and tags.counts["pre"] == 1
    assert '<pre><code class="language-diff">' in html
    assert "+Keep | pipes, &lt;b&gt;tags&lt;/b&gt;, *stars* and `ticks`." in html
    assert "+````" in html  # the diff's own fence is longer than any fence in the prompt
    assert "⚠️ needs 1.0.1" in html  # not bumped


def test_escaping_helpers():
    assert markdown.md("a|b <i>x</i> *y*") == "a\\|b \\<i\\>x\\</i\\> \\*y\\*"
    assert markdown.code("a `b` c") == "``a `b` c``"
    assert markdown.code("x|y", in_table=True) == "`x\\|y`"
    assert markdown.prose("input `a|b` removed <now>") == "input `a|b` removed \\<now\\>"
    assert markdown.fenced("```\nx\n```", "diff").startswith("````diff\n")


# --------------------------------------------------------------------------- 50 prompts


SHARED = '''fragment house_style """
Write in plain English.
Use short sentences.
"""
'''

MANY = '''---
version: 1.0.0
purpose: Answer questions about topic {i}.
owner: team{group}@acme.example
risk: {risk}
model: {{name: gpt-4o, max_tokens: 100}}
---
from shared.style import house_style

input q: str(max_len=500)
output text

system """
{{{{ house_style }}}}
Stay on the topic.
"""

user """
Topic {i}: {{{{ q }}}}
"""
'''


@pytest.fixture(scope="module")
def fifty(tmp_path_factory):
    """A repository with 50 prompts sharing one fragment, and a working tree that edits it."""
    mp = pytest.MonkeyPatch()
    for key, value in git_env().items():
        if key.startswith("GIT_CONFIG"):
            mp.setenv(key, value)
    root = tmp_path_factory.mktemp("fifty")
    repo = Repo(root)
    repo.git("init", "-q", "-b", "main")
    repo.write("promptc.toml", '[project]\nname = "many"\n')
    repo.write(".gitignore", ".promptc/\ndist/\n")
    repo.write("prompts/shared/style.prompt", SHARED)
    for i in range(50):
        repo.write(f"prompts/topics/t{i:02d}.prompt",
                   MANY.format(i=i, group=i % 5, risk=("low", "medium", "high")[i % 3]))
    repo.commit("base")
    repo.write("prompts/shared/style.prompt", SHARED.replace("Use short sentences.", "Use short sentences.\n"
                                                             "Never promise dates."))
    yield repo
    mp.undo()


def test_fifty_prompts_report_is_readable(fifty):
    result = fifty.cli("report", "--base", "HEAD")
    assert result.exit_code == 0, result.output
    text = result.stdout
    html, tags = render_gfm(text)
    assert len(text) < 60000
    assert tags.counts["tr"] == 51  # a header row and one row per prompt
    assert tags.counts["details"] == 50
    # the shared edit is printed once and referred to from the other 49 prompts
    assert tags.counts["pre"] == 1
    assert text.count("Same text change as `topics.t00`.") == 49
    # the summary table comes before any detail
    assert text.index("| Prompt |") < text.index("<details>")
    assert "**Gate: failed**" in text  # nothing evaluated yet


def test_fifty_distinct_changes_are_capped_with_a_note(fifty):
    config = fifty.root / "promptc.toml"
    saved = config.read_text()
    originals = {}
    try:
        config.write_text(saved + "\n[review]\nmax_report_chars = 15000\n")
        for i in range(50):
            path = fifty.root / f"prompts/topics/t{i:02d}.prompt"
            originals[path] = path.read_text()
            path.write_text(originals[path].replace("Stay on the topic.", f"Stay on topic {i} only."))
        text = fifty.cli("report", "--base", "HEAD").stdout
        html, tags = render_gfm(text)
        assert len(text) <= 15000
        assert tags.counts["tr"] == 51  # every prompt is still in the summary
        shown = tags.counts.get("details", 0)
        assert 0 < shown < 50
        assert (f"Details of {50 - shown} more prompts were left out to keep this comment under 15,000 characters; "
                "run `promptc diff --base HEAD` to see every change.") in text
    finally:
        config.write_text(saved)
        for path, body in originals.items():
            path.write_text(body)


def test_diff_markdown_format(fifty):
    text = fifty.cli("diff", "--base", "HEAD", "topics.t07", "--format", "markdown").stdout
    html, tags = render_gfm(text)
    assert tags.counts["details"] == 1
    assert "+Never promise dates." in html
    assert "Gate" not in text  # diff reports no verdict
