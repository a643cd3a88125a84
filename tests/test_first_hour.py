"""What a new user meets in the first hour (issue 16): set-up, finding the project, the
command-line conventions, release safety, diagnostics and the guard's words."""

from __future__ import annotations

import textwrap

import pytest

from tests.needs import NEEDS, key_of, missing, summary

pytest_plugins = ["pytester"]


# --- set-up: skips are grouped by what is missing, with how to install it -----------------

def test_skip_reasons_name_what_is_missing_and_how_to_install_it() -> None:
    reason = missing("docker-registry", "/usr/bin/docker-registry is missing")
    assert key_of(reason) == "docker-registry"
    assert key_of("Skipped: " + reason) == "docker-registry"
    assert "apt-get install docker-registry" in reason
    assert key_of("some other reason") is None
    lines = summary([missing("node", "a"), missing("node", "b"), missing("chromium"), "flaky: no"])
    assert lines == [
        f"   2 skipped, missing {NEEDS['node'][0]}; install: {NEEDS['node'][1]}",
        f"   1 skipped, missing {NEEDS['chromium'][0]}; install: {NEEDS['chromium'][1]}",
        "   1 skipped: flaky: no",
    ]


def test_the_summary_of_a_run_groups_its_skips(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from tests.conftest import pytest_terminal_summary  # noqa: F401\n")
    pytester.makepyfile(textwrap.dedent("""
        import pytest
        from tests.needs import missing

        @pytest.mark.parametrize("n", range(3))
        def test_js(n):
            pytest.skip(missing("node", "`node` is not on PATH"))

        def test_oci():
            pytest.skip(missing("docker-registry"))

        def test_runs():
            pass
    """))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=4)
    result.stdout.fnmatch_lines([
        "*skipped: what the full run needs*",
        f"   3 skipped, missing {NEEDS['node'][0]}; install: {NEEDS['node'][1]}",
        f"   1 skipped, missing {NEEDS['docker-registry'][0]}; install: {NEEDS['docker-registry'][1]}",
    ])
