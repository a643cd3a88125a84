"""A model provider on 127.0.0.1 for tests: OpenAI chat completions (`POST
/v1/chat/completions`) and Anthropic Messages (`POST /v1/messages`), answering with recorded
replies.

It checks each request as the real services do (the key header, `anthropic-version`,
`model`, `messages`, `max_tokens` for Anthropic) and answers errors in each provider's
error shape. `replies` maps a text that occurs in the request's user message (a prompt's
name, say) to the reply's content; a request that matches none gets `{"findings": []}`.
`script` holds behaviours for the next requests, one per request, in order:

- `("status", code, headers)`: answer `code` with an error body and these headers;
- `("hang", seconds)`: wait that long before answering normally (a timeout for the client);
- `("garbage",)`: answer 200 with a body that is not JSON;
- `("content", text)`: answer normally, but with `text` as the model's content.

`log` records every request: (path, headers with lower-case names, parsed body or None).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ModelServer:
    def __init__(self, key: str | None = "test-key"):
        self.key = key
        self.replies: dict[str, str] = {}
        self.script: list[tuple] = []
        self.log: list[tuple[str, dict, dict | None]] = []
        self.usage = (1000, 200)  # input and output tokens each reply reports
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"model_server": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False  # a hanging reply must not hold up the test's end
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> "ModelServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def next_behaviour(self) -> tuple | None:
        with self._lock:
            return self.script.pop(0) if self.script else None

    def reply_for(self, user: str) -> str:
        for marker, content in self.replies.items():
            if marker in user:
                return content
        return '{"findings": []}'

    @property
    def paths(self) -> list[str]:
        return [path for path, _, _ in self.log]


class _Handler(BaseHTTPRequestHandler):
    model_server: ModelServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _error(self, anthropic: bool, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        kind = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
                429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
        body = ({"type": "error", "error": {"type": kind, "message": message}} if anthropic
                else {"error": {"message": message, "type": kind, "code": None}})
        self._send(status, json.dumps(body).encode(), headers)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        server = self.model_server
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        server.log.append((self.path, headers, body))
        anthropic = self.path == "/v1/messages"
        if self.path not in ("/v1/messages", "/v1/chat/completions"):
            return self._error(anthropic, 404, f"no route {self.path}")
        behaviour = server.next_behaviour()
        content = None
        if behaviour:
            if behaviour[0] == "status":
                return self._error(anthropic, behaviour[1], f"scripted {behaviour[1]}", behaviour[2])
            if behaviour[0] == "hang":
                time.sleep(behaviour[1])
            elif behaviour[0] == "garbage":
                return self._send(200, b"<html>502 Bad Gateway</html>")
            elif behaviour[0] == "content":
                content = behaviour[1]
        problem = self._check(anthropic, headers, body)
        if problem:
            return self._error(anthropic, *problem)
        if anthropic:
            user = body["messages"][-1]["content"]
        else:
            user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        content = server.reply_for(user) if content is None else content
        n_in, n_out = server.usage
        if anthropic:
            reply = {"id": "msg_test", "type": "message", "role": "assistant", "model": body["model"],
                     "content": [{"type": "text", "text": content}], "stop_reason": "end_turn",
                     "usage": {"input_tokens": n_in, "output_tokens": n_out}}
        else:
            reply = {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body["model"],
                     "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                  "finish_reason": "stop"}],
                     "usage": {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}}
        self._send(200, json.dumps(reply).encode())

    def _check(self, anthropic: bool, headers: dict, body) -> tuple[int, str] | None:
        key = self.model_server.key
        if key is not None:
            given = headers.get("x-api-key") if anthropic else headers.get("authorization", "").removeprefix("Bearer ")
            if given != key:
                return 401, "invalid x-api-key" if anthropic else "Incorrect API key provided"
        if not isinstance(body, dict):
            return 400, "the body is not JSON"
        if not isinstance(body.get("model"), str) or not isinstance(body.get("messages"), list) or not body["messages"]:
            return 400, "model and messages are required"
        if anthropic:
            if headers.get("anthropic-version") != "2023-06-01":
                return 400, "anthropic-version header is required"
            if not isinstance(body.get("max_tokens"), int):
                return 400, "max_tokens: Field required"
            if any(m.get("role") not in ("user", "assistant") for m in body["messages"]):
                return 400, "messages: roles must be user or assistant (the system prompt is a top-level field)"
        elif any(m.get("role") not in ("system", "user", "assistant", "developer") for m in body["messages"]):
            return 400, "messages: unknown role"
        return None
