"""Project configuration: `promptc.toml`, or `[tool.promptc]` in `pyproject.toml`."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .diagnostics import Diagnostic, diag, suggestion_note
from .source import Span

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILE = "promptc.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectSection(_Strict):
    name: str | None = None
    sources: list[str] = ["prompts"]
    out: str = "dist"


class LintSection(_Strict):
    select: list[str] = []
    ignore: list[str] = []
    severity: dict[str, Literal["error", "warning", "info", "off"]] = {}
    options: dict[str, dict[str, Any]] = {}


class TokensSection(_Strict):
    encoding: str = "cl100k_base"


class Price(_Strict):
    """`[prices."MODEL"]`: list prices in USD per million tokens, for `promptc tokens`."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class RegistrySection(_Strict):
    """`[registry]`: where releases are recorded, and the environments they go to, in their
    order (`["staging", "prod"]`): `promote`, `rollout` and `status` refuse any other name
    unless it is created explicitly (`--create-env`) or the registry already has it."""

    url: str | None = None
    environments: list[str] = []

    @field_validator("environments")
    @classmethod
    def _environments(cls, value: list[str]) -> list[str]:
        from .registry.ops import check_env

        for env in value:
            try:
                check_env(env)
            except Exception as exc:
                raise ValueError(str(exc)) from None
        if len(set(value)) != len(value):
            raise ValueError("an environment is listed twice")
        return value


class RiskPolicy(_Strict):
    """What `promptc gate` asks of a changed prompt at one risk level (`[review.low]` …)."""

    require_eval: bool = True  # an eval record for the new hash must be in promptc.lock
    max_score_drop: float = Field(0.05, ge=0, le=1)  # largest allowed fall of the eval score
    min_score: float | None = Field(None, ge=0, le=1)  # a floor for the new score, if set
    require_approval: bool = False  # an approval by someone other than the change's author
    # kinds of captured production case (`client.capture`) that must all be in the prompt's
    # eval set (`promptc eval pull`); "*" names every kind
    require_captured: list[str] = []

    @field_validator("require_captured")
    @classmethod
    def _captured_kinds(cls, value: list[str]) -> list[str]:
        from .registry.captures import check_kind

        for kind in value:
            if kind != "*":
                check_kind(kind)
        return value


class MediumRisk(RiskPolicy):
    max_score_drop: float = Field(0.02, ge=0, le=1)


class HighRisk(RiskPolicy):
    max_score_drop: float = Field(0.0, ge=0, le=1)
    require_approval: bool = True


class ReviewSection(_Strict):
    """`[review]`: the gate's thresholds per risk level, owner handles for CODEOWNERS, and
    the model of the advisory review (`promptc review-lint`).

    Each level has its own defaults (stricter for `high`), so `[review.high]` with one key
    changes only that key. `default_risk` applies to prompts whose front matter sets none.
    """

    default_risk: Literal["low", "medium", "high"] = "medium"
    low: RiskPolicy = RiskPolicy()
    medium: MediumRisk = MediumRisk()
    high: HighRisk = HighRisk()
    handles: dict[str, str] = {}  # owner as written in front matter → CODEOWNERS owner (@org/team)
    max_report_chars: int = Field(60000, ge=2000)  # GitHub refuses comments over 65,536 characters
    # The model-assisted review, `promptc review-lint` (docs/advisor.md): nothing is sent
    # anywhere unless `provider` and `model` are set. The key is read from the environment
    # variable `api_key_env` names (default OPENAI_API_KEY or ANTHROPIC_API_KEY; "" sends none).
    provider: Literal["openai", "anthropic"] | None = None
    model: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    # The severity of its findings: one level for all, or a table by kind (`conflict`,
    # `tone-collision`, …, or `default`); "off" drops a kind.
    severity: Literal["error", "warning", "info"] | dict[str, Literal["error", "warning", "info", "off"]] = "info"
    timeout: float = Field(120.0, gt=0)  # seconds to wait for the provider's reply
    max_retries: int = Field(3, ge=0, le=10)  # after a rate limit, a timeout or a 5xx reply
    max_output_tokens: int = Field(2000, ge=64)

    @field_validator("severity")
    @classmethod
    def _severity_kinds(cls, value):
        from .advisor.rubric import check_severity_keys

        return check_severity_keys(value)

    def policy(self, risk: str | None) -> RiskPolicy:
        level = risk if risk in ("low", "medium", "high") else self.default_risk
        return getattr(self, level)


class GuardMetricSection(_Strict):
    """`[guard.metric.NAME]`: a fixed cut-off (latency, cost; for rating, bad at or below
    it), a known base rate, or this metric's smallest regression worth catching."""

    threshold: float | None = None
    base_rate: float | None = Field(None, gt=0, lt=1)
    min_relative_risk: float | None = Field(None, gt=1)


class GuardSection(_Strict):
    """`[guard]`: what the rollout guard checks (docs/guard.md). Snapshotted into each
    rollout when it starts, so editing it never changes a test already running."""

    alpha: float = Field(0.05, gt=0, lt=1)
    metrics: list[str] = ["error"]
    min_relative_risk: float = Field(2.0, gt=1)
    power: float = Field(0.95, ge=0.5, lt=1)
    min_dwell: str | float = "30m"
    steps: list[float] = [1, 10, 50, 100]
    srm_alpha: float = Field(0.001, gt=0, lt=1)
    metric: dict[str, GuardMetricSection] = {}

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: list[str]) -> list[str]:
        from .guard.config import check_metrics

        return check_metrics(value)

    @field_validator("min_dwell")
    @classmethod
    def _dwell(cls, value: str | float) -> str | float:
        from .guard.config import parse_duration

        parse_duration(value)
        return value

    @field_validator("steps")
    @classmethod
    def _steps(cls, value: list[float]) -> list[float]:
        from .guard.config import check_steps

        return check_steps(value)

    @field_validator("metric")
    @classmethod
    def _metric_names(cls, value: dict) -> dict:
        from .guard.config import METRICS

        for name in value:
            if name not in METRICS:
                raise ValueError(f"unknown guarded metric `{name}`; choose from {', '.join(METRICS)}")
        return value


class Config(_Strict):
    project: ProjectSection = ProjectSection()
    lint: LintSection = LintSection()
    tokens: TokensSection = TokensSection()
    registry: RegistrySection = RegistrySection()
    prices: dict[str, Price] = {}
    review: ReviewSection = ReviewSection()
    guard: GuardSection = GuardSection()


@dataclass(frozen=True)
class Project:
    root: Path
    config: Config
    config_file: Path | None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def source_roots(self) -> list[Path]:
        return [(self.root / s).resolve() for s in self.config.project.sources]

    @property
    def out_dir(self) -> Path:
        return self.root / self.config.project.out

    @property
    def lock_path(self) -> Path:
        return self.root / "promptc.lock"

    @property
    def cache_dir(self) -> Path:
        return self.root / ".promptc" / "cache"

    def display(self, path: Path) -> str:
        """A path as diagnostics show it: relative to the project root when inside it."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except (RuntimeError, OSError):  # a symlink loop: show the path as it was found
            try:
                return path.absolute().relative_to(self.root.absolute()).as_posix()
            except ValueError:
                return path.as_posix()
        except ValueError:
            return path.as_posix()


def find_root(start: Path) -> Path | None:
    start = start.resolve()
    for directory in [start, *start.parents] if start.is_dir() else [start.parent, *start.parent.parents]:
        if (directory / CONFIG_FILE).is_file():
            return directory
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "[tool.promptc" in pyproject.read_text(encoding="utf-8", errors="replace"):
            return directory
    return None


def load_project(root: Path) -> tuple[Project, list[Diagnostic]]:
    """Read the configuration at `root`. A missing file gives the defaults."""
    root = root.resolve()
    path = root / CONFIG_FILE
    data: dict = {}
    shown = CONFIG_FILE
    if path.is_file():
        text = path.read_text(encoding="utf-8", errors="replace")
    elif (root / "pyproject.toml").is_file():
        path = root / "pyproject.toml"
        shown = "pyproject.toml"
        text = path.read_text(encoding="utf-8", errors="replace")
    else:
        return Project(root, Config(), None), []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, col = _toml_position(str(exc))
        return Project(root, Config(), path), [diag(
            "invalid-config", f"{shown} is not valid TOML: {str(exc).split(' (at')[0]}",
            Span.point(shown, line, col), notes=("fix the TOML syntax at this position",))]
    if shown == "pyproject.toml":
        data = data.get("tool", {}).get("promptc", {})
    try:
        return Project(root, Config.model_validate(data), path), []
    except ValidationError as exc:
        diags = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            line = _key_line(text, str(err["loc"][-1]))
            if err["type"] == "extra_forbidden":
                section = err["loc"][0] if len(err["loc"]) > 1 else None
                known = (Config.model_fields if section is None else Price.model_fields if section == "prices"
                         else type(getattr(Config(), str(section))).model_fields)
                diags.append(diag("invalid-config", f"unknown key `{loc}` in {shown}",
                                  Span.point(shown, line, 1, len(str(err["loc"][-1]))),
                                  notes=suggestion_note(str(err["loc"][-1]), known)))
            else:
                diags.append(diag("invalid-config", f"`{loc}` in {shown}: {err['msg']}",
                                  Span.point(shown, line, 1)))
        return Project(root, Config(), path), diags


def _toml_position(message: str) -> tuple[int, int]:
    import re

    m = re.search(r"line (\d+), column (\d+)", message)
    return (int(m.group(1)), int(m.group(2))) if m else (1, 1)


def _key_line(text: str, key: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith(key):
            return i
    return 1
