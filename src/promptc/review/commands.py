"""The review commands: `diff`, `report`, `eval import|captured|pull`, `gate`, `approve` and `owners`.

Each is thin: it builds the sides (`snapshot`), compares them (`compare`) and hands the
result to a renderer or the gate. A mistake in how a command was called (an unknown git
revision, a malformed eval file, an unknown prompt) is a one-line usage error, exit 2; a
failed gate is exit 1 with one line per reason.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..atomic import atomic_write
from ..clikit import EXIT_FINDINGS, UsageError, color, echo_json, guard, write_output, lazy_module
from .render import short_hash as short

if TYPE_CHECKING:
    from .compare import Comparison
    from .gate import Verdict

# The compiler takes a while to import: `promptc --help` and the registry's commands, which
# share this process, should not pay for it.
driver = lazy_module("promptc.driver")
lockfile = lazy_module("promptc.emit.lock")
evals = lazy_module("promptc.review.evals")
git = lazy_module("promptc.review.git")
markdown = lazy_module("promptc.review.markdown")
owners_map = lazy_module("promptc.review.owners")
snapshot = lazy_module("promptc.review.snapshot")
textview = lazy_module("promptc.review.textview")
_compare = lazy_module("promptc.review.compare")
captured = lazy_module("promptc.review.captured")
_gate = lazy_module("promptc.review.gate")


_project_option = click.option("--project", "project_dir", type=click.Path(path_type=Path),
                               help="The project directory [default: the current one].")


def _open(project_dir: Path | None):
    """The project; a broken promptc.toml is a usage error here, because the gate's
    thresholds would otherwise silently fall back to the defaults."""
    project = driver.open_project(project_dir)
    for d in project.diagnostics:
        if d.is_error:
            where = f"{d.span.file}:{d.span.line}: " if d.span else ""
            raise UsageError(f"{where}{d.message}")
    return project


def _did_you_mean(name: str, known) -> str:
    from ..diagnostics import did_you_mean

    best = did_you_mean(name, list(known))
    return f"; did you mean `{best}`?" if best else ""


def _check_names(names: tuple[str, ...], comparison_names: set[str]) -> None:
    for name in names:
        if name not in comparison_names:
            raise UsageError(f"no prompt named `{name}` on either side" + _did_you_mean(name, comparison_names))


def _against_base(project, rev: str, names: tuple[str, ...] = ()) -> tuple[Comparison, object]:
    base = snapshot.at_revision(project, rev)
    head = snapshot.from_project(project)
    _check_names(names, set(base.snapshot.bundles) | set(head.bundles))
    return _compare.compare(base.snapshot, head, project.config.prices, names or None), base


def _side(project, ref: str):
    path = Path(ref)
    if path.suffix == ".json" or path.is_file():
        return snapshot.from_bundle_files([path], ref)
    return snapshot.from_bundle_files([snapshot.find_release(project, ref)], ref)


@click.command("diff")
@click.argument("refs", nargs=-1)
@click.option("--base", "rev", metavar="GITREV",
              help="Compare the working tree's build with the build of this git revision; REFS then name "
                   "the prompts to show [default: all].")
@_project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@guard
def diff_command(refs: tuple[str, ...], rev: str | None, project_dir: Path | None, fmt: str) -> None:
    """Show what changed between two builds of prompts.

    `promptc diff A B`: A and B are bundle files or NAME@VERSION (a bundle in the
    project's out directory). `promptc diff --base GITREV [NAME…]`: the working tree
    against a git revision, built in a temporary worktree. Per prompt: a unified diff of
    each message's text (fragments expanded, so a change to a shared module shows in every
    prompt it reaches), interface changes with their semver class, model settings, the
    version bump, token and cost deltas, and new and fixed lint findings.
    """
    project = _open(project_dir)
    if rev is not None:
        comparison, _ = _against_base(project, rev, refs)
    else:
        if len(refs) != 2:
            raise UsageError("give two bundles to compare (files or NAME@VERSION), or --base GITREV")
        old, new = _side(project, refs[0]), _side(project, refs[1])
        if len(old.bundles) == len(new.bundles) == 1 and set(old.bundles) != set(new.bundles):
            # two different prompts: compare them with each other all the same
            new.bundles = {next(iter(old.bundles)): next(iter(new.bundles.values()))}
        comparison = _compare.compare(old, new, project.config.prices)
    if fmt == "json":
        echo_json(comparison.to_json())
    elif fmt == "markdown":
        click.echo(markdown.render(comparison, None, project.config.review.max_report_chars), nl=False)
    else:
        click.echo(textview.render(comparison, color=color(sys.stdout)))


def _authors_of(project, base, extra: tuple[str, ...]):
    """Who made a prompt's change: git authors of its files since the base, and `--author`s."""
    prefix = project.root.resolve().relative_to(base.repo)
    return lambda change: git.authors(base.repo, base.commit, [prefix / f for f in change.files]) | set(extra)


_author_option = click.option(
    "--author", "authors", multiple=True, metavar="WHO",
    help="Also count WHO as an author of every change (repeatable), e.g. the pull request's author login; "
         "approvals by an author do not count. Git authors of each prompt's files since the base always do.")


_registry_option = click.option(
    "--registry", "registry", metavar="URL",
    help="The registry holding captured production cases (default: [registry] url, $PROMPTC_REGISTRY, then "
         ".promptc/registry.db when it exists).")


def _attach_captured(project, comparison, registry: str | None) -> str | None:
    """Give each changed prompt the captured cases its head eval set lacks. Returns why the
    registry could not be read (None when it was, or when none exists: nothing captured)."""
    from ..registry.backends import DEFAULT_FILE, open_store
    from ..registry.captures import cases
    from ..registry.commands import registry_url
    from ..registry.model import RegistryError

    address, root = registry_url(project.root, registry)
    if address is None and not (root / DEFAULT_FILE).is_file():
        return None
    try:
        with open_store(address, root, readonly=True) as store:
            for change in comparison.changed:
                if change.status == "removed":
                    continue
                dataset = change.meta.get("eval")
                found = cases(store, change.name)
                change.captured = captured.not_in_set(found, project.root / dataset if dataset else None)
    except (RegistryError, captured.DatasetError) as exc:
        return str(exc)
    return None


@click.command("report")
@click.option("--base", "rev", required=True, metavar="GITREV", help="The git revision the change is based on.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), help="Write the report to this file instead of stdout.")
@_author_option
@_project_option
@_registry_option
@guard
def report_command(rev: str, fmt: str, out: Path | None, authors: tuple[str, ...], project_dir: Path | None,
                   registry: str | None) -> None:
    """Write the pull-request summary of the working tree against GITREV.

    What changed per prompt, the version bump and whether it suffices, the eval set that
    ran and the score delta (per slice too), examples that newly fail, token, cost and
    latency deltas, the lint delta, known limitations, production cases captured in the
    registry that the changed prompts' eval sets lack, and the gate's verdict. Markdown
    fits a PR comment.
    """
    project = _open(project_dir)
    comparison, base = _against_base(project, rev)
    error = _attach_captured(project, comparison, registry)
    if error is not None:
        comparison.head.notes.append(f"captured cases unknown: {error}")
    verdict = _gate.evaluate(comparison, project.config.review, _authors_of(project, base, authors), error)
    if fmt == "json":
        text = json.dumps({**comparison.to_json(), "gate": verdict.to_json()}, indent=2, ensure_ascii=False) + "\n"
    else:
        text = markdown.render(comparison, verdict, project.config.review.max_report_chars,
                               diff_command=f"promptc diff --base {rev}")
    write_output(text, out)


@click.command("gate")
@click.option("--base", "rev", required=True, metavar="GITREV", help="The git revision the change is based on.")
@_author_option
@_project_option
@_registry_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guard
def gate_command(rev: str, authors: tuple[str, ...], project_dir: Path | None, registry: str | None,
                 fmt: str) -> None:
    """Fail (exit 1) when a prompt changed since GITREV lacks what its risk level asks for.

    An eval record for its new hash in promptc.lock; a score that fell no more than
    [review.RISK] max_score_drop; for risk high (by default), an approval recorded with
    `promptc approve` by someone other than the change's author; a big enough version bump;
    every captured production case of the kinds [review.RISK] require_captured names in
    the prompt's eval set (`promptc eval pull`).
    """
    project = _open(project_dir)
    comparison, base = _against_base(project, rev)
    error = None
    if any(project.config.review.policy(r).require_captured for r in ("low", "medium", "high")):
        error = _attach_captured(project, comparison, registry)
    verdict = _gate.evaluate(comparison, project.config.review, _authors_of(project, base, authors), error)
    if fmt == "json":
        echo_json({"base": comparison.base.label, **verdict.to_json()})
    else:
        _print_verdict(verdict, comparison.base.label)
    if not verdict.ok:
        sys.exit(EXIT_FINDINGS)


def _print_verdict(verdict: Verdict, base_label: str) -> None:
    for reason in verdict.reasons:
        click.echo(f"FAIL {reason.line()}")
    n = len(verdict.checked)
    what = f"{n} changed prompt{'s' * (n != 1)} since {base_label}"
    if verdict.ok:
        click.echo(f"Gate passed: {what}" + (f" ({', '.join(verdict.checked)})." if verdict.checked else "."), err=True)
    else:
        k = len(verdict.reasons)
        click.echo(f"Gate failed: {k} problem{'s' * (k != 1)} in {what}.", err=True)


@click.group("eval")
def eval_group() -> None:
    """Eval records, stored in promptc.lock against the bundle hash they measured, and
    production cases captured in the registry, pulled into a prompt's eval dataset."""


@eval_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@_project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guard
def eval_import(file: Path, project_dir: Path | None, fmt: str) -> None:
    """Record the results in FILE in promptc.lock, for the hash each prompt was evaluated at.

    FILE is promptfoo's output JSON (`promptfoo eval -o FILE` on the config of
    `promptc export --format promptfoo`) or a plain record (see docs/review.md). The
    evaluated text must be what the working tree builds: a record is valid only for that
    exact hash.
    """
    from ..export.promptfoo import chat_prompt

    project = _open(project_dir)
    try:
        runs = evals.read_eval_file(file)
    except evals.EvalFileError as exc:
        raise UsageError(str(exc)) from None
    compiled = driver.compile_project(project)
    lock, _, lock_diags = driver.read_lock(project)
    if lock_diags:
        raise UsageError(lock_diags[0].message)
    records: list[evals.EvalRecord] = []
    notes: list[str] = []
    for run in runs:
        bundle = compiled.bundles.get(run.prompt)
        if bundle is None:
            raise UsageError(f"{file}: no prompt named `{run.prompt}` in the project"
                             + _did_you_mean(run.prompt, compiled.bundles))
        if run.source == "promptfoo":
            if run.template is None:
                raise UsageError(f"{file}: promptfoo output without the template of `{run.prompt}` "
                                 "(results.prompts[].raw), so the evaluated hash is unknown")
            if run.template != chat_prompt(bundle):
                raise UsageError(f"{file}: promptfoo ran a different text of `{run.prompt}` than the working tree "
                                 "builds; export the config again (`promptc export --format promptfoo`), rerun "
                                 "the eval and import its output")
        elif run.hash != bundle["hash"]:
            raise UsageError(f"{file}: the record for `{run.prompt}` measured {short(run.hash)}, but the working "
                             f"tree builds {short(bundle['hash'])}; evaluate this build")
        dataset, dataset_hash = _dataset(project, file, run, bundle)
        entry = lock.entries.get(run.prompt)
        if entry is None:
            raise UsageError(f"promptc.lock has no entry for `{run.prompt}`; run `promptc build` first")
        if entry.hash != bundle["hash"]:
            notes.append(f"promptc.lock still records an older hash of `{run.prompt}`; run `promptc build` "
                         "(the eval record is kept)")
        record = run.record(bundle["hash"], dataset, dataset_hash)
        lock = lockfile.with_eval(lock, run.prompt, record.to_lock())
        records.append(record)
    atomic_write(project.lock_path, lock.dumps().encode("utf-8"))
    if fmt == "json":
        echo_json({"recorded": [r.to_json() for r in records], "notes": notes})
        return
    for r in records:
        counts = f" ({r.counts.get('pass', 0)}/{sum(r.counts.values())} passed)" if r.counts else ""
        click.echo(f"recorded {r.prompt}: score {r.score:.3f}{counts} for {short(r.hash)}")
    for note in notes:
        click.echo(f"note: {note}", err=True)
    click.echo("Commit promptc.lock to keep the records.", err=True)


def _dataset(project, file: Path, run, bundle: dict) -> tuple[str | None, str | None]:
    """The dataset the record ran and its hash; an error when it is not the prompt's."""
    named = (bundle.get("meta") or {}).get("eval")
    dataset = run.dataset or named
    if run.dataset and named and run.dataset != named:
        raise UsageError(f"{file}: the record for `{run.prompt}` ran `{run.dataset}`, but its front matter "
                         f"names `eval: {named}`")
    if dataset is None:
        return None, run.dataset_hash
    path = project.root / dataset
    current = evals.file_hash(path) if path.is_file() else None
    if run.dataset_hash and current and run.dataset_hash != current:
        raise UsageError(f"{file}: `{dataset}` changed since the eval of `{run.prompt}` ran (its hash is "
                         f"{short(current)}, the record says {short(run.dataset_hash)}); run the eval again")
    return dataset, run.dataset_hash or current


@click.command("approve")
@click.argument("ref", metavar="NAME@VERSION")
@click.option("--by", "by", required=True, metavar="WHO",
              help="Who approves: a name, email or login (not the change's author).")
@_project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guard
def approve_command(ref: str, by: str, project_dir: Path | None, fmt: str) -> None:
    """Record in promptc.lock that WHO approved the prompt NAME at VERSION, for the hash the
    working tree builds. `promptc gate` needs one for risk: high prompts."""
    name, _, version = ref.partition("@")
    if not name or not version:
        raise UsageError(f"`{ref}` is not NAME@VERSION, e.g. support.answer@2.1.0")
    if not by.strip():
        raise UsageError("--by needs the approver's name")
    project = _open(project_dir)
    compiled = driver.compile_project(project)
    bundle = driver.find_bundle(compiled, name)
    if bundle["version"] != version:
        raise UsageError(f"the working tree builds `{name}` at version {bundle['version']}, not {version}")
    lock, _, lock_diags = driver.read_lock(project)
    if lock_diags:
        raise UsageError(lock_diags[0].message)
    if name not in lock.entries:
        raise UsageError(f"promptc.lock has no entry for `{name}`; run `promptc build` first")
    lock = lockfile.with_approval(lock, name, by.strip(), bundle["hash"], version)
    atomic_write(project.lock_path, lock.dumps().encode("utf-8"))
    if fmt == "json":
        echo_json({"prompt": name, "version": version, "hash": bundle["hash"], "by": by.strip()})
        return
    click.echo(f"approved {name}@{version} ({short(bundle['hash'])}) by {by.strip()}")
    click.echo("Commit promptc.lock to keep the approval.", err=True)


@click.command("owners")
@click.option("--codeowners", is_flag=True, help="Print CODEOWNERS lines instead of the table.")
@_project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guard
def owners_command(codeowners: bool, project_dir: Path | None, fmt: str) -> None:
    """Print each prompt's business owner, technical owner and risk level (from its front
    matter), or with --codeowners the lines for a CODEOWNERS file."""
    project = _open(project_dir)
    side = snapshot.from_project(project)
    if codeowners:
        if fmt == "json":
            raise UsageError("--codeowners writes CODEOWNERS lines; leave out --format json")
        try:
            prefix = project.root.resolve().relative_to(git.repo_root(project.root)).as_posix()
        except UsageError:
            prefix = ""  # not in a git repository: paths relative to the project root
        click.echo(owners_map.codeowners(side, "" if prefix == "." else prefix, project.config.review.handles),
                   nl=False)
        return
    rows = owners_map.ownership(side)
    if fmt == "json":
        echo_json([r.to_json() for r in rows])
        return
    if not rows:
        click.echo("The project defines no prompts.", err=True)
        return
    click.echo(owners_map.render_text(rows))


from .capture_commands import eval_captured, eval_ingest, eval_pull  # noqa: E402  (they use the helpers above)

for _command in (eval_captured, eval_pull, eval_ingest):
    eval_group.add_command(_command)

COMMANDS = [diff_command, report_command, gate_command, eval_group, approve_command, owners_command]
