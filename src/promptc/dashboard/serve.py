"""Serving the dashboard with waitress, a production WSGI server: threads, sane timeouts,
no debugger or reloader that could run code sent by a browser."""

from __future__ import annotations

from flask import Flask
from waitress.server import create_server

THREADS = 4


def make_server(app: Flask, host: str, port: int):
    """A bound server (`port` 0 picks a free port: read it from `server.effective_port`)."""
    return create_server(app, host=host, port=port, threads=THREADS, ident="promptc-dashboard",
                         clear_untrusted_proxy_headers=True)


def url(server) -> str:
    host = server.effective_host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{server.effective_port}/"
