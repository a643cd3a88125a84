"""Shell completion of prompt names and environments (`promptc history <TAB>`).

Completion runs on every key press, so it reads only what is on disk: prompt names from
promptc.lock (else the module files under the source roots), environments from
`[registry] environments` of promptc.toml and those the project's registry file has used.
It never compiles, never opens a remote registry and never fails: a problem means no
suggestions. docs/completion.md says how to turn it on.
"""

from __future__ import annotations

from pathlib import Path

from click.shell_completion import CompletionItem


def _project(ctx):
    from .config import find_root, load_project

    start = Path(ctx.params.get("project_dir") or ctx.params.get("directory") or ".")
    root = find_root(start) if start.exists() else None
    return load_project(root)[0] if root is not None else None


def prompt_names(project) -> list[str]:
    from .emit.lock import Lock, LockError

    if project.lock_path.is_file():
        try:
            entries = Lock.loads(project.lock_path.read_text(encoding="utf-8")).entries
            return sorted(entries)
        except (LockError, OSError, UnicodeDecodeError):
            pass
    names = set()
    for root in project.source_roots:
        if root.is_dir():
            names.update(".".join(p.relative_to(root).with_suffix("").parts) for p in root.rglob("*.prompt"))
    return sorted(names)


def environments(project) -> list[str]:
    names = list(project.config.registry.environments)
    from .registry.backends import DEFAULT_FILE

    if not project.config.registry.url and (project.root / DEFAULT_FILE).is_file():
        from .registry.backends import open_store

        with open_store(None, project.root, readonly=True) as store:
            names += [e for e in store.environments() if e not in names]
    return names


def complete_prompt(ctx, param, incomplete: str) -> list[CompletionItem]:
    """NAME, or NAME@VERSION once an `@` is typed (the version promptc.lock records)."""
    try:
        project = _project(ctx)
        if project is None:
            return []
        if "@" in incomplete:
            from .emit.lock import Lock

            entries = Lock.loads(project.lock_path.read_text(encoding="utf-8")).entries
            refs = [f"{name}@{entry.version}" for name, entry in sorted(entries.items())]
            return [CompletionItem(r) for r in refs if r.startswith(incomplete)]
        return [CompletionItem(n) for n in prompt_names(project) if n.startswith(incomplete)]
    except Exception:  # completion must never print a traceback into the shell
        return []


def complete_env(ctx, param, incomplete: str) -> list[CompletionItem]:
    try:
        project = _project(ctx)
        if project is None:
            return []
        return [CompletionItem(e) for e in environments(project) if e.startswith(incomplete)]
    except Exception:
        return []
