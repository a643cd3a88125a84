"""One review run: for each prompt, a cached reply or a request (within the budget), then
anchoring, de-duplication against the static findings, and ignore comments.

The cache key is the sha256 of the text sent for the prompt, the provider, the model and
`RUBRIC_VERSION`: an unchanged prompt is never sent twice to the same model. Replies are
cached as the model wrote them and anchored again on every run, so findings follow their
passages when lines move. Only replies that parse are cached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Callable

from ..cache import Cache
from ..clikit import UsageError
from ..config import LintSection, Project
from ..diagnostics import Diagnostic, sorted_diagnostics
from ..lint import runner as lint_runner
from .anchor import anchor
from .providers import DEFAULT_BASE_URLS, DEFAULT_KEY_ENVS, Client, ProviderError
from .rubric import INSTRUCTIONS, KINDS, RUBRIC_VERSION, RawFinding, ReplyError, parse_reply, severity_of
from .units import Collected, Unit

CACHE_KIND = "review"
#: The layout of a cached reply; an entry of another format is not read (the prompt is sent again).
CACHE_FORMAT = "promptc.review-cache/1"


@dataclass(frozen=True)
class Settings:
    provider: str
    model: str
    base_url: str
    key_env: str
    timeout: float
    max_retries: int
    max_output_tokens: int
    severity: object

    @property
    def label(self) -> str:
        return f"{self.model} ({self.provider})"


def settings_of(project: Project) -> Settings:
    """`[review]` of promptc.toml; a usage error when no model is configured."""
    review = project.config.review
    if not review.provider or not review.model:
        missing = " and ".join(k for k in ("provider", "model") if not getattr(review, k))
        raise UsageError(f"no model is configured for review-lint ({missing} missing): add to promptc.toml\n"
                         "  [review]\n  provider = \"openai\"        # or \"anthropic\"\n"
                         "  model = \"gpt-4o-mini\"\n"
                         "  # base_url = \"http://127.0.0.1:11434/v1\"   # any OpenAI-compatible server\n"
                         "  # api_key_env = \"OPENAI_API_KEY\"            # \"\" sends no key")
    key_env = DEFAULT_KEY_ENVS[review.provider] if review.api_key_env is None else review.api_key_env
    return Settings(review.provider, review.model, (review.base_url or DEFAULT_BASE_URLS[review.provider]).rstrip("/"),
                    key_env, review.timeout, review.max_retries, review.max_output_tokens, review.severity)


def api_key(settings: Settings, environ=None) -> str | None:
    env = os.environ if environ is None else environ
    if not settings.key_env:
        return None
    key = env.get(settings.key_env)
    if not key:
        raise UsageError(f"the environment variable {settings.key_env} is not set: it holds the key for "
                         f"{settings.provider} (`[review] api_key_env` names it; set it to \"\" for a server "
                         "that needs no key)")
    return key


def client_for(settings: Settings, key: str | None) -> Client:
    return Client(settings.provider, settings.model, settings.base_url, key, timeout=settings.timeout,
                  max_retries=settings.max_retries, max_output_tokens=settings.max_output_tokens)


def cache_key(unit: Unit, settings: Settings) -> str:
    parts = [f"promptc review {RUBRIC_VERSION}", settings.provider, settings.model, unit.digest]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


# --- costs -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pricing:
    input_per_mtok: float
    output_per_mtok: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


def pricing(project: Project, model: str) -> Pricing | None:
    from ..pricing import price_for

    price, _source = price_for(model, project.config.prices)  # promptc.toml's, else the dated list
    return Pricing(price.input_per_mtok, price.output_per_mtok) if price else None


@dataclass(frozen=True)
class Estimate:
    input_tokens: int
    exact: bool  # False when the model's tokenizer is not available and a proxy counted
    max_output_tokens: int
    cost: float | None  # at most: the input and a reply of max_output_tokens

    def to_json(self) -> dict:
        return {"input_tokens": self.input_tokens, "exact": self.exact, "max_output_tokens": self.max_output_tokens,
                "max_cost_usd": None if self.cost is None else round(self.cost, 6)}


def estimate(unit: Unit, settings: Settings, project: Project, price: Pricing | None) -> Estimate:
    from .. import tokens

    counting = tokens.for_model(settings.model, project.config.tokens.encoding)
    n = tokens.count(INSTRUCTIONS, counting.encoding) + tokens.count(unit.text, counting.encoding)
    return Estimate(n, counting.exact, settings.max_output_tokens,
                    price.cost(n, settings.max_output_tokens) if price else None)


# --- the run -----------------------------------------------------------------------------------

@dataclass
class Outcome:
    unit: Unit
    status: str  # "cached" | "sent" | "failed" | "over-budget"
    findings: list[RawFinding] = field(default_factory=list)
    malformed: int = 0
    error: str | None = None
    cost: float | None = None
    attempts: int = 0


@dataclass
class Review:
    outcomes: list[Outcome] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unanchored: int = 0  # findings whose quotes are not in the prompt
    malformed: int = 0  # findings not understood (unknown kind, missing quotes)
    suppressed: int = 0  # findings a static finding on the same passages already reports
    dismissed: int = 0  # findings silenced by an ignore comment or the module's lint ignores
    spent: float = 0.0
    priced: bool = True

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


def review(project: Project, collected: Collected, settings: Settings, client: Client | None, *,
           budget: float | None = None, price: Pricing | None = None, cache: Cache | None = None,
           jobs: int = 1, progress: Callable[[str, int, int], None] | None = None) -> Review:
    """Review every collected prompt, sending up to `jobs` requests at once. `client` None
    means: answer from the cache only."""
    result = Review(priced=price is not None)
    units = collected.units
    outcomes: list[Outcome | None] = [None] * len(units)
    todo: list[tuple[int, str, float | None]] = []
    for i, unit in enumerate(units):
        key = cache_key(unit, settings)
        outcomes[i] = from_cache(unit, cache.get(CACHE_KIND, key) if cache else None)
        if outcomes[i] is None and client is not None:
            worst = estimate(unit, settings, project, price).cost if price is not None else None
            todo.append((i, key, worst))
    spender = _Spender(budget)
    _send_all(units, todo, jobs, spender, progress, outcomes,
              lambda i, key, worst: _ask(units[i], settings, client, price, worst, spender, cache, key))
    result.spent = spender.spent
    for unit, outcome in zip(units, outcomes):
        if outcome is not None:
            _report(unit, outcome, settings, collected, result)
    result.diagnostics = sorted_diagnostics(result.diagnostics)
    return result


def _send_all(units: list[Unit], todo: list[tuple[int, str, float | None]], jobs: int, spender: "_Spender",
              progress, outcomes: list, send: Callable[[int, str, float | None], Outcome]) -> None:
    """Send in order, up to `jobs` at once. Each request first reserves its largest cost;
    one that does not fit waits for requests in flight to settle, and is left out only when
    it does not fit with none in flight: the same prompts are sent as one at a time."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    flying: dict = {}
    answered = 0

    def land() -> None:
        nonlocal answered
        done, _ = wait(list(flying), return_when=FIRST_COMPLETED)
        for future in done:
            outcomes[flying.pop(future)] = future.result()
            answered += 1
            if progress:
                progress("Reviewing", answered, len(todo))

    if progress:
        progress("Reviewing", 0, len(todo))
    with ThreadPoolExecutor(max(1, min(jobs, len(todo)))) as pool:
        for i, key, worst in todo:
            while True:
                if len(flying) >= jobs:
                    land()
                refused = spender.reserve(worst)
                if refused is None:
                    flying[pool.submit(send, i, key, worst)] = i
                    break
                if not flying:
                    outcomes[i] = Outcome(units[i], "over-budget", error=refused)
                    break
                land()
        while flying:
            land()


def _report(unit: Unit, outcome: Outcome, settings: Settings, collected: Collected, result: Review) -> None:
    """Anchor an outcome's findings, leave out what the linter reports, apply ignores."""
    result.outcomes.append(outcome)
    result.malformed += outcome.malformed
    found = []
    for raw in outcome.findings:
        severity = severity_of(raw.kind, settings.severity)
        if severity is None:
            continue
        d = anchor(unit, raw, severity, settings.model, collected.sources)
        if d is None:
            result.unanchored += 1
        else:
            found.append(d)
    kept = [d for d in found if not _covered(d, collected.static)]
    result.suppressed += len(found) - len(kept)
    shown = lint_runner.apply_config(kept, LintSection(), unit.module, collected.sources)
    result.dismissed += len(kept) - len(shown)
    result.diagnostics.extend(shown)


def from_cache(unit: Unit, hit) -> Outcome | None:
    if not isinstance(hit, dict) or hit.get("format") != CACHE_FORMAT or not isinstance(hit.get("content"), str):
        return None
    try:
        findings, malformed = parse_reply(hit["content"])
    except ReplyError:
        return None
    return Outcome(unit, "cached", findings, malformed, cost=0.0)


class _Spender:
    """The run's spending, shared by the threads that send: a request reserves its largest
    cost before it is sent and settles at its actual cost when answered, so requests in
    flight can never take the total over the budget."""

    def __init__(self, budget: float | None):
        self.budget = budget
        self.spent = 0.0
        self.reserved = 0.0
        self._lock = threading.Lock()

    def reserve(self, worst: float | None) -> str | None:
        """None when the request may be sent, else why not."""
        if self.budget is None or worst is None:
            return None
        with self._lock:
            left = self.budget - self.spent - self.reserved
            if worst > left + 1e-12:
                return f"a reply could cost up to ${worst:.4f}; ${max(left, 0.0):.4f} of the budget is left"
            self.reserved += worst
            return None

    def settle(self, worst: float | None, cost: float | None) -> None:
        with self._lock:
            if self.budget is not None and worst is not None:
                self.reserved -= worst
            self.spent += cost or 0.0


def _ask(unit: Unit, settings: Settings, client: Client, price: Pricing | None, worst: float | None,
         spender: _Spender, cache: Cache | None, key: str) -> Outcome:
    """Send one prompt whose largest cost `worst` is reserved; settle at the actual cost."""
    try:
        reply = client.complete(INSTRUCTIONS, unit.text)
    except ProviderError as exc:
        spender.settle(worst, None)
        return Outcome(unit, "failed", error=str(exc))
    cost = None
    if price is not None:
        known = reply.input_tokens is not None and reply.output_tokens is not None
        cost = price.cost(reply.input_tokens, reply.output_tokens) if known else worst
    spender.settle(worst, cost)
    try:
        findings, malformed = parse_reply(reply.content)
    except ReplyError as exc:
        return Outcome(unit, "failed", error=str(exc), cost=cost, attempts=reply.attempts)
    if cache is not None:
        cache.put(CACHE_KIND, key, {"format": CACHE_FORMAT, "content": reply.content, "model": settings.model,
                                    "provider": settings.provider, "rubric": RUBRIC_VERSION,
                                    "usage": [reply.input_tokens, reply.output_tokens],
                                    "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    return Outcome(unit, "sent", findings, malformed, cost=cost, attempts=reply.attempts)


def _covered(d: Diagnostic, static: list[Diagnostic]) -> bool:
    """True when a static finding of a matching rule spans every passage `d` quotes."""
    kind = next(k for k in KINDS.values() if k.code == d.code)
    quoted = [d.span, *(label.span for label in d.labels)]
    for s in static:
        if s.code.name not in kind.static or s.span is None:
            continue
        ranges = [s.span, *(label.span for label in s.labels)]
        if all(any(r.file == q.file and r.line <= q.line <= r.end_line for r in ranges) for q in quoted):
            return True
    return False


def summary(result: Review, settings: Settings) -> str:
    parts = [f"{len(result.outcomes)} prompt{'s' * (len(result.outcomes) != 1)} reviewed by {settings.label}: "
             f"{result.count('sent')} sent, {result.count('cached')} from the cache"]
    failed, over = result.count("failed"), result.count("over-budget")
    if failed:
        parts.append(f"{failed} failed")
    if over:
        parts.append(f"{over} not sent (over the budget)")
    n = len(result.diagnostics)
    line = "; ".join(parts) + f". {n} finding{'s' * (n != 1)}"
    extra = []
    if result.unanchored:
        extra.append(f"{result.unanchored} dropped: quotes not in the prompt")
    if result.malformed:
        extra.append(f"{result.malformed} not understood")
    if result.suppressed:
        extra.append(f"{result.suppressed} already reported by the linter")
    if result.dismissed:
        extra.append(f"{result.dismissed} dismissed by ignore comments")
    if extra:
        line += " (" + ", ".join(extra) + ")"
    if result.count("sent"):
        line += f"; cost ${result.spent:.4f}" if result.priced else \
            f"; cost unknown (no [prices.\"{settings.model}\"] in promptc.toml)"
    return line + "."


def request_preview(unit: Unit, client: Client) -> dict:
    return client.request(INSTRUCTIONS, unit.text).to_json()


def dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
