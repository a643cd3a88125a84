"""The `promptc dashboard` command."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from promptc.clikit import Findings, UsageError, guard

DEFAULT_PORT = 8050


def _registry_url(registry: Optional[str]) -> Optional[str]:
    """A plain path given on the command line is relative to where the user stands, not to
    the project (the project's own `[registry] url` is relative to the project)."""
    if registry and "://" not in registry:
        return str(Path(registry).expanduser().resolve())
    return registry


@click.command()
@click.option("--registry", "registry", metavar="URL",
              help="Registry to show: a SQLite path, sqlite:///PATH.db or postgresql://… "
                   "[default: the project's [registry] url, else .promptc/registry.db].")
@click.option("--project", "project_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Project whose registry to show [default: the current directory].")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The dashboard has no login: keep it on localhost.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--seed-demo", is_flag=True,
              help="First write a demo release history (two weeks of releases, a guard breach, live "
                   "signals) into the registry if it is empty. Made for examples/support-desk.")
@guard
def dashboard(registry: Optional[str], project_dir: Optional[Path], host: str, port: int, seed_demo: bool) -> None:
    """Serve a read-only web dashboard of the registry: what is live where, rollouts and the
    guard's decisions, audit history, diffs between versions and live signals.

    Nothing on it changes the registry; where an action fits it shows the command to run."""
    try:
        from .app import create_app
        from .serve import make_server, url
    except ImportError as exc:
        raise UsageError(f"the dashboard needs Flask and waitress ({exc.name} is missing): "
                         "pip install 'promptc[dashboard]'") from None
    from promptc import driver
    from promptc.registry.backends import open_store
    from promptc.registry.model import RegistryError, RegistryUsageError

    # A registry is all the dashboard reads: a folder without promptc.toml is fine (it says
    # when there is no registry, and --seed-demo makes one there).
    project = driver.open_project(project_dir, required=False)
    url_ = _registry_url(registry) or project.config.registry.url
    try:
        if seed_demo:
            _seed(url_, project)
        with open_store(url_, project.root, readonly=True) as store:
            store.head()
            where = store.url
    except RegistryUsageError as exc:
        raise UsageError(str(exc)) from None
    except RegistryError as exc:
        raise Findings(f"{exc}" + ("" if seed_demo else "; for a demo, add --seed-demo")) from None
    app = create_app(url_, project.root, host=host)
    app.config["PROMPTC_REGISTRY"] = where
    try:
        server = make_server(app, host, port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick another with --port") from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}: the dashboard has no login, anyone who can reach this "
                   "address can read every prompt in the registry", err=True)
    click.echo(f"promptc dashboard of {where} (read-only) at {url(server)} — Ctrl-C to stop", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _seed(url_: Optional[str], project) -> None:
    from promptc.registry.backends import open_store

    from .demo import seed
    from .demo_build import DemoError

    with open_store(url_, project.root) as store:
        events = store.head()[0]
        if events:
            click.echo(f"The registry has {events} events already; showing it as it is (--seed-demo writes "
                       "only into an empty registry).", err=True)
            return
        click.echo("Writing the demo history (building versions in a temporary copy)…", err=True)
        try:
            done = seed(store, project.root)
        except DemoError as exc:
            raise UsageError(f"--seed-demo: {exc}") from None
    click.echo(f"Seeded {done.events} events, {done.responses} responses with signals and {done.decisions} guard "
               "decisions.",
               err=True)


COMMANDS = [dashboard]
