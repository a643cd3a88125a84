"""Token counts are tiktoken's own, offline, for cl100k_base and o200k_base; models map to
their encodings; estimates say so; `promptc tokens` reports counts, bounds and costs."""

from __future__ import annotations

import inspect
import json
import shutil
import socket
from pathlib import Path

import pytest
import tiktoken
import tiktoken.load
import tiktoken.registry
from click.testing import CliRunner
from tiktoken_ext import openai_public

from promptc import tokens
from promptc.cli import main
from promptc.export import budget
from promptc.runtime import load

from .helpers import compile_files, write_project

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "support-desk"
ENCODINGS = ("cl100k_base", "o200k_base")

SAMPLE = (
    "Hello, world! Ledgerly's invoices — 19 USD/month, or 190 USD a year (2 months free).\n"
    "    def total(items):\n        return sum(i.price * i.qty for i in items)  # 12345678\n"
    "Größe, naïve café, Ελληνικά, русский, 日本語のテキスト, 한국어, emoji 🎉👩‍💻, tabs\tand   spaces\n\n\n"
    "<|endoftext|> is plain text here; so is <|endofprompt|>. iPhone camelCaseWords ALLCAPS'LL"
)


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No network, empty caches: tiktoken has nothing downloaded and may download nothing."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-tiktoken-cache"))
    monkeypatch.delenv("DATA_GYM_CACHE_DIR", raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    try:
        import requests

        monkeypatch.setattr(requests, "get", no_network)
        monkeypatch.setattr(requests.Session, "request", no_network)
    except ImportError:  # pragma: no cover
        pass
    reads: list[str] = []
    cached: list[tuple[str, str | None]] = []
    real_read, real_cached = tiktoken.load.read_file, tiktoken.load.read_file_cached

    def read_file(blobpath):
        reads.append(blobpath)
        if "://" in blobpath:
            raise AssertionError(f"download attempted: {blobpath}")
        return real_read(blobpath)

    def read_file_cached(blobpath, expected_hash=None):
        cached.append((blobpath, expected_hash))
        return real_cached(blobpath, expected_hash)

    monkeypatch.setattr(tiktoken.load, "read_file", read_file)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", read_file_cached)
    for name in ENCODINGS:
        monkeypatch.delitem(tiktoken.registry.ENCODINGS, name, raising=False)
    tokens.encoder.cache_clear()
    yield {"reads": reads, "cached": cached, "cache": tmp_path / "xdg" / "promptc" / "tiktoken"}
    tokens.encoder.cache_clear()
    for name in ENCODINGS:
        tiktoken.registry.ENCODINGS.pop(name, None)


def reference_encoding(name: str, tmp_path: Path) -> tiktoken.Encoding:
    """tiktoken's encoding built directly from the shipped file, by tiktoken's own loader
    (with tiktoken's expected hash) and its constructor's pattern and special tokens."""
    source = tokens.shipped(name)
    assert source is not None, f"no installed package ships {name}"
    path = tmp_path / f"{name}.tiktoken"
    path.write_bytes(source.read())
    ranks = tiktoken.load.load_tiktoken_bpe(str(path), expected_hash=tokens.EXPECTED_SHA256[name])
    constructor = openai_public.ENCODING_CONSTRUCTORS[name]
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda url, expected_hash=None: ranks
    try:
        kwargs = constructor()
    finally:
        openai_public.load_tiktoken_bpe = original
    return tiktoken.Encoding(**kwargs)


@pytest.mark.parametrize("name", ENCODINGS)
def test_counts_equal_tiktokens_own_counts_offline(name, offline, tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # the reference loads the local file uncached
    reference = reference_encoding(name, tmp_path)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-tiktoken-cache"))

    assert tokens.count(SAMPLE, name) == len(reference.encode(SAMPLE, disallowed_special=()))
    assert tokens.encoder(name).encode(SAMPLE, disallowed_special=()) == reference.encode(SAMPLE,
                                                                                         disallowed_special=())
    assert tokens.encoder(name).name == name  # tiktoken's own encoding, not a renamed copy
    assert tokens.count("hello world", name) == 2
    assert tokens.count("", name) == 0
    # Loaded through tiktoken's constructor: the official URL with its expected hash, from
    # the seeded cache; nothing was downloaded.
    assert (tokens.BLOB.format(name), tokens.EXPECTED_SHA256[name]) in offline["cached"]
    assert not [r for r in offline["reads"] if "://" in r]
    assert (offline["cache"] / tokens.cache_key(name)).is_file()


def test_the_two_encodings_differ(offline):
    text = "Große Ideen, kleine Preise: 日本語のテキスト"
    assert tokens.count(text, "cl100k_base") != tokens.count(text, "o200k_base")


def test_expected_hashes_are_tiktokens(offline):
    for name in ENCODINGS:
        source = inspect.getsource(openai_public.ENCODING_CONSTRUCTORS[name])
        assert tokens.EXPECTED_SHA256[name] in source
        assert tokens.BLOB.format(name) in source


def test_shipped_files_are_hash_checked(tmp_path):
    for name in ENCODINGS:
        source = tokens.shipped(name)
        assert source is not None
        source.read()  # matches tiktoken's hash
    fake = tmp_path / "o200k_base.tiktoken"
    fake.write_bytes(b"aGVsbG8= 0\n")
    bad = tokens.Shipped("o200k_base", "fake", "0", fake, False)
    with pytest.raises(tokens.OfflineError, match="446a9538"):
        bad.read()


def test_a_damaged_cache_file_is_replaced_from_the_package(offline):
    offline["cache"].mkdir(parents=True)
    damaged = offline["cache"] / tokens.cache_key("o200k_base")
    damaged.write_bytes(b"not an encoding")
    assert tokens.count("hello world", "o200k_base") == 2
    assert not [r for r in offline["reads"] if "://" in r]


def test_a_download_is_refused_not_attempted(offline, monkeypatch, tmp_path):
    """Were the seeded file unusable, tiktoken would try to download: promptc refuses."""
    monkeypatch.setattr(tokens, "seed", lambda name, directory=None: tmp_path)  # seeds nothing
    with pytest.raises(tokens.OfflineError, match="never downloads"):
        tokens.encoder("cl100k_base")
    assert not [r for r in offline["reads"] if "://" in r]


def test_tiktoken_state_is_restored(offline, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "/somewhere/else")
    before = tiktoken.load.read_file
    tokens.count("x", "o200k_base")
    assert tiktoken.load.read_file is before
    import os

    assert os.environ["TIKTOKEN_CACHE_DIR"] == "/somewhere/else"


@pytest.mark.parametrize("model, encoding", [
    ("gpt-4o", "o200k_base"), ("gpt-4o-mini", "o200k_base"), ("gpt-4o-2024-08-06", "o200k_base"),
    ("chatgpt-4o-latest", "o200k_base"), ("gpt-4.1", "o200k_base"), ("gpt-4.1-nano", "o200k_base"),
    ("o1", "o200k_base"), ("o1-mini", "o200k_base"), ("o3", "o200k_base"), ("o3-mini", "o200k_base"),
    ("o4-mini", "o200k_base"), ("gpt-5", "o200k_base"), ("openai/gpt-4o", "o200k_base"),
    ("ft:gpt-4o-mini:acme::abc123", "o200k_base"),
    ("gpt-4", "cl100k_base"), ("gpt-4-turbo", "cl100k_base"), ("gpt-4-32k", "cl100k_base"),
    ("gpt-3.5-turbo", "cl100k_base"), ("gpt-3.5-turbo-0125", "cl100k_base"),
    ("text-embedding-3-small", "cl100k_base"),
    ("claude-3-5-sonnet", None), ("gemini-1.5-pro", None), ("llama-3-70b", None), ("o100", None), (None, None),
])
def test_model_encodings(model, encoding):
    assert tokens.model_encoding(model) == encoding
    counting = tokens.for_model(model)
    if encoding:
        assert counting == tokens.Counting(encoding, True)
    elif model:
        assert counting.exact is False and counting.encoding == "cl100k_base"
        assert "estimate" in counting.method and "cl100k_base" in counting.method


def test_an_unknown_model_is_an_estimate_with_its_method():
    counting = tokens.for_model("claude-3-5-sonnet", "o200k_base")
    assert counting.to_json() == {
        "encoding": "o200k_base", "exact": False,
        "method": "estimate: o200k_base counts as a proxy (claude-3-5-sonnet's tokenizer is not available offline)"}
    legacy = tokens.for_model("text-davinci-003")
    assert not legacy.exact and "p50k_base" in legacy.method
    assert tokens.for_model(None, "o200k_base") == tokens.Counting("o200k_base", True)


def test_without_the_o200k_file_counts_are_never_presented_as_exact(monkeypatch, request):
    monkeypatch.setitem(tokens.SOURCES, "o200k_base", (("no-such-package-promptc", "x.tiktoken", False),))
    tokens.shipped.cache_clear()  # looked up once per process: forget what earlier tests found
    request.addfinalizer(tokens.shipped.cache_clear)
    counting = tokens.for_model("gpt-4o")
    assert counting.encoding == "cl100k_base" and counting.exact is False
    assert "o200k_base" in counting.method
    with pytest.raises(tokens.UnknownEncoding, match="no-such-package-promptc"):
        tokens.check_encoding("o200k_base")


def test_check_encoding():
    for name in ENCODINGS:
        tokens.check_encoding(name)
    for name in ("p50k_base", "cl100k", "gpt2"):
        with pytest.raises(tokens.UnknownEncoding):
            tokens.check_encoding(name)


def _module(model: str, extra: str = "") -> str:
    return (f"---\nversion: 1.0.0\nmodel: {{{model}}}\n---\n{extra}"
            'system """\nYou are a careful assistant. Answer in one short paragraph.\n"""\n'
            'user """\n{{ question }}\n"""\n')


@pytest.mark.parametrize("model, encoding, exact", [
    ("name: gpt-4o", "o200k_base", True),
    ("name: gpt-4-turbo", "cl100k_base", True),
    ("name: claude-3-5-sonnet-latest", "cl100k_base", False),
    ("temperature: 0.1", "cl100k_base", True),
])
def test_bundle_tokens_follow_the_model(tmp_path, model, encoding, exact):
    result = compile_files(tmp_path, {"a.prompt": _module(model, "input question: str(max_len=200)\n")})
    assert result.ok, result.diagnostics
    recorded = result.bundles["a"]["tokens"]
    assert recorded["encoding"] == encoding and recorded["exact"] is exact
    assert ("method" in recorded) is (not exact)
    text = "You are a careful assistant. Answer in one short paragraph."
    assert recorded["messages"] == [tokens.count(text, encoding), 0]
    load(result.bundles["a"])  # the bundle schema accepts `exact` and `method`


def test_bundle_tokens_use_the_configured_encoding_without_a_model(tmp_path):
    from promptc import driver

    write_project(tmp_path, {"a.prompt": _module("temperature: 0.1", "input question: str\n")})
    (tmp_path / "promptc.toml").write_text('[project]\nsources = ["prompts"]\n[tokens]\nencoding = "o200k_base"\n')
    result = driver.compile_project(driver.open_project(tmp_path), use_cache=False)
    assert result.bundles["a"]["tokens"]["encoding"] == "o200k_base"
    assert result.bundles["a"]["tokens"]["exact"] is True


# --- promptc tokens ---------------------------------------------------------------------------

BUDGET = """---
version: 1.0.0
model: {name: gpt-4o, max_tokens: 500, context_window: 8000}
---
type Turn { who: "customer" | "agent", text: str(max_tokens=100) }

input name: str(max_len=90)
input question: str(max_tokens=300)
input turns: list[Turn](max_items=4) = []
input note: str?
input mode: "short" | "long" = "short"

system \"\"\"
Answer {{ name }}.
{% if mode == "long" %}Write three detailed paragraphs with examples.{% else %}Be brief.{% endif %}
\"\"\"

user \"\"\"
{% for t in turns %}{{ t.who }}: {{ t.text }}
{% endfor %}{{ question }}
\"\"\"

user \"\"\"
{{ note }}
\"\"\"
"""


def test_budget_bounds_estimates_and_unbounded_inputs(tmp_path):
    result = compile_files(tmp_path, {"b.prompt": BUDGET})
    assert result.ok, result.diagnostics
    bundle = result.bundles["b"]
    r = budget.report(bundle)
    system, user, note = r.messages
    count = lambda s: tokens.count(s, "o200k_base")  # noqa: E731
    # name: max_len 90 → 30 tokens, an estimate; the longer branch of the `if`.
    assert system.largest.tokens == (count("Answer ") + 30 + count(".\n")
                                     + count("Write three detailed paragraphs with examples."))
    assert system.largest.kind == "estimate"
    # four turns of (who: the longer member, text: 100 tokens), then the question's 300.
    per_turn = max(count("customer"), count("agent")) + count(": ") + 100 + count("\n")
    assert user.largest.tokens == 4 * per_turn + 300
    assert user.largest.kind == "bound"
    assert note.largest.kind == "unbounded" and note.largest.unbounded == ["note"]
    assert r.kind == "unbounded"
    assert [m.static for m in r.messages] == bundle["tokens"]["messages"]


def test_pattern_lengths():
    assert budget.pattern_length("^[a-z]{2}(-[A-Z]{2})?$") == 5
    assert budget.pattern_length("^[0-9]{4}-[0-9]{2}-[0-9]{2}$") == 10
    assert budget.pattern_length("^https://") is None  # not anchored at the end: any length
    assert budget.pattern_length("^a+$") is None
    assert budget.pattern_length("^a|b$") is None


@pytest.fixture
def example(tmp_path) -> Path:
    target = tmp_path / "support-desk"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("dist", ".promptc"))
    with open(target / "promptc.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[prices."gpt-4o"]\ninput_per_mtok = 2.5\noutput_per_mtok = 10\n')
    return target


def test_tokens_command_text(example):
    result = CliRunner().invoke(main, ["tokens", "--project", str(example)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "support.answer 2.0.0  model gpt-4o  encoding o200k_base (exact)" in out
    assert "sales.outreach 0.4.0  model gpt-4o-mini  encoding o200k_base (exact)" in out
    assert "unbounded, not counted: history[].sent_at" in out
    # promptc.toml's price wins over the list price; a model it does not price gets the
    # dated list price, and says so.
    assert "cost ($2.50 in, $10.00 out per million tokens, from promptc.toml)" in out
    assert ("cost ($0.15 in, $0.60 out per million tokens, promptc's list prices of 2025-08-15; [prices] in "
            "promptc.toml overrides)") in out


def test_tokens_command_json(example):
    result = CliRunner().invoke(main, ["tokens", "support.answer", "--project", str(example), "--format", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [r] = json.loads(result.stdout)
    assert r["name"] == "support.answer" and r["encoding"] == "o200k_base" and r["exact"] is True
    assert [m["role"] for m in r["messages"]] == ["system", "user", "assistant", "user"]
    assert r["static_tokens"] == sum(m["static_tokens"] for m in r["messages"])
    assert r["largest_input_kind"] == "unbounded" and r["unbounded"] == ["history[].sent_at"]
    assert r["max_tokens"] == 800 and r["context_window"] == 128000
    cost = r["cost"]
    assert cost["static_input"] == pytest.approx(r["static_tokens"] * 2.5 / 1e6, abs=1e-6)
    assert cost["largest_call"] == pytest.approx((r["largest_input_tokens"] * 2.5 + 800 * 10) / 1e6, abs=1e-6)


def test_tokens_command_flags_estimates(tmp_path):
    (tmp_path / "prompts").mkdir()
    (tmp_path / "promptc.toml").write_text('[project]\nsources = ["prompts"]\n')
    (tmp_path / "prompts" / "c.prompt").write_text(_module("name: claude-sonnet-4-5, max_tokens: 300",
                                                            "input question: str(max_len=300)\n"),
                                                    encoding="utf-8")
    runner = CliRunner()
    text = runner.invoke(main, ["tokens", "--project", str(tmp_path)], catch_exceptions=False)
    assert text.exit_code == 0, text.output
    assert "encoding cl100k_base (estimate)" in text.stdout
    assert "claude-sonnet-4-5's tokenizer is not available offline" in text.stdout
    [r] = json.loads(runner.invoke(main, ["tokens", "--project", str(tmp_path), "--format", "json"]).stdout)
    assert r["exact"] is False and "method" in r
    assert all(m["largest_kind"] != "exact" for m in r["messages"])


def test_tokens_command_unknown_prompt(example):
    result = CliRunner().invoke(main, ["tokens", "support.answr", "--project", str(example)])
    assert result.exit_code == 2
    assert "did you mean `support.answer`" in result.stderr


def test_prices_are_checked(tmp_path):
    (tmp_path / "promptc.toml").write_text('[prices."gpt-4o"]\ninput_per_mtok = 2.5\noutput_per_mtk = 10\n')
    from promptc.config import load_project

    _, diags = load_project(tmp_path)
    messages = [d.message for d in diags]
    assert any("unknown key `prices.gpt-4o.output_per_mtk`" in m for m in messages)
