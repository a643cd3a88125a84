"""The dashboard over each registry backend: the same demo history, seeded into SQLite and
into PostgreSQL, renders every page the same way (the other dashboard tests use SQLite)."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from promptc.dashboard.app import create_app
from promptc.dashboard.demo import seed
from promptc.registry.backends import open_store

from .test_dashboard_seed import END, EXAMPLE


def test_every_page_renders_on_each_backend(registry_url):
    with open_store(registry_url) as store:
        seeded = seed(store, EXAMPLE, end=END)
        rollout_id = store.label("support.answer", "prod").rollout.id
    app = create_app(registry_url).test_client()
    pages = {
        "/": ["support.answer", "sales.outreach", "maria.lopez@ledgerly.example"],
        "/rollouts": ["Canary at step 10 %", "Candidate exposure"],
        f"/rollouts/{quote(rollout_id, safe='')}": ["insufficient-data"],
        "/audit": ["guard-breach", "chain"],
        "/history/support.answer/prod": ["rollback"],
        "/history/support.answer/prod?at=2026-03-10T12:00:00Z": ["2.0.1"],
        "/prompts/support.answer": ["2.0.3"],
        "/prompts/support.answer/diff?a=2.0.1&b=2.0.3": ["2.0.1", "2.0.3"],
        "/prompts/support.answer/signals?env=prod": ["<svg"],
    }
    for path, needles in pages.items():
        response = app.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers["Content-Security-Policy"] == "default-src 'self'"
        body = response.get_data(as_text=True)
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
        for needle in needles:
            assert needle in (body if needle.startswith("<") else text), (path, needle)
    assert "Audit chain broken" not in re.sub(r"<[^>]+>", " ", app.get("/audit").get_data(as_text=True))
    assert seeded.events > 20
