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
- A registry outage does not take the service down: the client serves the last verified
  state and bundle it has and marks the trace `stale`, with the error. Only a client that
  never reached the registry, and has no cached bundle, raises.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from .bucketing import bucket as bucket_of, choose
from .bundle import Bundle, Rendered, load
from .errors import PromptcRuntimeError


class RegistryUnreachable(PromptcRuntimeError):
    """The registry could not be read and nothing usable is cached."""


class Client:
    def __init__(self, registry: Any, env: str, ttl: float = 30.0, cache_dir: Optional[os.PathLike] = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
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

    # -- the registry ---------------------------------------------------------------------

    def _open(self):
        if self._store is None:
            from promptc.registry.backends import open_store

            registry = self._registry
            if hasattr(registry, "label") and hasattr(registry, "bundle_text"):
                self._store = registry
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
        if state is None or not state.serving():
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
        with self._lock:
            state, stale = self._state(name)
            arms = state.serving()
            rollout = state.rollout if state.rollout is not None and state.rollout.status == "active" else None
            bucket = None
            if rollout is not None and key is not None and len(arms) > 1:
                index = choose([a.weight for a in arms], rollout.salt, name, str(key))
                arm = arms[index]
                bucket = bucket_of(rollout.salt, name, str(key))
            elif rollout is not None and len(arms) > 1:
                arm = next((a for a in rollout.arms if a.hash == state.stable.hash), arms[0]) if state.stable \
                    else arms[0]
                arm = replace(arm, variant="stable") if rollout.kind == "canary" else arm
            else:
                arm = arms[0]
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
        return bundle, trace

    def render(self, name: str, inputs: Optional[Mapping] = None, key: Optional[str] = None) -> Rendered:
        bundle, trace = self.resolve(name, key)
        rendered = bundle.render(inputs)
        with self._lock:
            self._traces[trace["response_id"]] = trace
            if len(self._traces) > 10_000:  # keep the newest for report(); older ones are in logs
                for stale_id in list(self._traces)[:1_000]:
                    del self._traces[stale_id]
        return replace(rendered, trace=trace)

    def close(self) -> None:
        self._drop_connection()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def trace_json(trace: Mapping) -> str:
    """One log line for a trace."""
    return json.dumps(dict(trace), sort_keys=True, ensure_ascii=False)
