"""`promptc eval captured` and `promptc eval pull`: production cases captured with
`client.capture` (stored in the registry), listed and turned into eval cases
(`captured.py`). Registered on the `eval` group by `commands.py`.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..clikit import UsageError, echo_json, guard, lazy_module, read_input
from ..registry.commands import registry_errors
from .commands import _did_you_mean, _open, _project_option, _registry_option

captured = lazy_module("promptc.review.captured")
driver = lazy_module("promptc.driver")


def _captured_store(project_dir: Path | None, registry: str | None, readonly: bool):
    from ..registry.commands import open_registry

    return open_registry(project_dir, registry, readonly=readonly)


def _captured_filters(kinds: tuple[str, ...], since: str | None) -> str | None:
    from ..registry.captures import CaptureError, check_kind

    try:
        for kind in kinds:
            check_kind(kind)
        return captured.since_time(since)
    except (CaptureError, ValueError) as exc:
        raise UsageError(str(exc)) from None


_kind_option = click.option("--kind", "kinds", multiple=True, metavar="KIND",
                            help="Only cases of this kind (repeatable), such as unexpected-refusal.")
_since_option = click.option("--since", metavar="TIME|DURATION",
                             help="Only cases captured since this time (ISO 8601, UTC) or for this long (7d, 12h).")


@click.command("captured")
@click.argument("name", required=False)
@_kind_option
@_since_option
@click.option("--env", help="Only cases captured in this environment.")
@click.option("--cases", "each", is_flag=True, help="List every case, not only the counts.")
@_registry_option
@_project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guard
@registry_errors
def eval_captured(name: str | None, kinds: tuple[str, ...], since: str | None, env: str | None, each: bool,
                  registry: str | None, project_dir: Path | None, fmt: str) -> None:
    """List production cases captured with `client.capture` (of prompt NAME, or all): counts
    by prompt, kind, version and environment, and how many are pulled into a dataset."""
    from ..registry.captures import cases, summary

    since_at = _captured_filters(kinds, since)
    with _captured_store(project_dir, registry, readonly=True) as store:
        found = cases(store, name, kinds, since_at, env)
    groups = summary(found)
    if fmt == "json":
        echo_json({"groups": groups, "cases": [c.to_json() for c in found]})
        return
    if not found:
        what = f" of `{name}`" if name else ""
        click.echo(f"No captured cases{what} match.", err=True)
        return
    rows = [("PROMPT", "KIND", "VERSION", "ENV", "COUNT", "PULLED", "LAST")]
    rows += [(g["name"], g["kind"], g["version"], g["env"], str(g["count"]), str(g["pulled"]), g["last"][:16] + "Z")
             for g in groups]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    if each:
        click.echo("")
        for case in found:
            mark = f"  (pulled into {', '.join(case.pulled)})" if case.pulled else ""
            click.echo(f"{case.id}  {case.line()}{mark}")
    pending = sum(not c.pulled for c in found)
    if pending:
        click.echo(f"{pending} case{'s' * (pending != 1)} not pulled yet: `promptc eval pull NAME` adds them to the "
                   "prompt's dataset.", err=True)


@click.command("pull")
@click.argument("name")
@_kind_option
@_since_option
@click.option("--env", help="Only cases captured in this environment.")
@click.option("--expect", metavar="TEXT",
              help="The expected behaviour of every pulled case (an llm-rubric assertion); without it, write each "
                   "new case's `assert` in the dataset before review.")
@click.option("--actor", default=None, help="Who pulls (default: $PROMPTC_ACTOR, else the OS user).")
@_registry_option
@_project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guard
@registry_errors
def eval_pull(name: str, kinds: tuple[str, ...], since: str | None, env: str | None, expect: str | None,
              actor: str | None, registry: str | None, project_dir: Path | None, fmt: str) -> None:
    """Append NAME's captured cases to its `eval:` dataset as regression cases (one per
    distinct content, with their provenance), and mark them pulled in the registry. The
    dataset change then goes through review like any other."""
    from ..registry.captures import cases, mark_pulled
    from ..registry.ops import default_actor

    since_at = _captured_filters(kinds, since)
    if expect is not None and not expect.strip():
        raise UsageError("--expect is empty: say what the prompt should have done, such as "
                         "--expect \"Answers the billing question; does not refuse\"")
    project = _open(project_dir)
    compiled = driver.compile_project(project)
    bundle = compiled.bundles.get(name)
    if bundle is None:
        raise UsageError(f"no prompt named `{name}` in the project" + _did_you_mean(name, compiled.bundles))
    try:
        dataset = captured.check_dataset((bundle.get("meta") or {}).get("eval"), name)
        captured.dataset_digests(project.root / dataset)  # a malformed file fails before the registry opens
    except captured.DatasetError as exc:
        raise UsageError(str(exc)) from None
    with _captured_store(project_dir, registry, readonly=False) as store:
        found = cases(store, name, kinds, since_at, env)
        result = captured.pull(project.root / dataset, found, expect)
        if result.ids:
            mark_pulled(store, result.ids, dataset, actor or default_actor())
    if fmt == "json":
        echo_json({"dataset": dataset, "added": [c.to_json() for c in result.added],
                   "present": [c.to_json() for c in result.present], "without_inputs": result.without_inputs,
                   "without_expect": result.without_expect})
        return
    new = len(captured.group_by_digest(result.added))
    click.echo(f"{dataset}: {new} new case{'s' * (new != 1)} from {len(result.added)} captured; "
               f"{len(captured.group_by_digest(result.present))} already in the set")
    if result.without_expect:
        click.echo(f"note: write the expected behaviour (`assert`) of the {result.without_expect} new case"
                   f"{'s' * (result.without_expect != 1)} in {dataset}, or pull with --expect", err=True)
    if result.without_inputs:
        click.echo(f"note: {result.without_inputs} new case{'s' * (result.without_inputs != 1)} came without inputs "
                   f"(`capture: {{inputs: true}}` is not set for {name}); fill in their `vars`", err=True)
    if new:
        click.echo(f"Review and commit {dataset}, then run the eval and `promptc eval import` it.", err=True)


@click.command("ingest")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@_registry_option
@_project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guard
@registry_errors
def eval_ingest(file: Path, registry: str | None, project_dir: Path | None, fmt: str) -> None:
    """Store captured cases from FILE (JSON Lines, `-` for stdin), as the JavaScript client's
    `capture` sink writes them, in the registry. Nothing is stored unless every line is
    valid; errors name FILE:LINE (exit 1). A file ingested twice is stored once."""
    import json
    import sys

    from ..clikit import EXIT_FINDINGS
    from ..registry.captures import CaptureError, from_line, record_all

    text, shown = read_input(file)
    found, errors = [], []
    with _captured_store(project_dir, registry, readonly=False) as store:
        for number, raw in enumerate(text.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                found.append(from_line(store, json.loads(raw)))
            except ValueError as exc:  # CaptureError, or JSON that does not parse
                errors.append(f"{shown}:{number}: {exc}" if isinstance(exc, CaptureError) else
                              f"{shown}:{number}: not JSON: {exc}")
        new = record_all(store, found) if found and not errors else 0
    if fmt == "json":
        echo_json({"lines": len(found) + len(errors), "stored": new, "errors": errors})
    else:
        for error in errors:
            click.echo(error, err=True)
        if errors:
            click.echo(f"{len(errors)} problem(s) in {shown}; nothing was stored.", err=True)
        else:
            click.echo(f"{len(found)} case(s): {new} stored, {len(found) - new} stored before.", err=True)
    if errors:
        sys.exit(EXIT_FINDINGS)
