"""A real OCI registry for the push/pull and client tests: Debian's `docker-registry` (CNCF
distribution) on 127.0.0.1, with its storage in a temporary directory.

`oci_registry` is one registry for the whole session (or the one named by
`PROMPTC_TEST_OCI=host:port` when CI started it); `oci_registry_factory` starts private ones
that a test may stop and restart (an outage) or whose storage it may edit (tampering). Tests
skip only when the binary is not installed; a registry that is installed but does not start
fails them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

import pytest

from tests.needs import missing

BINARY = os.environ.get("PROMPTC_DOCKER_REGISTRY", "/usr/bin/docker-registry")

CONFIG = """\
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
health:
  storagedriver:
    enabled: false
"""


def _binary() -> Optional[str]:
    if os.path.isfile(BINARY) and os.access(BINARY, os.X_OK):
        return BINARY
    return shutil.which("docker-registry")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(host: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}/v2/", timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Registry:
    """A registry at `host` (`127.0.0.1:PORT`). `storage` is its blob directory when this
    process started it, else None."""

    def __init__(self, host: str, directory: Optional[Path] = None):
        self.host = host
        self.directory = directory
        self.storage = directory / "storage" if directory else None
        self.process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"oci://{self.host}"

    def start(self, wait: float = 20.0) -> "Registry":
        assert self.directory is not None, "an external registry cannot be started here"
        config = self.directory / "config.yml"
        port = self.host.rsplit(":", 1)[1]
        config.write_text(CONFIG.format(storage=self.storage, port=port), encoding="utf-8")
        log = open(self.directory / "registry.log", "ab")
        self.process = subprocess.Popen([_binary(), "serve", str(config)], stdout=log, stderr=log,
                                        stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if answers(self.host, 0.5):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        text = (self.directory / "registry.log").read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"docker-registry did not start on {self.host}:\n{text}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def blob_path(self, digest: str) -> Path:
        """Where the filesystem driver keeps a blob's bytes."""
        assert self.storage is not None, "the storage of an external registry is not reachable"
        hexdigest = digest.split(":", 1)[1]
        return self.storage / "docker/registry/v2/blobs/sha256" / hexdigest[:2] / hexdigest / "data"


def _require_binary() -> str:
    binary = _binary()
    if binary is None:
        pytest.skip(missing("docker-registry", f"{BINARY} is missing"))
    return binary


@pytest.fixture(scope="session")
def oci_registry(tmp_path_factory):
    """One registry for the session: PROMPTC_TEST_OCI=host:port if set, else a private one."""
    external = os.environ.get("PROMPTC_TEST_OCI", "").strip()
    if external:
        if not answers(external, 5.0):
            pytest.fail(f"PROMPTC_TEST_OCI={external} names no registry answering at http://{external}/v2/")
        yield Registry(external)
        return
    _require_binary()
    registry = Registry(f"127.0.0.1:{_free_port()}", tmp_path_factory.mktemp("oci-registry")).start()
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture
def oci_registry_factory(tmp_path_factory):
    """Start private registries (stopped at the end of the test): `factory()` → Registry."""
    _require_binary()
    started: list[Registry] = []

    def factory() -> Registry:
        registry = Registry(f"127.0.0.1:{_free_port()}", tmp_path_factory.mktemp("oci-private")).start()
        started.append(registry)
        return registry

    yield factory
    for registry in started:
        registry.stop()
