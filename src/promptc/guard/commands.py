"""The guard's commands: `guard check|watch`, `signals ingest|summary`, and `rollout
show|advance` (attached to the `rollout` group).

Exit codes: 0 done (nothing breached), 1 a breach froze a rollout, an advance was refused,
or ingested lines were rejected, 2 usage.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any, Optional

import click

from ..clikit import EXIT_FINDINGS, UsageError, echo_json, read_input
from ..completion import complete_env, complete_prompt
from ..registry import signals as store_signals
from ..registry.commands import actor_option, readonly, registry_command
from ..registry.model import RegistryError, parse_time
from ..registry.store import Store
from .config import GuardConfig, describe, parse_base_rates, parse_metric_list, with_base_rates


def project_guard(project_dir: Optional[Path]) -> GuardConfig:
    """`[guard]` of the project, refusing a malformed one rather than guarding with defaults
    (which apply where there is no project: a registry named with --registry needs none)."""
    from ..driver import open_project

    project = open_project(project_dir, required=False)
    for d in project.diagnostics:
        if "guard" in d.message:
            raise UsageError(d.message)
    return GuardConfig.from_section(project.config.guard)


def guard_snapshot(project_dir: Optional[Path], metrics_text: Optional[str], base_rates=()) -> dict:
    """The settings a new rollout stores: `[guard]` with --guard's metrics and --base-rate's
    rates."""
    config = project_guard(project_dir)
    if metrics_text:
        try:
            metrics = parse_metric_list(metrics_text)
        except ValueError as exc:
            raise UsageError(f"--guard {metrics_text}: {exc}") from None
        config = GuardConfig.from_json({**config.to_json(), "metrics": metrics})
    try:
        config = with_base_rates(config, parse_base_rates(base_rates))
    except ValueError as exc:
        raise UsageError(f"--base-rate {exc}") from None
    return config.to_json()


def _now(text: Optional[str]) -> dt.datetime:
    if not text:
        return dt.datetime.now(dt.timezone.utc)
    from .rollouts import parse_at

    return parse_at(parse_time(text))


def _label_text(name: str, env: str, rollout) -> str:
    from ..registry.ops import describe_rollout

    return f"{env}  {name}  {describe_rollout(rollout)}" if rollout is not None else f"{env}  {name}"


# -- guard ---------------------------------------------------------------------------------------


@click.group("guard")
def guard_group() -> None:
    """The rollout guard: freeze a canary whose live signals are worse than stable's.

    \b
      promptc guard check --env prod      # once, from cron or CI; exit 1 if it froze one
      promptc guard watch --interval 60   # continuously
    See docs/guard.md for the test and how to operate it.
    """


def _checked_json(c) -> dict:
    out: dict[str, Any] = {"name": c.name, "env": c.env, "rollout": c.rollout, "skipped": c.skipped}
    if c.evaluation is not None:
        e = c.evaluation
        out.update({"seq": e.seq, "decision": e.decision.to_dict(), "latched_from": e.latched_from,
                    "frozen": e.frozen.seq if e.frozen is not None else None})
    return out


def _print_checked(checked, store: Store) -> None:
    for c in checked:
        state = store.label(c.name, c.env)
        head = _label_text(c.name, c.env, state.rollout if state else None)
        if c.skipped:
            click.echo(f"{head}: not guarded: {c.skipped}")
            continue
        e = c.evaluation
        action = ""
        if e.frozen is not None:
            action = f", frozen (event #{e.frozen.seq}); " + ("nothing served (a first release)" if e.plan.first_release
                                                              else "traffic back to stable")
        click.echo(f"{head}: {e.decision.decision} (decision #{e.seq}){action}")
        from .report import decision_lines, pending_line
        from .rollouts import not_yet_counted

        for line in decision_lines(e.decision.to_dict()):
            click.echo(line)
        if e.decision.decision == "insufficient-data" and e.context.get("closed_until"):
            click.echo("    " + pending_line(*not_yet_counted(store, e)))


def _check_once(store: Store, env: Optional[str], config: GuardConfig, now: dt.datetime, actor: Optional[str]):
    from .rollouts import GUARD_ACTOR, check

    if env:
        from ..registry.ops import check_env

        check_env(env)
    return check(store, config, env, now, actor or GUARD_ACTOR)


@guard_group.command("check")
@click.option("--env", help="Only rollouts in this environment.", shell_complete=complete_env)
@click.option("--actor", default=None, help="Who freezes on a breach (default: promptc-guard).")
@click.option("--now", "now_text", hidden=True, help="Evaluate as of this instant (replays and tests).")
@registry_command
def guard_check(env, actor, now_text, store: Store, as_json: bool, project_dir) -> None:
    """Evaluate every rollout in flight once: append a decision to each one's log and freeze
    those that breach. Exit 1 if any rollout breached."""
    checked = _check_once(store, env, project_guard(project_dir), _now(now_text), actor)
    if as_json:
        echo_json([_checked_json(c) for c in checked])
    else:
        if not checked:
            click.echo("No rollout in flight" + (f" in {env}" if env else "") + ".", err=True)
        _print_checked(checked, store)
    if any(c.evaluation is not None and c.evaluation.decision.freeze for c in checked):
        sys.exit(EXIT_FINDINGS)


@guard_group.command("watch")
@click.option("--env", help="Only rollouts in this environment.", shell_complete=complete_env)
@click.option("--interval", type=click.FloatRange(min=1.0), default=60.0, show_default=True,
              help="Seconds between evaluations.")
@click.option("--count", type=click.IntRange(min=1), default=None, help="Stop after this many evaluations.")
@click.option("--actor", default=None, help="Who freezes on a breach (default: promptc-guard).")
@registry_command
def guard_watch(env, interval, count, actor, store: Store, as_json: bool, project_dir) -> None:
    """Evaluate the rollouts in flight every --interval seconds until stopped (Ctrl-C).
    Each evaluation is logged like `guard check`; with --count, exit 1 if any breached."""
    config = project_guard(project_dir)
    breached = False
    rounds = 0
    try:
        while True:
            checked = _check_once(store, env, config, _now(None), actor)
            rounds += 1
            breached = breached or any(c.evaluation is not None and c.evaluation.decision.freeze for c in checked)
            if as_json:
                click.echo(json.dumps({"round": rounds, "at": _now(None).isoformat(),
                                       "rollouts": [_checked_json(c) for c in checked]}, ensure_ascii=False))
            else:
                click.echo(f"-- {_now(None).strftime('%Y-%m-%dT%H:%M:%SZ')}: {len(checked)} rollout(s) in flight")
                _print_checked(checked, store)
            if count is not None and rounds >= count:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("stopped.", err=True)
        return
    if breached:
        sys.exit(EXIT_FINDINGS)


# -- rollout show / advance ----------------------------------------------------------------------


@click.command("show")
@click.argument("name", shell_complete=complete_prompt)
@click.option("--env", required=True, shell_complete=complete_env)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="The newest N decisions.")
@registry_command
@readonly
def rollout_show(name, env, limit, store: Store, as_json: bool, project_dir) -> None:
    """The rollout of NAME in ENV (in flight, else the last one) and its guard's decision
    log: per metric the counts, the evidence against its threshold and the decision."""
    from ..registry.ops import check_env, describe_rollout

    check_env(env)
    state = store.label(name, env)
    rollout = state.rollout if state is not None else None
    rollout_id = rollout.id if rollout is not None else store_signals.latest_rollout_id(store, name, env)
    if rollout_id is None:
        if not store.versions(name):
            raise RegistryError(f"no prompt named `{name}` in the registry")
        raise RegistryError(f"{name} has had no rollout in {env}")
    events = store_signals.rollout_events(store, name, env, rollout_id)
    stored = next((e.data["guard"] for e in events if isinstance(e.data.get("guard"), dict)), None)
    log = store_signals.decisions(store, rollout_id, limit)
    if as_json:
        echo_json({"rollout": rollout.to_json() if rollout is not None else None, "id": rollout_id,
                   "in_flight": rollout is not None, "guard": stored,
                   "events": [{"seq": e.seq, "at": e.at, "kind": e.kind, "actor": e.actor, "reason": e.reason}
                              for e in events],
                   "decisions": [d.to_json() for d in log]})
        return
    where = describe_rollout(rollout) if rollout is not None else "ended"
    click.echo(f"{name} in {env}: {where}  ({rollout_id})")
    if rollout is not None:
        click.echo("  arms: " + ", ".join(f"{a.variant} {a.version} ({a.hash[:19]}) weight {a.weight}" if a.served
                                          else f"{a.variant} (not served) weight {a.weight}" for a in rollout.arms))
    click.echo("  guard: " + (describe(GuardConfig.from_json(stored)) if stored is not None
                              else "not stored with the rollout; `guard check` uses [guard] of promptc.toml"))
    for e in events:
        click.echo(f"  #{e.seq:<5} {e.at}  {e.kind:<16} {e.reason}")
    if not log:
        click.echo("  no guard decisions yet (`promptc guard check`)")
    from .report import decision_lines

    for d in log:
        step = f" at {d.step:g} %" if d.step is not None else ""
        click.echo(f"  decision #{d.seq} {d.at}{step}: {d.verdict}")
        for line in decision_lines(d.decision, indent="      "):
            click.echo(line)


@click.command("advance")
@click.argument("name", shell_complete=complete_prompt)
@click.option("--env", required=True, shell_complete=complete_env)
@actor_option
@registry_command
def rollout_advance(name, env, actor, reason, store: Store, as_json: bool, project_dir) -> None:
    """Move the canary of NAME in ENV to its next step ([guard] steps; after the last, 100 %,
    then completion), only when the guard, evaluated now, says continue (no breach, minimum
    exposure reached, split consistent) and the step has run its minimum dwell. Exit 1 when
    refused, saying why."""
    from ..registry.ops import check_env
    from .rollouts import advance

    check_env(env)
    result = advance(store, name, env, project_guard(project_dir), actor=actor or "")
    e = result.evaluation
    if as_json:
        echo_json({"advanced": result.event is not None, "to": result.to,
                   "completed": result.event is not None and result.to is None,
                   "event": result.event.to_json() if result.event is not None else None,
                   "reasons": list(result.gate.reasons), "decision_seq": e.seq, "decision": e.decision.to_dict(),
                   "frozen": e.frozen.seq if e.frozen is not None else None})
    else:
        from .report import decision_lines

        if result.event is not None:
            click.echo(f"{env}: {result.event.reason} (event #{result.event.seq})")
        else:
            click.echo(f"{env}: {name} stays where it is (guard decision #{e.seq}: {e.decision.decision}):")
            for r in result.gate.reasons:
                click.echo(f"  - {r}")
            if e.frozen is not None:
                where = "nothing is served (a first release)" if e.plan.first_release else "traffic is back on stable"
                click.echo(f"  the guard froze the rollout (event #{e.frozen.seq}); {where}")
            for line in decision_lines({**e.decision.to_dict(), "reasons": []}, indent="    "):
                click.echo(line)
    if result.event is None:
        sys.exit(EXIT_FINDINGS)


# -- signals -------------------------------------------------------------------------------------


@click.group("signals")
def signals_group() -> None:
    """Live outcomes of served responses, for the rollout guard.

    \b
      promptc signals ingest outcomes.jsonl   # one JSON object a line, joined on response_id
      promptc signals summary support.answer --env prod
    """


@signals_group.command("ingest")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option("--env", "default_env", help="The environment of lines that do not name one.")
@registry_command
def signals_ingest(file: Path, default_env, store: Store, as_json: bool, project_dir) -> None:
    """Record outcomes from FILE (JSON Lines, `-` for stdin): each line a response_id and its
    signals, e.g. {"response_id": "…", "rating": -1}. A line for a response no client
    recorded also carries its trace (name, hash, variant, env and `at`, the time it was
    served), flat or as "trace": {…}; it then records the exposure too. With "output", the
    model's output is validated against the bundle's output schema. Nothing is written
    unless every line is valid; errors name FILE:LINE. Exit 1 on rejected lines."""
    from .ingest import ingest, read_lines

    text, shown = read_input(file)
    lines, errors = read_lines(text, shown, default_env)
    result = None
    if not errors:
        result, errors = ingest(store, lines)
    if as_json:
        echo_json({"lines": len(lines), "errors": errors,
                   "written": None if result is None else {"exposures": result.exposures,
                                                            "observations": result.observations,
                                                            "duplicates": result.duplicates}})
    else:
        for e in errors:
            click.echo(e, err=True)
        if result is not None:
            click.echo(f"{len(lines)} line(s): {result.exposures} exposure(s) and {result.observations} "
                       f"signal(s) recorded, {result.duplicates} already recorded.", err=True)
        else:
            click.echo(f"{len(errors)} problem(s) in {shown}; nothing was recorded.", err=True)
    if errors:
        sys.exit(EXIT_FINDINGS)


@signals_group.command("summary")
@click.argument("name", shell_complete=complete_prompt)
@click.option("--env", required=True, shell_complete=complete_env)
@click.option("--since", metavar="TIME", help="Only minutes from this instant on (ISO 8601, UTC).")
@registry_command
@readonly
def signals_summary(name, env, since, store: Store, as_json: bool, project_dir) -> None:
    """Per bundle and variant of NAME in ENV: exposures and each signal's count (and mean)."""
    start = store_signals.minute_of(parse_time(since)) if since else ""
    rows = store_signals.summary(store, env, name, start)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(f"No signals for {name} in {env}" + (f" since {since}" if since else "") + ".", err=True)
    for row in rows:
        exposures = row["signals"].get(store_signals.EXPOSURE, {}).get("count", 0)
        parts = []
        for metric, agg in row["signals"].items():
            if metric == store_signals.EXPOSURE:
                continue
            if metric in store_signals.EVENT_SIGNALS:
                parts.append(f"{metric} {agg['count']}")
            else:
                parts.append(f"{metric} n={agg['count']} mean {agg['total'] / agg['count']:.4g}")
        click.echo(f"{row['hash'][:19]}  {row['variant']:<10} {exposures:>8} exposures  " + ", ".join(parts))


COMMANDS = [guard_group, signals_group]
ROLLOUT_COMMANDS = [rollout_show, rollout_advance]
