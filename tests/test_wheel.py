"""The wheel carries the grammar and the stdlib: build it, install it in a fresh venv,
and compile a module that imports `std.` there, away from this checkout."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _site_dirs() -> list[str]:
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        dirs.append(site.getusersitepackages())
    return dirs


def test_wheel_installs_and_compiles_a_std_import(tmp_path: Path) -> None:
    dist = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = dist.glob("promptc-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # The venv sees the dependencies of the environment running the tests (a user's venv, or
    # the system Python): a .pth file adds its site directories. Their own .pth files are not
    # read, so an editable install of promptc there stays invisible; promptc comes from the wheel.
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "test-deps.pth").write_text("\n".join(_site_dirs()) + "\n")
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--force-reinstall",
                    "--target", str(tmp_path / "site"), str(wheel)], check=True, capture_output=True)
    project = tmp_path / "project"
    (project / "prompts").mkdir(parents=True)
    (project / "promptc.toml").write_text('[project]\nsources = ["prompts"]\n')
    (project / "prompts" / "hello.prompt").write_text(
        '---\nversion: 1.0.0\n---\nimport std.tone\n\nsystem """\n{{ tone.concise }}\n"""\n')
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tmp_path / "site")
    code = ("import os, promptc, sys; from promptc.cli import main; "
            "assert promptc.__file__.startswith(os.environ['PYTHONPATH']), promptc.__file__; "
            "sys.argv=['promptc','build','.']; main()")
    result = subprocess.run([python, "-c", code], cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout
    assert list((project / "dist").glob("hello@1.0.0.*.json"))
