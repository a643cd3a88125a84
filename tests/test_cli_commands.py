"""The command table of `promptc`: lazily loaded commands are exactly each module's COMMANDS."""

import importlib

from click.testing import CliRunner

from promptc.cli import LAZY_COMMANDS, main


def test_lazy_table_matches_each_modules_commands():
    for module_name, names in LAZY_COMMANDS.items():
        module = importlib.import_module(module_name)
        assert sorted(c.name for c in module.COMMANDS) == sorted(names), module_name


def test_help_lists_every_command_and_rollout_has_the_guard_subcommands():
    out = CliRunner().invoke(main, ["--help"]).output
    for names in LAZY_COMMANDS.values():
        for name in names:
            assert f"\n  {name} " in out.replace(name + "\n", name + " \n"), name
    rollout = CliRunner().invoke(main, ["rollout", "--help"]).output
    for sub in ("start", "resume", "show", "advance"):
        assert sub in rollout
