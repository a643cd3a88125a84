"""Two wire formats over the standard library: OpenAI-compatible chat completions (OpenAI,
Azure OpenAI's v1 endpoint, vLLM, Ollama, llama.cpp's server, …) and Anthropic's Messages
API.

A request is retried after a rate limit (429, honouring `retry-after-ms` and
`Retry-After`, in seconds or as an HTTP date), a timeout, a dropped connection or a reply of
408, 409, 5xx or 529, waiting as long as the provider asks (up to `MAX_WAIT`), else 1, 2,
4 … seconds. Other errors (400, 401, 403, 404) are not retried. The key is sent only in the
provider's header and never printed.
"""

from __future__ import annotations

import email.utils
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Callable

DEFAULT_BASE_URLS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}
DEFAULT_KEY_ENVS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
ANTHROPIC_VERSION = "2023-06-01"
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
MAX_WAIT = 120.0  # seconds: a provider asking for a longer pause ends the run instead
#: OpenAI reasoning models take `max_completion_tokens` and only the default temperature.
_REASONING_RE = re.compile(r"(.*/)?(o\d|gpt-5)([-.:].*)?")


class ProviderError(Exception):
    """The provider did not answer usably, after any retries."""


@dataclass(frozen=True)
class Reply:
    content: str
    input_tokens: int | None
    output_tokens: int | None
    attempts: int


@dataclass(frozen=True)
class Request:
    url: str
    headers: dict[str, str]  # without the key
    body: dict

    def to_json(self) -> dict:
        return {"url": self.url, "headers": self.headers, "body": self.body}


class Client:
    def __init__(self, provider: str, model: str, base_url: str | None, key: str | None, *,
                 timeout: float = 120.0, max_retries: int = 3, max_output_tokens: int = 2000,
                 sleep: Callable[[float], None] = time.sleep):
        self.provider = provider
        self.model = model
        self.base_url = (base_url or DEFAULT_BASE_URLS[provider]).rstrip("/")
        self.key = key
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_output_tokens = max_output_tokens
        self.sleep = sleep
        # A server on this machine (Ollama, llama.cpp, vLLM) is reached directly, never through
        # an HTTP(S)_PROXY meant for the outside.
        host = urllib.parse.urlsplit(self.base_url).hostname or ""
        local = host in ("localhost", "::1") or host.startswith("127.")
        self._opener = urllib.request.build_opener(*([urllib.request.ProxyHandler({})] if local else []))

    # --- the request --------------------------------------------------------------------------

    def request(self, system: str, user: str) -> Request:
        if self.provider == "anthropic":
            url = self.base_url + ("/messages" if self.base_url.endswith("/v1") else "/v1/messages")
            body = {"model": self.model, "max_tokens": self.max_output_tokens, "temperature": 0,
                    "system": system, "messages": [{"role": "user", "content": user}]}
            return Request(url, {"anthropic-version": ANTHROPIC_VERSION, "content-type": "application/json"}, body)
        body = {"model": self.model,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
                "response_format": {"type": "json_object"}}
        if _REASONING_RE.fullmatch(self.model.lower()):
            body["max_completion_tokens"] = self.max_output_tokens
        else:
            body["max_tokens"] = self.max_output_tokens
            body["temperature"] = 0
        return Request(self.base_url + "/chat/completions", {"content-type": "application/json"}, body)

    def _auth(self) -> dict[str, str]:
        if not self.key:
            return {}
        return {"x-api-key": self.key} if self.provider == "anthropic" else {"authorization": f"Bearer {self.key}"}

    # --- sending ------------------------------------------------------------------------------

    def complete(self, system: str, user: str) -> Reply:
        req = self.request(system, user)
        data = json.dumps(req.body, ensure_ascii=False).encode("utf-8")
        attempt = 0
        while True:
            attempt += 1
            try:
                status, headers, raw = self._post(req.url, {**req.headers, **self._auth()}, data)
            except _Transient as exc:
                wait = self._backoff(attempt, None)
                if attempt > self.max_retries:
                    raise ProviderError(f"{exc} (gave up after {attempt} attempt{'s' * (attempt != 1)})") from None
                self.sleep(wait)
                continue
            if status == 200:
                return self._reply(raw, attempt)
            problem = f"{req.url} answered {status}: {_error_text(raw)}"
            if status in RETRY_STATUSES and attempt <= self.max_retries:
                asked = _retry_after(headers)
                if asked is not None and asked > MAX_WAIT:
                    raise ProviderError(f"{problem}; it asks to wait {asked:.0f} s, longer than promptc waits "
                                        f"({MAX_WAIT:.0f} s): run again later")
                self.sleep(self._backoff(attempt, asked))
                continue
            if status in (401, 403):
                problem += "; check the key in the environment variable `[review] api_key_env` names"
            elif status == 404:
                problem += "; check `[review] base_url` and `model`"
            if status in RETRY_STATUSES:
                problem += f" (gave up after {attempt} attempt{'s' * (attempt != 1)})"
            raise ProviderError(problem)

    @staticmethod
    def _backoff(attempt: int, asked: float | None) -> float:
        """As long as the provider asks, else 1, 2, 4 … seconds (at most 30)."""
        return asked if asked is not None else min(2.0 ** (attempt - 1), 30.0)

    def _post(self, url: str, headers: dict[str, str], data: bytes) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
        except urllib.error.HTTPError as exc:
            try:
                raw = exc.read()
            except (OSError, socket.timeout):
                raw = b""
            return exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()}, raw
        except (socket.timeout, TimeoutError):
            raise _Transient(f"{url} did not answer within {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise _Transient(f"{url} did not answer within {self.timeout:g} s") from None
            raise _Transient(f"cannot reach {url}: {getattr(reason, 'strerror', None) or reason}") from None
        except (ConnectionError, OSError) as exc:
            raise _Transient(f"the connection to {url} failed: {exc.strerror or exc}") from None

    def _reply(self, raw: bytes, attempts: int) -> Reply:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ProviderError(f"the provider's reply is not JSON: {_snippet(raw)}") from None
        try:
            if self.provider == "anthropic":
                content = "".join(part.get("text", "") for part in data["content"] if part.get("type") == "text")
                usage = data.get("usage") or {}
                return Reply(content, usage.get("input_tokens"), usage.get("output_tokens"), attempts)
            message = data["choices"][0]["message"]
            content = message.get("content") or ""
            usage = data.get("usage") or {}
            return Reply(content, usage.get("prompt_tokens"), usage.get("completion_tokens"), attempts)
        except (KeyError, IndexError, TypeError, AttributeError):
            raise ProviderError(f"the provider's reply is not a {self.provider} completion: {_snippet(raw)}") from None


class _Transient(Exception):
    """A timeout or a failed connection: worth another attempt."""


def _retry_after(headers: dict[str, str]) -> float | None:
    """Seconds the provider asks to wait: `retry-after-ms`, else `Retry-After` (seconds or
    an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _snippet(raw: bytes, limit: int = 160) -> str:
    text = " ".join(raw.decode("utf-8", "replace").split())
    return json.dumps(text if len(text) <= limit else text[:limit] + "…", ensure_ascii=False)


def _error_text(raw: bytes) -> str:
    """The error message of an OpenAI or Anthropic error body, else the body itself."""
    try:
        data = json.loads(raw.decode("utf-8"))
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            return error
    except (UnicodeDecodeError, ValueError, AttributeError):
        pass
    return _snippet(raw) if raw else "(no body)"
