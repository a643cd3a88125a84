"""A registry client for services: resolve a label, pick the rollout arm for a key, fetch
and verify the bundle by hash, render, and say exactly what was rendered.

    client = Client(registry="postgresql://…", env="prod", ttl=30)
    rendered = client.render("support.answer", inputs, key=user_id)
    reply = call_model(rendered.messages, …)
    log(rendered.trace)   # name, version, hash, env, variant, bucket, rollout, response_id, stale

- Label states are cached for `ttl` seconds, so a promotion or rollback reaches a running
  client within one TTL. Bundles are immutable: cached by hash for good, in memory and, with
  `cache_dir`, on disk, and verified (hash and schema) before first use.
- With a rollout in flight, `key` (a user id, an account id) picks the arm with the
  published bucketing function (`bucketing.py`): sticky while the rollout ramps. Without a
  key the stable bundle is served.
- A first release (a prompt with no stable version in the environment) goes out as a
  canary against an `off` share: keys bucketed into it, renders without a key, and every
  key once the rollout is frozen or rolled back raise `NotServed` (with a trace of variant
  "off"), so the caller keeps its path without the prompt. Nothing is recorded for them.
- A registry outage does not take the service down: the client serves the last verified
  state and bundle it has and marks the trace `stale`, with the error. Only a client that
  never reached the registry, and has no cached bundle, raises.
- Live signals (docs/guard.md): every render is an exposure of its window (env, prompt,
  hash, variant, UTC minute), buffered and written to the registry in the background;
  `report(response_id, **signals)` records outcomes, `validate_output` checks the model's
  output against the bundle's output schema and records a format or schema error. The
  rollout guard reads these. `signals=False` turns recording off.
- Captured cases (docs/registry.md): `capture(trace, output=…, kind=…, note=…)` stores a
  served response that went wrong, with its bundle hash, version, environment and arm, for
  `promptc eval pull` to turn into an eval case. The `redact` hook (given the inputs and the
  output, returning them redacted) runs before anything is stored; inputs are stored only
  when the prompt's front matter says `capture: {inputs: true}`.
- With `opentelemetry-api` installed, each render sets `gen_ai.prompt.name`,
  `gen_ai.prompt.version`, `promptc.bundle.hash`, `promptc.variant`, … on the current
  span (`otel.py`).
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from .bucketing import bucket as bucket_of, choose
from .bundle import Bundle, Rendered, load
from .errors import NotServed, PromptcRuntimeError
from .otel import annotate_current_span


#: The variant of keys a first release does not serve (promptc.registry.model.OFF).
OFF = "off"


class RegistryUnreachable(PromptcRuntimeError):
    """The registry could not be read and nothing usable is cached."""


def _is_oci(registry: Any) -> bool:
    return isinstance(registry, str) and registry.startswith(("oci://", "oci+http://"))


class UnknownResponse(PromptcRuntimeError):
    """A response id that neither this client nor the registry has recorded."""


@dataclass(frozen=True)
class OutputCheck:
    """The model's output checked against the bundle's output spec: `error` is None,
    "format_error" (not JSON where JSON was asked for, or not text) or "schema_error"
    (JSON that breaks the schema); `value` is the parsed output when it parsed."""

    error: Optional[str]
    messages: tuple[str, ...]
    value: Any = None

    @property
    def ok(self) -> bool:
        return self.error is None


_UNSET = object()


class Client:
    def __init__(self, registry: Any, env: str, ttl: float = 30.0, cache_dir: Optional[os.PathLike] = None,
                 clock: Callable[[], float] = time.monotonic, signals: bool = True,
                 flush_interval: float = 5.0, redact: Optional[Callable[[Any, Any], Any]] = None) -> None:
        self.env = env
        self.ttl = ttl
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._registry = registry
        self._store = None
        self._clock = clock
        self._lock = threading.Lock()
        self._states: dict[str, tuple[float, Any]] = {}  # name → (fetched at, LabelState)
        self._bundles: dict[str, Bundle] = {}
        self._traces: dict[str, dict] = {}
        self._inputs: dict[str, Any] = {}  # response_id → the inputs it was rendered with, for capture()
        self._write_lock = threading.Lock()  # the writers' connection: the recorder's thread and capture()
        self._redact = redact
        # An OCI registry distributes bundles and labels but keeps no signals.
        self._signals = signals and not _is_oci(registry)
        self._flush_interval = flush_interval
        self._recorder = None
        self._exposures: dict[str, Any] = {}  # response_id → signals.Exposure, the newest renders

    # -- the registry ---------------------------------------------------------------------

    def _open(self):
        if self._store is None:
            from promptc.registry.backends import open_store

            registry = self._registry
            if hasattr(registry, "label") and hasattr(registry, "bundle_text"):
                self._store = registry
            elif _is_oci(registry):
                from promptc.registry.oci_labels import OciLabels

                self._store = OciLabels(os.fspath(registry))
            else:
                self._store = open_store(os.fspath(registry), readonly=False)
        return self._store

    def _drop_connection(self) -> None:
        store, self._store = self._store, None
        if store is not None and store is not self._registry:
            try:
                store.close()
            except Exception:
                pass

    def _state(self, name: str) -> tuple[Any, Optional[str]]:
        """The label state of `name`, and the error text when it is stale."""
        now = self._clock()
        cached = self._states.get(name)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1], None
        try:
            state = self._open().label(name, self.env)
        except Exception as exc:  # an outage: serve what we last verified
            self._drop_connection()
            if cached is not None:
                return cached[1], f"registry unreachable, serving the state cached {now - cached[0]:.0f} s ago: {exc}"
            raise RegistryUnreachable(f"cannot resolve {name} in {self.env}: {exc}") from None
        if state is None:
            raise PromptcRuntimeError(f"{self.env} serves no version of {name}; promote one with "
                                      f"`promptc promote {name}@VERSION --env {self.env}`")
        self._states[name] = (now, state)
        return state, None

    def _bundle(self, hash_: str, version: str) -> Bundle:
        bundle = self._bundles.get(hash_)
        if bundle is not None:
            return bundle
        disk = self.cache_dir / (hash_.replace(":", "-") + ".json") if self.cache_dir else None
        if disk is not None and disk.is_file():
            bundle = load(disk)  # verified again: a file on disk can be changed
        else:
            text = self._open().bundle_text(hash_, version) or self._open().bundle_text(hash_)
            if text is None:
                raise PromptcRuntimeError(f"the registry has no bundle {hash_}")
            bundle = load(text.encode("utf-8"))
            if disk is not None:
                from promptc.atomic import atomic_write

                atomic_write(disk, text.encode("utf-8"))
        if bundle.hash != hash_:
            raise PromptcRuntimeError(f"the registry returned {bundle.hash} for {hash_}")
        self._bundles[hash_] = bundle
        return bundle

    # -- rendering ------------------------------------------------------------------------

    def resolve(self, name: str, key: Optional[str] = None) -> tuple[Bundle, dict]:
        """The bundle `key` gets for `name` now, and the trace fields that say so."""
        bundle, trace, _ = self._resolve(name, key)
        return bundle, trace

    def _resolve(self, name: str, key: Optional[str]) -> tuple[Bundle, dict, bool]:
        """Also says whether the render took part in a rollout's randomisation: not when a
        rollout is in flight but there was no key to bucket by."""
        unkeyed = False
        with self._lock:
            state, stale = self._state(name)
            arms = state.serving()
            rollout = state.rollout if state.rollout is not None and state.rollout.status == "active" else None
            bucket = None
            if not arms:
                raise self._not_served(name, state, None, stale, "no version is served (a first release that "
                                       "was frozen, rolled back or aborted)")
            if rollout is not None and key is not None and len(arms) > 1:
                index = choose([a.weight for a in arms], rollout.salt, name, str(key))
                arm = arms[index]
                bucket = bucket_of(rollout.salt, name, str(key))
            elif rollout is not None and len(arms) > 1 and state.stable is None:
                raise self._not_served(name, state, None, stale, "a first release serves only keyed renders "
                                       "(there is no stable version for a render without a key)")
            elif rollout is not None and len(arms) > 1:
                arm = next((a for a in rollout.arms if a.hash == state.stable.hash), arms[0])
                arm = replace(arm, variant="stable") if rollout.kind == "canary" else arm
                unkeyed = True
            else:
                arm = arms[0]
            if not arm.served:
                raise self._not_served(name, state, bucket, stale, "the key falls in the share a first release "
                                       "does not serve yet")
            try:
                bundle = self._bundle(arm.hash, arm.version)
            except PromptcRuntimeError:
                raise
            except Exception as exc:
                self._drop_connection()
                raise RegistryUnreachable(f"cannot fetch {name}@{arm.version} ({arm.hash}): {exc}") from None
        trace = {
            "name": name, "version": arm.version, "hash": arm.hash, "env": self.env, "variant": arm.variant,
            "bucket": bucket, "rollout": rollout.id if rollout else None, "response_id": uuid.uuid4().hex,
            "stale": stale is not None,
        }
        if stale:
            trace["error"] = stale
        return bundle, trace, unkeyed

    def _not_served(self, name: str, state, bucket: Optional[float], stale: Optional[str], why: str) -> NotServed:
        trace = {"name": name, "version": None, "hash": None, "env": self.env, "variant": OFF, "bucket": bucket,
                 "rollout": state.rollout.id if state.rollout is not None else None, "response_id": None,
                 "stale": stale is not None}
        if stale:
            trace["error"] = stale
        return NotServed(f"{self.env} does not serve {name} here: {why}", trace)

    def render(self, name: str, inputs: Optional[Mapping] = None, key: Optional[str] = None) -> Rendered:
        bundle, trace, unkeyed = self._resolve(name, key)
        rendered = bundle.render(inputs)
        exposure = self._exposure(trace, unkeyed) if self._signals else None
        with self._lock:
            self._traces[trace["response_id"]] = trace
            self._inputs[trace["response_id"]] = copy.deepcopy(dict(inputs or {}))
            if exposure is not None:
                self._exposures[trace["response_id"]] = exposure
            if len(self._traces) > 10_000:  # keep the newest for report(); older ones are in logs
                for stale_id in list(self._traces)[:1_000]:
                    del self._traces[stale_id]
                    self._exposures.pop(stale_id, None)
                    self._inputs.pop(stale_id, None)
        if exposure is not None:
            self._recorder_().add_exposure(exposure)
        annotate_current_span(trace)
        return replace(rendered, trace=trace)

    # -- signals --------------------------------------------------------------------------

    def _exposure(self, trace: Mapping, unkeyed: bool):
        from promptc.registry.signals import UNKEYED, Exposure, minute_of

        return Exposure(trace["response_id"], self.env, trace["name"], trace["hash"],
                        UNKEYED if unkeyed else trace["variant"], minute_of(time.time()))

    def _recorder_(self):
        if self._recorder is None:
            from promptc.registry.signals import Recorder

            with self._lock:
                if self._recorder is None:
                    self._recorder = Recorder(self._writer_store, self._writer_lock(),
                                              interval=self._flush_interval)
        return self._recorder

    def _writer_lock(self):
        """A store object handed in is shared with rendering, so writes take the render
        lock; with an address the writers (the recorder's thread, `capture`) share a
        connection of their own, and a lock of their own."""
        registry = self._registry
        return self._lock if hasattr(registry, "label") and hasattr(registry, "bundle_text") else self._write_lock

    def _writer_store(self):
        registry = self._registry
        if hasattr(registry, "label") and hasattr(registry, "bundle_text"):
            return registry
        if getattr(self, "_signal_store", None) is None:
            from promptc.registry.backends import open_store

            self._signal_store = open_store(os.fspath(registry), readonly=False)
        return self._signal_store

    def _known(self, response_id: str):
        """The response's exposure: rendered here, else recorded in the registry."""
        exposure = self._exposures.get(response_id)
        if exposure is not None:
            return exposure
        from promptc.registry.signals import lookup

        self._recorder_().flush()
        with self._lock:
            found = lookup(self._open(), [response_id]).get(response_id)
        if found is None:
            raise UnknownResponse(f"no response {response_id} was rendered by this client or recorded in the "
                                  "registry")
        return found

    def report(self, response_id: str, output: Any = _UNSET, **signals: Any) -> Optional[OutputCheck]:
        """Record outcomes of a response: `error` (the call failed: an exception, a refused or
        unusable reply), `format_error`, `schema_error`, `fallback`,
        `escalation`, `correction` (true when it happened), `rating` (higher is better),
        `latency_ms`, `input_tokens`, `output_tokens`, `cost`. Call it as often as outcomes
        arrive, also much later (a thumbs-down, a correction): they join the window the
        response was served in. With `output=`, the model's output is validated as well
        (`validate_output`), and its check is returned.

        Recording is buffered; an unknown signal or a value of the wrong kind raises
        `promptc.registry.signals.SignalError` at once."""
        from promptc.registry.signals import Outcome, check_signals

        values = check_signals(signals)
        check = self.validate_output(response_id, output) if output is not _UNSET else None
        if values:
            self._recorder_().add_outcome(Outcome(response_id, values, self._exposures.get(response_id)))
        return check

    def validate_output(self, response_id: str, output: Any) -> OutputCheck:
        """Check the model's output for a response against its bundle's output spec and
        record a `format_error` or `schema_error` when it fails. `output` is the model's
        text (parsed as JSON when the prompt asks for JSON) or an already parsed value."""
        from promptc.registry.signals import Outcome

        exposure = self._known(response_id)
        with self._lock:
            bundle = self._bundle(exposure.hash, self._traces.get(response_id, {}).get("version", ""))
        check = check_output(bundle, output)
        if check.error is not None:
            self._recorder_().add_outcome(Outcome(response_id, {check.error: 1.0}, exposure))
        return check

    # -- captured cases -------------------------------------------------------------------

    def capture(self, trace: Mapping, *, output: Any, kind: str, note: str = "",
                inputs: Any = _UNSET) -> Optional[Any]:
        """Store a served response that went wrong as a captured case (`promptc eval captured`
        lists them, `promptc eval pull` turns them into eval cases). `kind` names the failure:
        "unexpected-refusal", "wrong-tool-sequence", "hallucinated-field", "verbosity",
        "format-error", or another kebab-case name. The inputs come from this client's
        render of the trace (`inputs=` gives them for a trace rendered elsewhere).

        The `redact` hook runs first, on copies of the inputs and the output; it returns
        `(inputs, output)` to store, or None to store nothing (then None is returned). The
        inputs are kept only when the bundle's front matter sets `capture: {inputs: true}`;
        the stored case says why they are missing otherwise. Returns the stored
        `promptc.registry.captures.Case`; raises `CaptureError` for a trace of no render or
        a malformed kind, and the registry's error when it cannot be written."""
        from promptc.registry import captures

        if _is_oci(self._registry) or (hasattr(self._registry, "label") and not hasattr(self._registry, "write_batch")):
            raise PromptcRuntimeError("an OCI registry keeps no captured cases: capture to the SQLite or "
                                      "PostgreSQL registry the release commands use")
        captures.check_kind(kind)
        trace = dict(trace)
        response_id = trace.get("response_id")
        if inputs is _UNSET:
            with self._lock:
                known = response_id in self._inputs
                inputs = copy.deepcopy(self._inputs.get(response_id))
        else:
            known, inputs = True, copy.deepcopy(inputs)
        if not trace.get("hash"):
            raise captures.CaptureError("the trace names no rendered bundle: capture takes the trace of a render "
                                        "that was served, not of `NotServed`")
        with self._lock:
            bundle = self._bundle(trace["hash"], str(trace.get("version") or ""))
        allowed = bool(((bundle.meta or {}).get("capture") or {}).get("inputs"))
        output = copy.deepcopy(output)
        withheld = None if known else captures.UNKNOWN
        if self._redact is not None:
            redacted = self._redact(inputs, output)
            if redacted is None:
                return None
            inputs, output = redacted
            if inputs is None and known:
                withheld = captures.REDACTED
        if not allowed:
            inputs, withheld = None, captures.NOT_ALLOWED
        if inputs is not None and not isinstance(inputs, Mapping):
            raise captures.CaptureError(f"the inputs to store must be a mapping, not {type(inputs).__name__}")
        case = captures.prepare(trace, kind=kind, output=output, note=note, inputs=inputs, withheld=withheld)
        with self._writer_lock():
            return captures.record(self._writer_store(), case)

    def flush(self):
        """Write buffered signals now (also done every `flush_interval` seconds and on
        close). Returns what was written."""
        return self._recorder.flush() if self._recorder is not None else None

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.close()
        store = getattr(self, "_signal_store", None)
        if store is not None:
            self._signal_store = None
            store.close()
        self._drop_connection()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def check_output(bundle: Bundle, output: Any) -> OutputCheck:
    """Validate a model output against `bundle`'s output spec (see `OutputCheck`)."""
    spec = bundle.spec.get("output") or {"type": "text"}
    if spec.get("type") != "json":
        if isinstance(output, str):
            return OutputCheck(None, (), output)
        return OutputCheck("format_error", (f"expected text output, got {type(output).__name__}",), None)
    value = output
    if isinstance(output, (str, bytes)):
        try:
            value = json.loads(output)
        except ValueError as exc:
            return OutputCheck("format_error", (f"the output is not JSON: {exc}",), None)
    from .schema import Validator

    errors = sorted(Validator(spec["schema"]).iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        messages = tuple(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:20])
        return OutputCheck("schema_error", messages, value)
    return OutputCheck(None, (), value)
