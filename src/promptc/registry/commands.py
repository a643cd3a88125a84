"""The release commands (DESIGN §6): publish, promote, rollout, rollback, freeze, status,
history, show, verify, identify and `audit verify`.

Every command takes `--registry URL` (else `[registry] url` of promptc.toml, else
`$PROMPTC_REGISTRY`, else the project's `.promptc/registry.db`) and `--json`. Exit codes:
0 done, 1 refused or found something (a frozen label, drift, a broken chain), 2 usage.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Callable, Optional

import click

from ..clikit import EXIT_FINDINGS, Findings, UsageError, echo_json, guard
from ..completion import complete_env, complete_prompt
from . import ops, queries
from .backends import DEFAULT_FILE, open_store
from .model import RegistryError, RegistryUnavailable, RegistryUsageError, parse_time
from .store import Store


#: How many chain problems `audit verify` prints; the first ones say where the damage starts.
SHOWN_PROBLEMS = 20


def project_settings(project_dir: Optional[Path]):
    """The project a registry command runs in (its promptc.toml, found in the directory or a
    parent), or the directory itself with default settings: a registry named with
    --registry needs no project."""
    from ..config import find_root, load_project

    start = Path(project_dir or ".")
    if not start.exists():
        raise UsageError(f"`{start}` does not exist")
    root = find_root(start) or start.resolve()
    return load_project(root)[0]


def registry_url(project_dir: Optional[Path], url: Optional[str]) -> tuple[Optional[str], Path]:
    """The registry address a command uses, and the project root it is relative to."""
    project = project_settings(project_dir)
    return url or project.config.registry.url or os.environ.get("PROMPTC_REGISTRY") or None, project.root


def admit_env(store: Store, env: str, project_dir: Optional[Path], create: bool) -> str:
    """`env`, if promptc.toml declares it, the registry has it, or --create-env creates it."""
    return ops.admit_env(store, env, project_settings(project_dir).config.registry.environments, create)


def confirm_breaking(store: Store, name: str, env: str, version: str, accept: bool) -> None:
    """Warn when `version` breaks callers of what `env` serves; refuse without --accept-breaking."""
    found = ops.breaking_change(store, name, env, version)
    if found is None:
        return
    served, reasons = found
    click.echo(f"warning: {name}@{version} changes the interface that callers of {name}@{served} in {env} "
               "use; a caller written for it will fail:", err=True)
    for reason in reasons:
        click.echo(f"  - {reason}", err=True)
    if not accept:
        raise UsageError(f"{name}@{version} is a breaking change for {env}; update the callers first, then "
                         "pass --accept-breaking to confirm")


def env_options(fn: Callable) -> Callable:
    """--create-env and --accept-breaking, for the commands that move a label."""
    fn = click.option("--accept-breaking", is_flag=True,
                      help="Confirm that callers are ready for a version whose interface breaks theirs.")(fn)
    return click.option("--create-env", is_flag=True,
                        help="Create ENV if it is neither declared ([registry] environments) nor in the registry.")(fn)


def open_registry(project_dir: Optional[Path], url: Optional[str], readonly: bool = False,
                  create: bool = False) -> Store:
    """The registry a command works on. Only `publish` creates the project's default file:
    any other command run where nothing was published says so instead of leaving an empty
    registry behind."""
    address, root = registry_url(project_dir, url)
    if address is None and not create and not (root / DEFAULT_FILE).is_file():
        raise RegistryUnavailable(f"no registry at {root / DEFAULT_FILE}: nothing has been published yet "
                                  "(`promptc publish` creates it; --registry names another)")
    return open_store(address, root, readonly)


def creates(fn: Callable) -> Callable:
    fn.creates = True
    return fn


def bundle_files(sources: tuple[Path, ...], verb: str, project_dir: Optional[Path] = None) -> list[Path]:
    """The bundle files named on the command line: files as given, directories searched
    for `*.json` (without index.json), a project directory meaning its built bundles, and
    nothing meaning the current (or --project) project's built bundles."""
    from ..config import find_root, load_project

    if not sources:
        root = find_root(Path(project_dir or ".").resolve())
        if root is None:
            raise UsageError(f"name the bundles to {verb} (a dist/ directory or bundle files), or run this in a "
                             "promptc project after `promptc build`")
        sources = (load_project(root)[0].out_dir,)
    files: list[Path] = []
    for source in sources:
        if source.is_dir():
            if find_root(source) == source.resolve():
                source = load_project(source.resolve())[0].out_dir
            found = sorted(p for p in source.rglob("*.json") if p.name != "index.json" and p.is_file())
            if not found:
                raise UsageError(f"no bundles in {source}; build them with `promptc build`")
            files += found
        elif source.is_file():
            files.append(source)
        else:
            raise UsageError(f"`{source}` does not exist")
    return files


def registry_command(fn: Callable) -> Callable:
    """Adds --registry/--project/--json, opens the store, and maps registry errors to exits."""

    @click.option("--registry", "registry", metavar="URL",
                  help="The registry: a SQLite file, sqlite:///PATH or postgresql://… "
                       "(default: [registry] url, $PROMPTC_REGISTRY, then .promptc/registry.db).")
    @click.option("--project", "project_dir", type=click.Path(path_type=Path), help="The project directory.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @functools.wraps(fn)
    @guard
    def wrapper(*args, registry: Optional[str], project_dir: Optional[Path], as_json: bool, **kwargs):
        try:
            store = open_registry(project_dir, registry, readonly=getattr(fn, "readonly", False),
                                  create=getattr(fn, "creates", False))
            with store:
                return fn(*args, store=store, as_json=as_json, project_dir=project_dir, **kwargs)
        except RegistryUsageError as exc:
            raise UsageError(str(exc)) from None
        except (RegistryError, RegistryUnavailable) as exc:
            raise Findings(str(exc)) from None

    return wrapper


def registry_errors(fn: Callable) -> Callable:
    """Registry refusals are findings (exit 1); malformed references are usage errors (exit 2)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RegistryUsageError as exc:
            raise UsageError(str(exc)) from None
        except RegistryError as exc:
            raise Findings(str(exc)) from None

    return wrapper


def readonly(fn: Callable) -> Callable:
    fn.readonly = True
    return fn


def actor_option(fn: Callable) -> Callable:
    fn = click.option("--reason", default="", help="Why: kept in the audit log.")(fn)
    return click.option("--actor", default=None, help="Who acts (default: $PROMPTC_ACTOR, else the OS user).")(fn)


def _event_out(event, as_json: bool, text: str) -> None:
    if as_json:
        echo_json(event.to_json())
    else:
        click.echo(text)


@click.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--actor", default=None, help="Who publishes (default: $PROMPTC_ACTOR, else the OS user).")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary.")
@registry_command
@creates
def publish(directory: Optional[Path], actor: Optional[str], quiet: bool, store: Store, as_json: bool,
            project_dir) -> None:
    """Store every built bundle of DIRECTORY (a project's out directory, a project, or bundle
    files' folder) in the registry. Storing a bundle twice does nothing."""
    files = bundle_files((directory,) if directory else (), verb="publish", project_dir=project_dir)
    from ..progress import Progress

    progress = Progress(enabled=None if not (quiet or as_json) else False)
    try:
        results = ops.publish(store, [(str(p), p.read_bytes()) for p in files], actor or ops.default_actor(),
                              progress)
    finally:
        progress.clear()
    if as_json:
        echo_json([{"name": r.name, "version": r.version, "hash": r.hash, "new": r.new} for r in results])
        return
    new = [r for r in results if r.new]
    for r in new:
        click.echo(f"published {r.name}@{r.version} {r.hash[:19]}")
    if not quiet:
        click.echo(f"{len(new)} new, {len(results) - len(new)} already in the registry.", err=True)


@click.command()
@click.argument("ref", metavar="NAME@VERSION", shell_complete=complete_prompt)
@click.option("--env", required=True, help="The environment, such as staging or prod.", shell_complete=complete_env)
@env_options
@actor_option
@registry_command
def promote(ref: str, env: str, create_env: bool, accept_breaking: bool, actor, reason: str, store: Store,
            as_json: bool, project_dir) -> None:
    """Point ENV's label for NAME at VERSION.

    ENV must be declared in promptc.toml ([registry] environments) or already be in the
    registry; --create-env creates a new one. A VERSION whose interface breaks callers of
    the version ENV serves (a new required input, a narrowed type, a changed output) is
    refused with the reasons unless --accept-breaking confirms the callers are ready."""
    name, version = ops.parse_ref(ref)
    admit_env(store, env, project_dir, create_env)
    confirm_breaking(store, name, env, version, accept_breaking)
    event = ops.promote(store, name, version, env, actor or ops.default_actor(), reason)
    _event_out(event, as_json, f"{env}: {name} → {version} (event #{event.seq})")


class _RolloutGroup(click.Group):
    """`promptc rollout NAME …` starts or ramps a rollout; `promptc rollout resume|show|advance
    …` are subcommands. Anything that is not a subcommand's name goes to `start`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["start", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_RolloutGroup)
def rollout() -> None:
    """Canaries and A/B splits: start, ramp, abort, resume, inspect.

    \b
      promptc rollout support.answer --env prod --candidate 1.5.0 --percent 1
      promptc rollout support.answer --env prod --candidate 1.5.0 --percent 10   # ramp
      promptc rollout support.answer --env prod --split 1.4.0=50,1.5.0=50
      promptc rollout support.answer --env prod --abort
      promptc rollout resume support.answer --env prod --ack
    """


@rollout.command("start")
@click.argument("name", shell_complete=complete_prompt)
@click.option("--env", required=True, help="The environment.", shell_complete=complete_env)
@click.option("--candidate", metavar="VERSION", help="The canary's version.")
@click.option("--percent", help="The canary's share of traffic, 0.01–100; call again to ramp.")
@click.option("--split", "split_text", metavar="V1=W1,V2=W2", help="An A/B split across versions by weight.")
@click.option("--abort", is_flag=True, help="End the rollout in flight; all traffic to the stable version.")
@click.option("--guard", "guard_text", metavar="METRICS",
              help="Guarded metrics for a new rollout, such as error,escalation,latency (default: [guard] "
                   "metrics of promptc.toml). Fixed for the rollout's life; see `promptc guard`.")
@click.option("--base-rate", "base_rates", metavar="METRIC=RATE", multiple=True,
              help="A guarded metric's known bad-event rate, such as error=0.02 (overrides [guard.metric.NAME] "
                   "base_rate; repeatable). A first release, with no stable version, needs one per metric.")
@env_options
@actor_option
@registry_command
def rollout_start(name, env, candidate, percent, split_text, abort, guard_text, base_rates, create_env,
                  accept_breaking, actor, reason, store: Store, as_json: bool, project_dir) -> None:
    """Start or ramp a canary (--candidate, --percent), start an A/B split (--split), or
    abort the rollout in flight (--abort) of NAME in ENV.

    A prompt with no stable version in ENV starts a first-release canary: the keys outside
    --percent are not served (the caller's runtime raises NotServed), and the guard tests
    the candidate against a base rate per metric ([guard.metric.NAME] base_rate or
    --base-rate).

    ENV and a breaking candidate are checked as by `promptc promote` (--create-env,
    --accept-breaking)."""
    if abort:
        ops.check_env(env)
    else:
        admit_env(store, env, project_dir, create_env)
    who = actor or ops.default_actor()
    modes = [bool(candidate or percent), bool(split_text), abort]
    if sum(modes) != 1:
        raise UsageError("use exactly one of --candidate VERSION --percent P, --split V1=W1,V2=W2 or --abort")
    if abort:
        if guard_text or base_rates:
            raise UsageError("--guard and --base-rate go with starting a rollout, not with --abort")
        event = ops.abort(store, name, env, who, reason)
    elif split_text:
        event = ops.split(store, name, env, ops.parse_split(split_text), who, reason,
                          data=_guard_data(store, name, env, None, guard_text, base_rates, project_dir))
    else:
        if not (candidate and percent):
            raise UsageError("a canary needs both --candidate VERSION and --percent P")
        points = ops.parse_percent(percent)
        state = store.label(name, env)
        current = state.rollout if state is not None else None
        if not (current is not None and current.status == "active" and current.kind == "canary"
                and current.arm("candidate").version == candidate):
            confirm_breaking(store, name, env, candidate, accept_breaking)  # a ramp was confirmed when it started
        data = _guard_data(store, name, env, candidate, guard_text, base_rates, project_dir)
        if points < ops.BASIS:
            _require_first_release_guard(store, name, env, candidate, data["guard"])
        event = ops.rollout(store, name, env, candidate, points, who, reason, data=data)
    _event_out(event, as_json, f"{env}: {event.reason} (event #{event.seq})")


def _guard_data(store: Store, name: str, env: str, candidate: Optional[str], guard_text: Optional[str],
                base_rates: tuple[str, ...], project_dir) -> dict:
    """The guard settings a new rollout keeps in its starting event; --guard or --base-rate
    on a ramp of a rollout in flight is refused, since its test is already running."""
    from ..guard.commands import guard_snapshot

    state = store.label(name, env)
    current = state.rollout if state is not None else None
    if (guard_text or base_rates) and current is not None and current.kind == "canary" and candidate is not None \
            and current.arm("candidate").version == candidate:
        raise UsageError(f"the rollout of {name}@{candidate} in {env} is already guarded; its guard is fixed "
                         "when it starts (abort it and start again to change it)")
    return {"guard": guard_snapshot(project_dir, guard_text, base_rates)}


def _require_first_release_guard(store: Store, name: str, env: str, candidate: str, snapshot: dict) -> None:
    """A first release has no stable version to compare with, so each guarded metric needs a
    base rate (and latency or cost a fixed cut-off): refuse to start one the guard could
    never pass rather than let it sit at insufficient-data."""
    from ..guard.config import GuardConfig, first_release_gaps

    state = store.label(name, env)
    if state is not None and state.stable is not None:
        return
    current = state.rollout if state is not None else None
    if current is not None and current.kind == "canary" and current.arm("candidate").version == candidate:
        return  # a ramp: checked when it started
    gaps = first_release_gaps(GuardConfig.from_json(snapshot))
    if gaps:
        raise RegistryError(f"{name} has never been released in {env}, so this starts a first-release canary; "
                            "the guard tests it against a fixed base rate per metric, since there is no stable "
                            "version to compare with. Missing: " + "; ".join(gaps))


@click.command()
@click.argument("name", shell_complete=complete_prompt)
@click.option("--env", required=True, shell_complete=complete_env)
@actor_option
@registry_command
def rollback(name, env, actor, reason, store: Store, as_json: bool, project_dir) -> None:
    """Return NAME's label in ENV to its previous value (ends a rollout in flight). Works on
    a frozen label."""
    event = ops.rollback(store, name, ops.check_env(env), actor or ops.default_actor(), reason)
    _event_out(event, as_json, f"{env}: {event.reason} (event #{event.seq})")


def _freeze_command(frozen: bool):
    @click.command("freeze" if frozen else "unfreeze")
    @click.argument("name", shell_complete=complete_prompt)
    @click.option("--env", required=True, shell_complete=complete_env)
    @actor_option
    @registry_command
    def command(name, env, actor, reason, store: Store, as_json: bool, project_dir) -> None:
        event = ops.set_frozen(store, name, ops.check_env(env), frozen, actor or ops.default_actor(), reason)
        _event_out(event, as_json, f"{env}: {name} {'frozen' if frozen else 'unfrozen'} (event #{event.seq})")

    command.__doc__ = ("Freeze NAME's label in ENV: every move but rollback is refused." if frozen
                       else "Allow moves of NAME's label in ENV again.")
    command.help = command.__doc__
    return command


@click.command()
@click.option("--env", help="Only this environment.", shell_complete=complete_env)
@registry_command
@readonly
def status(env, store: Store, as_json: bool, project_dir) -> None:
    """What each environment serves now, and the rollouts in flight; environments in the
    order promptc.toml declares them."""
    if env:
        ops.require_env(store, env)
    rows = queries.status(store, env, project_settings(project_dir).config.registry.environments)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("Nothing is released yet" + (f" in {env}" if env else "") + ".", err=True)
        return
    click.echo(queries.status_text(rows))


@click.command()
@click.argument("name", shell_complete=complete_prompt)
@click.option("--env", required=True, shell_complete=complete_env)
@click.option("--at", "at", metavar="TIME", help="Show what was live at this instant (ISO 8601, UTC).")
@click.option("--limit", type=int, default=None, help="Only the newest N events.")
@registry_command
@readonly
def history(name, env, at, limit, store: Store, as_json: bool, project_dir) -> None:
    """Every move of NAME's label in ENV, or with --at exactly what was live at that instant."""
    if at:
        answer = queries.live_at(store, name, env, parse_time(at))
        if as_json:
            echo_json(answer)
        else:
            click.echo(queries.live_at_text(answer))
        if answer["live"] is None:
            sys.exit(EXIT_FINDINGS)
        return
    events = store.events(name=name, env=env, limit=limit, newest_first=bool(limit))
    if limit:
        events.reverse()
    if not events and not store.versions(name):
        raise RegistryError(f"no prompt named `{name}` in the registry")
    if not events:
        ops.require_env(store, env)
    names = queries.release_names(store, name)
    if as_json:
        echo_json([{**e.to_json(), "old_version": names.get(e.old_hash or ""), "new_version": names.get(e.new_hash or "")}
                   for e in events])
        return
    if not events:
        click.echo(f"{name} has never been released in {env}.", err=True)
    for event in events:
        click.echo(queries.event_line(store, event, names))


@click.command()
@click.argument("ref", metavar="HASH|NAME@VERSION")
@registry_command
@readonly
def show(ref, store: Store, as_json: bool, project_dir) -> None:
    """A stored bundle: its version, metadata and messages as template text."""
    document = queries.find_bundle(store, ref)
    if as_json:
        echo_json(document)
        return
    click.echo(queries.bundle_text(document))


@click.command()
@click.option("--env", required=True, help="The environment to compare with promptc.lock.", shell_complete=complete_env)
@click.option("--dir", "deployed", type=click.Path(path_type=Path),
              help="Also compare the lock with this directory of deployed bundle files.")
@registry_command
@readonly
def verify(env, deployed, store: Store, as_json: bool, project_dir) -> None:
    """Drift: does ENV serve what promptc.lock records (and does --dir hold it)? Exit 1 on
    drift: a prompt served at another hash, or served but not locked. A locked prompt not
    deployed in ENV is reported as info and is not drift."""
    from ..driver import open_project, read_lock

    project = open_project(project_dir)
    lock, text, diags = read_lock(project)
    if text is None:
        raise UsageError(f"no promptc.lock in {project.root}; build the project first")
    if diags:
        raise UsageError(diags[0].message)
    if env not in project.config.registry.environments:
        ops.require_env(store, env)
    report = queries.drift(store, lock, env, deployed)
    if as_json:
        echo_json(report)
    else:
        click.echo(queries.drift_text(report))
    if report["drift"]:
        sys.exit(EXIT_FINDINGS)


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option("--name", help="Only consider this prompt.")
@registry_command
@readonly
def identify(file, name, store: Store, as_json: bool, project_dir) -> None:
    """Name the registered prompt version(s) that can render the text in FILE (text seen in a
    log or a provider's dashboard), or the nearest one with a diff. A match rests on the
    prompt's fixed text (a message that is only values names nothing); the answer says how
    much of the text that is. Exit 1 on no match, or when several prompts match equally
    (ambiguous)."""
    from .identify import identify as run

    if str(file) == "-":
        text = sys.stdin.read()
    else:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read `{file}`: {exc}") from None
    result = run(store, text, name)
    if as_json:
        echo_json(result.to_json())
    else:
        click.echo(result.text())
    if result.status != "match":
        sys.exit(EXIT_FINDINGS)


@click.group()
def audit() -> None:
    """The audit log of label moves."""


@audit.command("checkpoint")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@registry_command
@readonly
def audit_checkpoint(file, store: Store, as_json: bool, project_dir) -> None:
    """Write the log's head (last event number and hash, with the time) to FILE (`-`:
    standard output). Keep it where the registry's writers cannot change it (another
    repository, a git tag, a ticket); `audit verify --against FILE` then detects a log
    rewritten and re-sealed, or cut back, since."""
    from ..atomic import atomic_write
    from .audit import checkpoint_text

    seq, text = checkpoint_text(store)
    if str(file) == "-":
        click.echo(text, nl=False)
    else:
        atomic_write(file, text.encode("utf-8"))
        click.echo(f"Checkpoint of event #{seq} written to {file}.", err=True)


@audit.command("verify")
@click.option("--against", "against", type=click.Path(path_type=Path, dir_okay=False),
              help="Also compare with a checkpoint written by `audit checkpoint` and kept elsewhere.")
@registry_command
@readonly
def audit_verify(against, store: Store, as_json: bool, project_dir) -> None:
    """Check the hash chain of the audit log, and that every served label is the state the log
    leaves it in: exit 1 if any event was edited, removed or reordered, or a label differs.
    With --against, also that the log still holds the checkpointed head unchanged."""
    from .audit import checkpoint_problems, label_problems, read_checkpoint
    from .model import verify_chain

    checkpoint = read_checkpoint(against) if against else None
    events = list(store.iter_events())
    problems = verify_chain(events, store.head())
    labels = label_problems(events, store.label_rows())
    anchored = checkpoint_problems(events, checkpoint) if checkpoint else []
    problems = problems + anchored + labels
    if as_json:
        echo_json({"events": len(events), "ok": not problems,
                   "problems": [{"seq": p.seq, "message": p.message} for p in problems],
                   "labels": [{"seq": p.seq, "message": p.message} for p in labels]})
    else:
        for p in problems[:SHOWN_PROBLEMS]:
            click.echo(f"event #{p.seq}: {p.message}")
        if len(problems) > SHOWN_PROBLEMS:
            click.echo(f"… and {len(problems) - SHOWN_PROBLEMS} more (--json lists them all)")
        if problems:
            click.echo(f"The audit log is broken: {len(problems)} problem(s) in {len(events)} events.", err=True)
        else:
            checked = f", checkpoint #{checkpoint['seq']} matches" if checkpoint else ""
            click.echo(f"The audit log is intact: {len(events)} events, chain verified, served labels match "
                       f"the log{checked}.", err=True)
    if problems:
        sys.exit(EXIT_FINDINGS)


@rollout.command("resume")
@click.argument("name", shell_complete=complete_prompt)
@click.option("--env", required=True, shell_complete=complete_env)
@click.option("--ack", is_flag=True, help="Confirm the breach was reviewed.")
@actor_option
@registry_command
def rollout_resume(name, env, ack, actor, reason, store: Store, as_json: bool, project_dir) -> None:
    """Resume a rollout the guard froze (needs --ack)."""
    if not ack:
        raise UsageError("resuming a frozen rollout needs --ack, to confirm its breach was reviewed")
    event = ops.resume(store, name, ops.check_env(env), actor or ops.default_actor(), reason)
    _event_out(event, as_json, f"{env}: rollout of {name} resumed (event #{event.seq})")


COMMANDS = [publish, promote, rollout, rollback, _freeze_command(True), _freeze_command(False), status, history,
            show, verify, identify, audit]
