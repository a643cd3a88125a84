"""`promptc review-lint`: the model-assisted, advisory review of prompts."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..clikit import EXIT_FINDINGS, UsageError, guard
from ..report import FORMATS


@click.command("review-lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--project", "project_dir", type=click.Path(path_type=Path),
              help="The project whose promptc.toml configures the model [default: the one holding the first PATH].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format of the findings [default: github when GITHUB_ACTIONS=true, else text]. "
                   "With --dry-run: text or json (json shows each request in full).")
@click.option("--dry-run", is_flag=True, help="Send nothing: list what would be sent, its tokens and estimated cost.")
@click.option("--budget", type=click.FloatRange(min=0), metavar="USD",
              help="Send no request that could take the run's spending over USD (needs [prices.\"MODEL\"]).")
@click.option("--jobs", "-j", type=click.IntRange(1, 32), default=4, show_default=True,
              help="Requests sent at once.")
@click.option("-q", "--quiet", is_flag=True, help="Print only findings.")
@guard
def review_lint(paths: tuple[Path, ...], project_dir: Path | None, fmt: str | None, dry_run: bool,
                budget: float | None, jobs: int, quiet: bool) -> None:
    """Ask a model to read each prompt as a reviewer would: advisory findings of the linter's
    kinds (conflicts, tone collisions, stale tools, unvalidated inputs, format locking).

    PATHS are as for `promptc check`: a project directory, module files and folders in it,
    or plain .txt/.md prompt files. The model is `[review] provider, model, base_url,
    api_key_env` of promptc.toml; nothing is sent unless it is configured. Replies are
    cached by (prompt text, model, rubric version): an unchanged prompt is not sent again.
    A finding whose quotes are not in the prompt is dropped; one the linter already reports
    is left out. Findings are `review/KIND`, severity info unless `[review] severity` says
    otherwise; `{# promptc: ignore[review/KIND] #}` on a line dismisses them.
    """
    from .. import driver
    from ..cache import Cache
    from ..progress import Progress
    from ..report import default_format
    from . import run
    from .units import collect

    fmt = fmt or ("text" if dry_run else default_format())
    project = driver.open_project(project_dir or (paths[0] if paths else None))
    if project.diagnostics:
        from ..diagnostics import render_text

        for d in project.diagnostics:
            click.echo(render_text(d, {}), err=True)
        raise UsageError("the configuration is not valid; fix it first")
    settings = run.settings_of(project)
    price = run.pricing(project, settings.model)
    if budget is not None and price is None:
        raise UsageError(f"--budget needs the price of {settings.model}: add to promptc.toml\n"
                         f"  [prices.\"{settings.model}\"]\n  input_per_mtok = 0.15\n  output_per_mtok = 0.6")
    if dry_run and fmt not in ("text", "json"):
        raise UsageError("--dry-run prints text or json; drop --format or choose one of those")
    for path in paths:
        if not path.exists():
            raise UsageError(f"`{path}` does not exist")
    key = None if dry_run else run.api_key(settings)  # before any work: a missing key is a usage error
    collected = collect(project, list(paths))
    cache = Cache(project.cache_dir)
    if dry_run:
        _dry_run(project, collected, settings, price, budget, cache, fmt)
        return
    client = run.client_for(settings, key)
    progress = Progress(enabled=None if not quiet and fmt == "text" else False)
    try:
        result = run.review(project, collected, settings, client, budget=budget, price=price, cache=cache,
                            jobs=jobs, progress=progress)
    finally:
        progress.clear()
    _print(fmt, result, collected.sources, project.root)
    for name, why in collected.skipped:
        click.echo(f"warning: {name} was not reviewed: {why}", err=True)
    for o in result.outcomes:
        if o.status == "failed":
            click.echo(f"error: {o.unit.name} ({o.unit.path}) was not reviewed: {o.error}", err=True)
        elif o.status == "over-budget":
            click.echo(f"note: {o.unit.name} was not sent: {o.error}", err=True)
    if not quiet:
        click.echo(run.summary(result, settings), err=True)
    from ..diagnostics import Severity

    if result.count("failed") or any(d.severity in (Severity.ERROR, Severity.WARNING) for d in result.diagnostics):
        sys.exit(EXIT_FINDINGS)


def _print(fmt: str, result, sources, root: Path) -> None:
    if fmt == "text":
        from ..cli import report

        report(result.diagnostics, sources, "text", quiet=True)
        return
    from ..report import write

    text = write(fmt, result.diagnostics, sources, root)
    if fmt == "sarif":
        text = _sarif(text, result)
    if text:
        click.echo(text)


def _sarif(text: str, result) -> str:
    """Describe the review rules as what they are (advisory findings of a model), and the
    run as it went: the counts of the summary, and each prompt that could not be reviewed."""
    import json

    from .rubric import KINDS, RUBRIC_VERSION

    data = json.loads(text)
    run = data["runs"][0]
    mine = {k.code.id: k for k in KINDS.values()}
    for rule in run["tool"]["driver"]["rules"]:
        kind = mine.get(rule["id"])
        if kind is not None:
            rule["fullDescription"] = {"text": f"{kind.code.description} It looked for {kind.ask}"}
            rule["help"] = {"text": f"{kind.code.name} ({kind.code.id}): advisory, from a model's review "
                                    f"(rubric {RUBRIC_VERSION}). Dismiss a finding with "
                                    f"{{# promptc: ignore[{kind.code.name}] #}} on its line."}
            rule["properties"] = {"tags": ["review", "advisory"]}
    failed = [o for o in result.outcomes if o.status != "cached" and o.status != "sent"]
    invocation = run["invocations"][0]
    invocation["executionSuccessful"] = not any(o.status == "failed" for o in failed)
    if failed:
        invocation["toolExecutionNotifications"] = [
            {"level": "error" if o.status == "failed" else "note",
             "message": {"text": f"{o.unit.name} ({o.unit.path}) was not reviewed: {o.error}"}} for o in failed]
    run["properties"] = {"review": {"rubric": RUBRIC_VERSION, "sent": result.count("sent"),
                                    "cached": result.count("cached"), "failed": result.count("failed"),
                                    "overBudget": result.count("over-budget"), "dropped": result.unanchored,
                                    "notUnderstood": result.malformed, "suppressed": result.suppressed,
                                    "dismissed": result.dismissed}}
    return json.dumps(data, indent=2, ensure_ascii=False)


def _dry_run(project, collected, settings, price, budget, cache, fmt: str) -> None:
    from . import run

    client = run.client_for(settings, None)
    rows = []
    planned = 0.0
    for unit in collected.units:
        cached = run.from_cache(unit, cache.get(run.CACHE_KIND, run.cache_key(unit, settings))) is not None
        est = run.estimate(unit, settings, project, price)
        status = "cached" if cached else "send"
        if not cached and budget is not None and est.cost is not None:
            if planned + est.cost > budget + 1e-12:
                status = "over-budget"
            else:
                planned += est.cost
        rows.append((unit, status, est))
    to_send = [(u, e) for u, s, e in rows if s == "send"]
    total_in = sum(e.input_tokens for _, e in to_send)
    total_out = sum(e.max_output_tokens for _, e in to_send)
    total_cost = sum(e.cost for _, e in to_send) if price else None
    if fmt == "json":
        click.echo(run.dumps({
            "provider": settings.provider, "model": settings.model, "url": client.request("", "").url,
            "prompts": [{"prompt": u.name, "file": u.path, "status": s, **e.to_json(),
                         **({"request": run.request_preview(u, client)} if s == "send" else {})}
                        for u, s, e in rows],
            "total": {"send": len(to_send), "input_tokens": total_in, "max_output_tokens": total_out,
                      "max_cost_usd": None if total_cost is None else round(total_cost, 6)},
        }))
        return
    click.echo(f"Would send {len(to_send)} of {len(rows)} prompt{'s' * (len(rows) != 1)} to {settings.label} at "
               f"{client.request('', '').url} (nothing is sent with --dry-run).")
    width = max((len(u.name) for u, _, _ in rows), default=0)
    for unit, status, est in rows:
        mark = "" if est.exact else "~"
        cost = "" if est.cost is None else f"  ≤${est.cost:.4f}"
        click.echo(f"  {unit.name.ljust(width)}  {status:<11}  {mark}{est.input_tokens:,} tokens in, "
                   f"≤{est.max_output_tokens:,} out{cost}")
    cost = (f"; estimated cost at most ${total_cost:.4f}" if total_cost is not None else
            f"; cost unknown (no [prices.\"{settings.model}\"] in promptc.toml)")
    click.echo(f"Total to send: {total_in:,} tokens in, at most {total_out:,} out{cost}.")
    for name, why in collected.skipped:
        click.echo(f"warning: {name} would not be reviewed: {why}", err=True)
    click.echo("`--format json` shows each request in full.", err=True)


COMMANDS = [review_lint]
