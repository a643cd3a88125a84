"""The Flask application: a read-only window on the registry.

What keeps it safe to point at a production registry and to leave running on a laptop:
- the registry is opened read-only for every request (and closed after it), so no page can
  move a label, whatever a request carries;
- GET and HEAD only, everything else 405, so no form or cross-site request can act;
- `Content-Security-Policy: default-src 'self'` on every response and no scripts at all,
  with Jinja2 autoescaping: prompt text is user content and must never run;
- when bound to a loopback address, requests naming another host are refused, so a page on
  some other site cannot reach the dashboard by DNS rebinding.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Callable, Optional

from flask import Flask, Response, abort, g, render_template, request, url_for
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from promptc.registry.backends import open_store
from promptc.registry.model import RegistryError
from promptc.registry.store import Store

from . import present

CSP = "default-src 'self'"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
READ_METHODS = frozenset({"GET", "HEAD"})


class Missing(Exception):
    """Something a URL names does not exist: a 404 page that says what exists instead."""

    def __init__(self, message: str, suggestions: list[tuple[str, str]] = (), command: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = list(suggestions)
        self.command = command


class BadRequest(Exception):
    """A malformed query (an unreadable time): a 400 page with the reason."""


def create_app(registry: Optional[str] = None, root: Optional[Path] = None, *, host: str = "127.0.0.1",
               opener: Optional[Callable[[], Store]] = None) -> Flask:
    """The dashboard for the registry at `registry` (a URL or path; None: `root`'s default).

    `opener` replaces how a read-only store is opened per request (tests use it to count
    or wrap connections)."""
    app = Flask(__name__)
    app.config["PROMPTC_OPEN"] = opener or (lambda: open_store(registry, root, readonly=True))
    app.config["PROMPTC_REGISTRY"] = registry or str((root or Path.cwd()) / ".promptc" / "registry.db")
    app.config["PROMPTC_TRUSTED_HOSTS"] = LOOPBACK if host in LOOPBACK else None
    app.jinja_env.autoescape = True
    app.jinja_env.globals.update(short=present.short, when=present.when, number=present.number,
                                 evidence_share=present.evidence_share)

    from . import views_history, views_live, views_prompt

    for module in (views_live, views_history, views_prompt):
        app.register_blueprint(module.blueprint)

    @app.before_request
    def _read_only_requests():
        if request.method not in READ_METHODS:
            raise MethodNotAllowed(valid_methods=sorted(READ_METHODS))
        trusted = app.config["PROMPTC_TRUSTED_HOSTS"]
        if trusted is not None:
            if hostname(request.host) not in trusted:
                abort(400, description=f"this dashboard answers on {', '.join(sorted(trusted))} only")

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def _close(_exc) -> None:
        store = g.pop("store", None)
        if store is not None:
            store.close()

    @app.errorhandler(Missing)
    def _missing(exc: Missing):
        return render_template("error.html", title="Not found", message=exc.message,
                               suggestions=exc.suggestions, command=exc.command), 404

    @app.errorhandler(BadRequest)
    def _bad_request(exc: BadRequest):
        return render_template("error.html", title="Bad request", message=str(exc), suggestions=[],
                               command=""), 400

    @app.errorhandler(RegistryError)
    def _registry(exc: RegistryError):
        return render_template("error.html", title="Registry unavailable", message=str(exc), suggestions=[],
                               command="promptc publish"), 503

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        response = exc.get_response()
        if request.method == "HEAD":
            return response
        body = render_template("error.html", title=f"{exc.code} {exc.name}", message=exc.description,
                               suggestions=[("the live matrix", url_for("live.matrix"))], command="")
        response.set_data(body)
        response.mimetype = "text/html"
        return response

    return app


def store() -> Store:
    """This request's read-only store, opened on first use and closed when the request ends."""
    if "store" not in g:
        from flask import current_app

        g.store = current_app.config["PROMPTC_OPEN"]()
    return g.store


def known_prompt(name: str) -> list[tuple[str, str, str]]:
    """The versions of `name`, or a 404 naming the closest prompts."""
    versions = store().versions(name)
    if versions:
        return versions
    names = store().names()
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    shown = close or names[:10]
    raise Missing(f"No prompt named `{name}` is in this registry."
                  + (" Did you mean one of these?" if close else " These prompts are:" if names else
                     " The registry holds no prompts yet."),
                  [(n, url_for("prompt.detail", name=n)) for n in shown], command="promptc publish")


def hostname(host: str) -> str:
    """The name in a Host header without its port (`[::1]:8050` → `::1`)."""
    host = (host or "").strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def version_map(name: str) -> dict[str, str]:
    """hash → version for every bundle of `name`."""
    return {h: v for v, h, _ in store().versions(name)}


def svg(text: str) -> Markup:
    """An SVG made by `charts` (every label in it is escaped there) for inline use."""
    return Markup(text)
