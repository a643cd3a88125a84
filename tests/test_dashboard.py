"""The dashboard through Flask's test client: read-only in every sense, safe headers, helpful
errors, and pages that answer the questions they are for."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.needs import missing

pytest.importorskip("flask", reason=missing("python-extra", "the dashboard's tests need flask and waitress"))

from promptc.dashboard.app import CSP, create_app  # noqa: E402
from promptc.registry.backends import open_store  # noqa: E402

from .test_dashboard_seed import EXAMPLE, SCRIPT, hostile_registry  # noqa: E402

PAGES = [
    "/", "/rollouts", "/rollouts/support.answer@prod%2315", "/rollouts/sales.outreach@prod%2322",
    "/history/support.answer/prod", "/history/support.answer/prod?at=2026-03-12T13:00:00Z", "/audit",
    "/prompts/support.answer", "/prompts/support.answer/diff?a=2.0.1&b=2.0.2", "/prompts/support.answer/signals",
    "/prompts/sales.outreach/signals?env=prod", "/prompts/evil", "/static/dashboard.css",
]


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    return hostile_registry(tmp_path_factory)


@pytest.fixture(scope="module")
def client(registry: Path):
    return create_app(str(registry)).test_client()


def _text(response) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded."""
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def _bundle_path(client, name: str, version: str) -> str:
    page = client.get(f"/prompts/{name}").get_data(as_text=True)
    row = re.search(rf"<td>{re.escape(version)}</td><td><a class=\"hash\" href=\"([^\"]+)\"", page)
    assert row, f"no bundle link for {name}@{version}"
    return row.group(1)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_with_the_security_policy(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Security-Policy"] == CSP == "default-src 'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if path != "/static/dashboard.css":
        body = response.get_data(as_text=True)
        assert "<script" not in body.replace("&lt;script", "")
        assert "style=" not in body  # inline styles would be blocked by the policy
        assert "http://" not in body.replace("http://www.w3.org/2000/svg", "") and "https://" not in body \
            .replace("https://community.ledgerly.example", "")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", ["/", "/rollouts", "/history/support.answer/prod", "/static/dashboard.css",
                                  "/no/such/page"])
def test_only_get_and_head(client, method: str, path: str) -> None:
    response = client.open(path, method=method, data={"env": "prod"})
    assert response.status_code == 405
    assert response.headers["Content-Security-Policy"] == CSP
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD"}


def test_head_answers(client) -> None:
    assert client.head("/").status_code == 200


def test_pages_never_write_the_registry(registry: Path, tmp_path: Path) -> None:
    copy = tmp_path / "registry.db"
    shutil.copy(registry, copy)
    before = (copy.stat().st_mtime_ns, hashlib.sha256(copy.read_bytes()).hexdigest())
    client = create_app(str(copy)).test_client()
    for path in PAGES + ["/nope", "/prompts/nope", "/history/support.answer/mars"]:
        client.get(path)
        client.post(path)
    after = (copy.stat().st_mtime_ns, hashlib.sha256(copy.read_bytes()).hexdigest())
    assert after == before
    assert not (tmp_path / "registry.db-wal").exists() or (tmp_path / "registry.db-wal").stat().st_size == 0


def test_the_store_is_opened_read_only(registry: Path) -> None:
    opened = []

    def opener():
        store = open_store(str(registry), readonly=True)
        opened.append(store)
        return store

    client = create_app(str(registry), opener=opener).test_client()
    assert client.get("/").status_code == 200
    assert opened and all(s.readonly for s in opened)
    with pytest.raises(Exception, match="read-only"):
        with opened[0].transaction():
            pass


def test_unknown_prompt_is_a_helpful_404(client) -> None:
    response = client.get("/prompts/support.answr")
    assert response.status_code == 404
    assert response.headers["Content-Security-Policy"] == CSP
    text = _text(response)
    assert "No prompt named `support.answr`" in text and "Did you mean" in text
    assert 'href="/prompts/support.answer"' in response.get_data(as_text=True)
    for path in ("/prompts/nothing-like-it/diff", "/history/nothing-like-it/prod", "/prompts/zzz/signals"):
        missing = client.get(path)
        assert missing.status_code == 404 and "No prompt named" in _text(missing)


def test_other_missing_things_say_what_exists(client) -> None:
    env = client.get("/history/support.answer/mars")
    assert env.status_code == 404 and "never been released to `mars`" in _text(env)
    assert 'href="/history/support.answer/prod"' in env.get_data(as_text=True)
    version = client.get("/prompts/support.answer/diff?a=9.9.9&b=2.0.1")
    assert version.status_code == 404 and "no version `9.9.9`" in _text(version) and "2.0.3" in _text(version)
    rollout = client.get("/rollouts/support.answer@prod%23999")
    assert rollout.status_code == 404 and "support.answer@prod#21" in _text(rollout)
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.headers["Content-Security-Policy"] == CSP


def test_an_unreadable_instant_is_a_400_that_shows_the_format(client) -> None:
    response = client.get("/history/support.answer/prod?at=yesterday")
    assert response.status_code == 400
    assert "2026-03-15T14:47:00Z" in _text(response)


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00%2B01:00", "9999-12-31T23:59:59-01:00"])
def test_an_out_of_range_instant_is_a_400_that_says_the_range(client, at) -> None:
    response = client.get(f"/history/support.answer/prod?at={at}")
    assert response.status_code == 400
    assert "years 1 to 9999" in _text(response)


def test_what_was_live_at_an_instant(client) -> None:
    # 2026-03-12 13:00: the bad 2.0.2 was in a 10 % canary over stable 2.0.1.
    during = _text(client.get("/history/support.answer/prod?at=2026-03-12T13:00:00Z"))
    assert "prod served support.answer@2.0.1" in during
    assert re.search(r"candidate\s+2\.0\.2\s+\S+\s+10 %", during)
    assert "promptc history support.answer --env prod --at 2026-03-12T13:00:00Z" in during
    before = _text(client.get("/history/support.answer/prod?at=2026-03-01T00:00:00Z"))
    assert "had not been released to prod" in before
    assert "Audit chain verified" in during


def test_chain_tampering_shows_on_the_history_page(registry: Path, tmp_path: Path) -> None:
    import sqlite3

    copy = tmp_path / "registry.db"
    shutil.copy(registry, copy)
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE events SET reason = 'nothing to see' WHERE seq = 5")
    text = _text(create_app(str(copy)).test_client().get("/history/support.answer/prod"))
    assert "Audit chain broken" in text and "event #5" in text


def test_a_label_changed_behind_the_log_shows_on_the_history_page(registry: Path, tmp_path: Path) -> None:
    import sqlite3

    copy = tmp_path / "registry.db"
    shutil.copy(registry, copy)
    with sqlite3.connect(copy) as db:
        db.execute("""UPDATE labels SET state = REPLACE(state, '"frozen": false', '"frozen": true') WHERE env = 'prod'""")
    text = _text(create_app(str(copy)).test_client().get("/history/support.answer/prod"))
    assert "Audit chain broken" in text and "behind the log" in text and "in prod" in text


def test_tampering_after_a_check_shows_once_the_check_is_stale(registry: Path, tmp_path: Path, monkeypatch) -> None:
    import sqlite3

    from promptc.dashboard import views_history

    copy = tmp_path / "registry.db"
    shutil.copy(registry, copy)
    app = create_app(str(copy)).test_client()
    assert "Audit chain broken" not in _text(app.get("/history/support.answer/prod"))
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE events SET actor = 'mallory' WHERE seq = 3")
    monkeypatch.setattr(views_history, "CHAIN_CHECK_TTL_S", 0.0)
    text = _text(app.get("/history/support.answer/prod"))
    assert "Audit chain broken" in text and "event #3" in text


def test_matrix_shows_live_versions_and_commands(client) -> None:
    text = _text(client.get("/"))
    for needle in ("support.answer", "sales.outreach", "maria.lopez@ledgerly.example", "high", "canary 2.0.3 at 10 %",
                   "label frozen", "promptc unfreeze sales.outreach --env staging",
                   "promptc rollback support.answer --env prod"):
        assert needle in text, needle


def test_rollouts_show_exposure_evidence_and_graceful_emptiness(client) -> None:
    text = _text(client.get("/rollouts"))
    assert "Canary at step 10 %" in text and "Candidate exposure" in text
    assert "escalation" in text and "schema_error" in text
    assert "The guard has not evaluated this rollout yet" in text  # the A/B split has no decisions
    assert "promptc rollout support.answer --env prod --abort" in text


def test_decision_log_of_the_breached_rollout(client) -> None:
    text = _text(client.get("/rollouts/support.answer@prod%2315"))
    assert "no longer in flight" in text and "breach" in text and "guard-breach" in text
    assert re.search(r"Evaluation #1 ", text)


def test_diff_shows_the_changed_sentence_interface_and_tokens(client) -> None:
    response = client.get("/prompts/support.answer/diff?a=2.0.1&b=2.0.2")
    page = response.get_data(as_text=True)
    text = _text(response)
    assert "The help center is your source of truth" in text
    assert "The help center is a good place to start" in text
    assert re.search(r'<tr class="change">', page)
    assert "unchanged lines" in text and "Interface" in text and "temperature" in text
    assert "total" in text


def test_bundle_page_shows_template_text(client) -> None:
    text = _text(client.get(_bundle_path(client, "support.answer", "2.0.3")))
    assert "{% if customer_name %}" in text and "{{ tier | title }}" in text
    assert "2. Answer only from the articles you found" in text


def test_hostile_text_is_escaped_everywhere(client) -> None:
    pages = [client.get("/"), client.get(_bundle_path(client, "evil", "1.0.0")), client.get("/history/evil/prod"),
             client.get("/audit"), client.get("/prompts/evil")]
    for response in pages:
        page = response.get_data(as_text=True)
        assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert SCRIPT in _text(pages[1]) and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in pages[1].get_data(True)
    assert "<img src=x onerror=window.__pwned=2>" in _text(pages[0])
    assert f"ship it {SCRIPT}" in _text(pages[2])


def test_signals_page_without_signals(client) -> None:
    text = _text(client.get("/prompts/evil/signals"))
    assert "No signals recorded for evil yet" in text


def test_foreign_host_headers_are_refused(registry: Path) -> None:
    client = create_app(str(registry), host="127.0.0.1").test_client()
    assert client.get("/", headers={"Host": "127.0.0.1:8050"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost:8050"}).status_code == 200
    refused = client.get("/", headers={"Host": "attacker.example"})
    assert refused.status_code == 400 and refused.headers["Content-Security-Policy"] == CSP
    open_client = create_app(str(registry), host="0.0.0.0").test_client()
    assert open_client.get("/", headers={"Host": "dashboard.internal"}).status_code == 200


def test_missing_registry_is_a_503_not_a_traceback(tmp_path: Path) -> None:
    response = create_app(str(tmp_path / "none.db")).test_client().get("/")
    assert response.status_code == 503
    assert "promptc publish" in _text(response)
    assert not (tmp_path / "none.db").exists()


def test_an_empty_registry_explains_what_to_do(tmp_path: Path) -> None:
    open_store(str(tmp_path / "empty.db")).close()
    client = create_app(str(tmp_path / "empty.db")).test_client()
    assert "holds no prompts yet" in _text(client.get("/"))
    assert "No rollout is in flight" in _text(client.get("/rollouts"))
    assert "Audit chain verified" in _text(client.get("/audit"))


# -- the command ---------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_command(*args: str, env=None) -> subprocess.Popen:
    code = "import sys; from promptc.dashboard.commands import dashboard; dashboard(sys.argv[1:])"
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def test_seed_demo_command_serves_the_example(tmp_path: Path) -> None:
    """The README's one command: seed the example's registry, then serve it with waitress."""
    project = tmp_path / "support-desk"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".promptc", "dist"))
    port = _free_port()
    proc = _run_command("--project", str(project), "--seed-demo", "--port", str(port))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    body = response.read().decode()
                    assert response.headers["Content-Security-Policy"] == CSP
                    assert response.headers["Server"] == "promptc-dashboard"  # waitress, not Werkzeug's dev server
                    break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.2)
        assert "support.answer" in body and "canary" in body
        assert (project / ".promptc" / "registry.db").is_file()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "Seeded" in err and f"http://127.0.0.1:{port}/" in err and "Traceback" not in err


def test_command_without_a_registry_says_what_to_do(tmp_path: Path) -> None:
    proc = _run_command("--project", str(tmp_path), "--port", "0")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "no registry at" in err and "--seed-demo" in err and "Traceback" not in err


def test_command_with_a_busy_port_exits_2(registry: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc = _run_command("--registry", str(registry), "--port", str(busy.getsockname()[1]))
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "pick another with --port" in err and "Traceback" not in err


def test_command_rejects_a_malformed_registry_url() -> None:
    proc = _run_command("--registry", "mysql://nowhere/db", "--port", "0", env={**os.environ})
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "unknown registry scheme" in err
