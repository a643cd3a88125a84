import pytest

pytest_plugins = ["pytester", "tests.oci_registry", "tests.registry_backends"]


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="Rewrite the expected sections of golden files with the actual output.")


@pytest.fixture
def update_goldens(request) -> bool:
    return request.config.getoption("--update-goldens")


@pytest.fixture(autouse=True)
def _not_in_github_actions(monkeypatch):
    """`promptc check` defaults to GitHub annotations under GITHUB_ACTIONS=true; tests that
    expect the text format must not change when the suite itself runs in GitHub Actions."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Group the run's skips by what is missing and say how to install it (tests/needs.py)."""
    from tests.needs import summary

    reasons = []
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            reasons.append(str(longrepr[2]))
    if reasons:
        terminalreporter.write_sep("=", "skipped: what the full run needs (README, Set-up)")
        for line in summary(reasons):
            terminalreporter.write_line(line)
