"""`promptc fmt`: golden cases, idempotence, hash invariance, refusals and the CLI.

Golden cases are `tests/fmt/*.txtar` with `input.prompt` and `expect.prompt`; the comment
at the top says what the case shows. `--update-goldens` rewrites `expect.prompt`; review the
diff like code.
"""

from __future__ import annotations

import random
import re
import shutil
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptc import driver
from promptc.cli import main
from promptc.fmt import format_text
from promptc.fmt.render import reindent_block
from promptc.source import SourceFile
from promptc.syntax.textblock import clean_text_block

from . import goldens, txtar
from .helpers import write_project

ROOT = Path(__file__).parent.parent
CASES = sorted((Path(__file__).parent / "fmt").glob("*.txtar"))
GOLDEN_PROJECTS = goldens.cases()
SHIPPED = sorted([*(ROOT / "examples").rglob("*.prompt"), *(ROOT / "stdlib").rglob("*.prompt")])


def _fmt_or_none(text: str) -> str | None:
    try:
        return format_text(text)
    except ValueError:  # does not parse
        return None


# --- golden cases -------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_fmt_golden(case: Path, update_goldens: bool) -> None:
    archive = txtar.loads(case.read_text(encoding="utf-8"))
    actual = format_text(archive.files["input.prompt"], "input.prompt")
    if update_goldens:
        archive.files["expect.prompt"] = actual
        case.write_text(archive.dumps(), encoding="utf-8")
        return
    assert actual == archive.files["expect.prompt"]
    assert format_text(actual) == actual, "not idempotent"


# --- idempotence on fixed inputs -----------------------------------------------------

def _golden_modules() -> list[tuple[str, str]]:
    out = []
    for case in GOLDEN_PROJECTS:
        for name, text in txtar.loads(case.read_text(encoding="utf-8")).files.items():
            if name.endswith(".prompt"):
                out.append((f"{goldens.case_id(case)}:{name}", text))
    return out


GOLDEN_MODULES = _golden_modules()


@pytest.mark.parametrize("name,text", GOLDEN_MODULES, ids=[n for n, _ in GOLDEN_MODULES])
def test_idempotent_on_golden_inputs(name: str, text: str) -> None:
    once = _fmt_or_none(text)
    if once is None:
        return  # a golden case about a syntax error: fmt refuses it (tested below)
    assert format_text(once) == once


@pytest.mark.parametrize("path", SHIPPED, ids=[p.relative_to(ROOT).as_posix() for p in SHIPPED])
def test_idempotent_on_examples_and_stdlib(path: Path) -> None:
    once = format_text(path.read_text(encoding="utf-8"))
    assert format_text(once) == once


def test_the_stdlib_is_canonical() -> None:
    for path in (ROOT / "stdlib").rglob("*.prompt"):
        text = path.read_text(encoding="utf-8")
        assert format_text(text) == text, path


# --- the hash never changes ----------------------------------------------------------

def _hashes(root: Path) -> dict[str, str]:
    result = driver.compile_project(driver.open_project(root), use_cache=False, parallel=False)
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    return {name: bundle["hash"] for name, bundle in result.bundles.items()}


def _format_tree(root: Path) -> int:
    changed = 0
    for path in root.rglob("*.prompt"):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # fmt refuses it too
        formatted = _fmt_or_none(text)
        if formatted is not None and formatted != text:
            path.write_text(formatted, encoding="utf-8")
            changed += 1
    return changed


@pytest.mark.parametrize("case", GOLDEN_PROJECTS, ids=[goldens.case_id(c) for c in GOLDEN_PROJECTS])
def test_formatting_a_golden_project_keeps_hashes_and_findings(case: Path, tmp_path: Path) -> None:
    """Every prompt that builds keeps its hash; every project keeps the same kinds of findings."""
    goldens.materialise(txtar.loads(case.read_text(encoding="utf-8")), tmp_path)

    def compiled() -> tuple[dict[str, str], list[str]]:
        result = driver.compile_project(driver.open_project(tmp_path), use_cache=False, parallel=False)
        return ({name: b["hash"] for name, b in result.bundles.items()},
                sorted(d.code.name for d in result.diagnostics))

    before = compiled()
    _format_tree(tmp_path)
    assert compiled() == before


def test_formatting_the_example_keeps_every_hash(tmp_path: Path) -> None:
    project = tmp_path / "support-desk"
    shutil.copytree(ROOT / "examples" / "support-desk", project, ignore=shutil.ignore_patterns("dist", ".promptc"))
    before = _hashes(project)
    assert before
    for path in (project / "prompts").rglob("*.prompt"):  # undo the canonical layout first
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("\ninput ", "\ninput   ").replace("\nimport ", "\nimport  "), encoding="utf-8")
    assert _format_tree(project) > 0  # real edits, not a no-op
    assert _hashes(project) == before


# --- generated modules ---------------------------------------------------------------

LIB = 'type Kind = "x" | "y"\n\nfragment hello """\nHello.\n"""\n'

# Declarations with holes: `{_}` may stay empty, `{__}` must hold some space.
IMPORTS = ["import{__}lib", "import{__}std.tone", "from{__}lib{__}import{_}hello{_},{_}Kind",
           "from{__}std.format{__}import{_}({_}plain_text{_},{_}markdown{_},{_})", "import{__}lib{__}as{__}lb",
           "from{__}std.safety{__}import{__}decline{__}as{__}refuse"]
TYPES = ['type{__}Tier{_}={_}"free"{_}|{_}"pro"',
         'type{__}Turn{_}{{{_}role{_}:{_}"a"{_}|{_}"b"{_},{_}text{_}:{_}str{_}({_}max_len{_}={_}200{_}){_}}}',
         "type{__}Deep{_}{{{_}text{_}:{_}str{_},{_}meta{_}:{_}{{{_}n{_}:{_}int{_}?{_},{_}}}{_},{_}}}",
         "type{__}Opt{_}={_}{{{_}a{_}:{_}str{_}}}{_}?",
         "type{__}Ids{_}={_}list{_}[{_}int{_}]{_}({_}max_items{_}={_}3{_})"]
INPUTS = ['input{__}tier{_}:{_}"free"{_}|{_}"pro"{_}={_}"free"',
          "input{__}n{_}:{_}int{_}({_}min{_}={_}1{_}){_}={_}5",
          'input{__}tags{_}:{_}list{_}[{_}str{_}]{_}={_}[{_}"a"{_},{_}"b"{_},{_}]',
          "input{__}m{_}:{_}map[{_}int{_}]{_}?",
          "input{__}flag{_}:{_}bool{_}={_}true", "input{__}ratio{_}:{_}float{_}={_}0.50",
          "input{__}obj{_}:{_}{{{_}a{_}:{_}str{_},{_}}}{_}?"]
TOOLS = ['tool{__}search{_}({_}q{_}:{_}str{_}({_}max_len{_}={_}80{_}){_},{_}n{_}:{_}int{_}={_}5{_}){_}'
         '"Search."',
         'tool{__}ticket{_}({_}title{_}:{_}str{_},{_}){_}"Open a ticket."{__}requires{__}approval',
         "tool{__}ping{_}({_})"]
OUTPUTS = ["output{__}text", "output{__}json{_}{{{_}answer{_}:{_}str{_},{_}refs{_}:{_}list{_}[{_}str{_}]{_}}}",
           "output{__}json{_}{{{_}a{_}:{_}{{{_}b{_}:{_}int{_}}}{_},{_}}}"]
FRAGMENTS = ["fragment{__}greet{_}({_}who{_}:{_}str{_}){_}", "fragment{__}rule{__}", "fragment{__}none{_}({_}){_}"]
ROLES = ["system", "user", "assistant"]
LINES = ["plain text  ", "- a list item", "{# note #}", "# not a comment, text", "Use \"quotes\" and 'apostrophes'.",
         "Answer {{ q }}.", "{% if q %}Yes: {{ q | upper }}{% endif %}"]
FRAGMENT_LINES = LINES[:5]
GAPS = st.sampled_from(["", " ", "  ", "\n", "\n    "])
SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\n  "])
COMMENTED_GAPS = st.sampled_from(["", " ", "\n", " # note\n  "])


@st.composite
def text_blocks(draw, pool: list[str] = LINES) -> str:
    margin = draw(st.sampled_from(["", "  ", "    ", "\t", "        "]))
    lines = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=5))
    body = []
    for line in lines:
        extra = draw(st.sampled_from(["", "", "  ", "    "]))
        body.append(margin + extra + line)
        if draw(st.integers(0, 5)) == 0:
            body.append(draw(st.sampled_from(["", margin, margin + "  ", " "])))
    first = draw(st.sampled_from(["", "", "  ", "Starts on the opening line."]))
    close = draw(st.sampled_from(["\n" + margin, "\n", "\n" + margin + "  ", ""]))
    return '"""' + first + "\n" + "\n".join(body) + close + '"""'


@st.composite
def modules(draw, comments_inside: bool = True) -> str:
    gap = COMMENTED_GAPS if comments_inside and draw(st.booleans()) else GAPS

    def fill(template: str) -> str:
        out = template
        while "{_}" in out or "{__}" in out:
            if out.find("{__}") != -1 and (out.find("{_}") == -1 or out.find("{__}") < out.find("{_}")):
                out = out.replace("{__}", draw(SPACES), 1)
            else:
                out = out.replace("{_}", draw(gap), 1)
        return out.replace("{{", "{").replace("}}", "}")

    decls = [fill("input{__}q{_}:{_}str")]
    imports = draw(st.lists(st.sampled_from(IMPORTS), unique=True, max_size=3))
    if "import{__}lib" in imports and "import{__}lib{__}as{__}lb" in imports:
        imports.remove("import{__}lib{__}as{__}lb")
    decls += [fill(t) for t in imports]
    decls += [fill(t) for t in draw(st.lists(st.sampled_from(TYPES), unique=True, max_size=3))]
    decls += [fill(t) for t in draw(st.lists(st.sampled_from(INPUTS), unique=True, max_size=3))]
    decls += [fill(t) for t in draw(st.lists(st.sampled_from(TOOLS), unique=True, max_size=2))]
    decls += [fill(t) for t in draw(st.lists(st.sampled_from(OUTPUTS), max_size=1))]
    for t in draw(st.lists(st.sampled_from(FRAGMENTS), unique=True, max_size=2)):
        decls.append(fill(t) + draw(text_blocks(FRAGMENT_LINES)))
    for role in draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=4)):
        decls.append(role + draw(st.sampled_from([" ", "  ", "\n"])) + draw(text_blocks()))
    draw(st.randoms(use_true_random=False)).shuffle(decls)
    parts = [_front(draw)]
    for decl in decls:
        parts.append(draw(st.sampled_from(["", "\n", "\n\n\n", "\n# about the next one\n", "\n# detached\n\n"])))
        parts.append(draw(st.sampled_from(["", "  "])) + decl)
        parts.append(draw(st.sampled_from(["\n", "\n", "   \n", "  # at the end of the line\n"])))
    parts.append(draw(st.sampled_from(["", "# the end\n", "\n\n"])))
    return "".join(parts)


def _front(draw) -> str:
    keys = {"version": "version: 1.0.0", "purpose": "purpose: Test.", "owner": "owner: a@b.example",
            "risk": "risk: low", "model": "model: {name: gpt-4o, temperature: 0.2}",
            "tags": "tags:\n  - a\n  - b", "lint": "lint:\n  ignore: [missing-eval]"}
    chosen = ["version"] + draw(st.lists(st.sampled_from(sorted(keys)[:-1]), unique=True, max_size=4))
    chosen = list(dict.fromkeys(chosen))
    draw(st.randoms(use_true_random=False)).shuffle(chosen)
    lines = []
    for key in chosen:
        if draw(st.integers(0, 3)) == 0:
            lines.append(draw(st.sampled_from(["# a comment", "", "# about " + key])))
        lines.append(keys[key] + draw(st.sampled_from(["", "   ", "  # why"])))
    return "---\n" + "\n".join(lines) + "\n---\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules())
def test_fmt_is_idempotent_on_generated_modules(text: str) -> None:
    once = format_text(text)  # also checks that the declarations, front matter and comments survive
    assert format_text(once) == once
    assert once.endswith("\n") and not once.endswith("\n\n")
    outside = once.split('"""')[::2]  # the text between text blocks
    assert not any(re.search(r"[ \t]\n", piece) for piece in outside)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules())
def test_fmt_never_changes_a_hash(tmp_path_factory, text: str) -> None:
    root = tmp_path_factory.mktemp("gen")
    write_project(root, {"answer.prompt": text, "lib.prompt": LIB})
    before = _hashes(root)
    assert "answer" in before
    (root / "prompts" / "answer.prompt").write_text(format_text(text), encoding="utf-8")
    assert _hashes(root) == before


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", " ", "  ", "\t", "    ", "\u00a0", "  \t"]),
                          st.sampled_from(["", "x", "text  ", "{{ a }}", "\u00a0y", " "])), max_size=6),
       st.sampled_from(["", " ", "first", "  first  "]), st.sampled_from(["", "  ", "\n", "\n  ", "last"]))
def test_reindented_text_blocks_clean_to_the_same_text(lines, first, close) -> None:
    token = '"""' + first + "".join("\n" + a + b for a, b in lines) + close + '"""'
    again = reindent_block(token)
    assert _clean(again) == _clean(token)
    assert reindent_block(again) == again


def _clean(token: str) -> str:
    return clean_text_block(SourceFile("t", token), 0, len(token)).text


# --- refusals and the command line ---------------------------------------------------

def test_format_text_refuses_what_does_not_parse() -> None:
    for text in ['input q: str\nsystem """\nopen', "input q str\n", "---\nversion: [\n---\n", "---\nversion: 1.0.0\n"]:
        with pytest.raises(ValueError):
            format_text(text)


def test_front_matter_validation_errors_do_not_stop_fmt() -> None:
    text = "---\nvesion: 1.0.0\nrisk: extreme\n---\ninput   q: str\n"
    assert format_text(text) == "---\nrisk: extreme\nvesion: 1.0.0\n---\ninput q: str\n"


def test_empty_and_comment_only_files() -> None:
    assert format_text("") == ""
    assert format_text("\n\n") == ""
    assert format_text("# just a note   \n\n\n# another\n\n") == "# just a note\n\n# another\n"
    assert format_text("---\nversion: 1.0.0\n---\n\n\n") == "---\nversion: 1.0.0\n---\n"


def test_crlf_and_bom_are_normalised(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"a.prompt": "input q: str\n"})
    path = root / "prompts" / "a.prompt"
    path.write_bytes(b"\xef\xbb\xbfinput q: str\r\n")
    result = CliRunner().invoke(main, ["fmt", "--check", str(path)])
    assert result.exit_code == 1
    CliRunner().invoke(main, ["fmt", str(path)])
    assert path.read_bytes() == b"input q: str\n"


MESSY = 'user """\n    Hi {{ q }}\n    """\ninput   q : str\n'
CLEAN = 'input q: str\n\nuser """\nHi {{ q }}\n"""\n'


def test_cli_check_lists_files_and_exits_1(tmp_path: Path, monkeypatch) -> None:
    root = write_project(tmp_path, {"a.prompt": MESSY, "b.prompt": CLEAN})
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["fmt", "--check"])
    assert result.exit_code == 1
    assert result.stdout == "would reformat prompts/a.prompt\n"
    assert "1 file would be reformatted, 1 file already formatted." in result.stderr
    assert (root / "prompts" / "a.prompt").read_text() == MESSY


def test_cli_diff_prints_a_unified_diff(tmp_path: Path, monkeypatch) -> None:
    root = write_project(tmp_path, {"a.prompt": MESSY})
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["fmt", "--diff", "prompts"])
    assert result.exit_code == 1
    assert "--- prompts/a.prompt (original)\n+++ prompts/a.prompt (formatted)\n" in result.stdout
    assert "-input   q : str\n" in result.stdout and "+input q: str\n" in result.stdout
    assert (root / "prompts" / "a.prompt").read_text() == MESSY


def test_cli_rewrites_the_source_roots_by_default(tmp_path: Path, monkeypatch) -> None:
    root = write_project(tmp_path, {"a.prompt": MESSY, "sub/b.prompt": CLEAN})
    (root / "outside.prompt").write_text(MESSY)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["fmt"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "reformatted prompts/a.prompt\n"
    assert (root / "prompts" / "a.prompt").read_text() == CLEAN
    assert (root / "outside.prompt").read_text() == MESSY
    assert not list((root / "prompts").glob(".*.tmp"))
    again = CliRunner().invoke(main, ["fmt", "--check"])
    assert again.exit_code == 0 and again.stdout == ""


def test_cli_refuses_a_file_that_does_not_parse(tmp_path: Path, monkeypatch) -> None:
    broken = 'input   q: str\nsystem """\nnever closed\n'
    root = write_project(tmp_path, {"bad.prompt": broken, "good.prompt": MESSY})
    monkeypatch.chdir(root)
    for args in (["fmt"], ["fmt", "--check"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert "prompts/bad.prompt:2:8: error[PC003 unclosed-text-block]" in result.stdout
        assert "prompts/bad.prompt does not parse; it was not formatted" in result.stderr
        assert (root / "prompts" / "bad.prompt").read_text() == broken
    assert (root / "prompts" / "good.prompt").read_text() == CLEAN


def test_cli_usage_errors(tmp_path: Path, monkeypatch) -> None:
    root = write_project(tmp_path, {"a.prompt": CLEAN})
    (root / "notes.txt").write_text("hello")
    monkeypatch.chdir(root)
    assert CliRunner().invoke(main, ["fmt", "missing.prompt"]).exit_code == 2
    assert CliRunner().invoke(main, ["fmt", "notes.txt"]).exit_code == 2


def test_random_whitespace_between_tokens_formats_the_same() -> None:
    """The layout of the input never shows through: any spacing gives the same output."""
    tokens = ["input", "q", ":", "list", "[", "str", "(", "max_len", "=", "5", ")", "]", "=", "[", '"a"', "]"]
    rng = random.Random(7)
    for _ in range(50):
        text = tokens[0]
        for tok in tokens[1:]:
            words = text[-1] in string.ascii_letters + string.digits and tok[0] in string.ascii_letters + string.digits
            text += rng.choice([" ", "\n  ", "\t"] if words else ["", " ", "\n"]) + tok
        assert format_text(text + "\n") == 'input q: list[str(max_len=5)] = ["a"]\n'
