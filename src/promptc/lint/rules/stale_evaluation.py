"""stale-evaluation: the last recorded eval run is too old."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from pydantic import BaseModel, ConfigDict, Field

from ...diagnostics import Code, Diagnostic, Severity
from ..front import value_span
from ..rule import LintContext, Rule


class StaleEvaluationOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_age_days: int = Field(default=90, ge=0)


class StaleEvaluation(Rule):
    """
    What it does:
        Reports a prompt module (one with messages) whose front matter `evaluated` date
        (the last eval run) lies more than `max_age_days` days before today. Modules
        without `evaluated`, and library modules, are skipped; a future date is left alone.

    Why it matters:
        Models, tools and the data behind a prompt change even when its text does not.
        An eval result from months ago says little about how the prompt behaves on
        today's model version, and a stale date often means evals stopped being run.

    Example:
        ---
        version: 1.0.0
        eval: evals/support_answer.jsonl
        evaluated: 2024-01-15
        ---

    Use instead:
        Re-run the eval suite, import the results, and update the date:
        `evaluated: 2026-03-15`.

    Options:
        max_age_days (int, default 90): how many days an evaluation stays fresh. Set it
        under `[lint.options.stale-evaluation]` in promptc.toml.
    """

    code = Code("PC515", "stale-evaluation", "The last evaluation is older than allowed.", Severity.WARNING)
    Options = StaleEvaluationOptions

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        module = ctx.module
        front = module.front
        if not module.is_prompt or front is None or front.evaluated is None:
            return
        limit = self.options.max_age_days
        if ctx.today - front.evaluated <= dt.timedelta(days=limit):
            return
        # The message names the limit, not the age: the age changes every day.
        yield self.report(value_span(module, "evaluated"),
                          f"the last evaluation ({front.evaluated.isoformat()}) is more than {limit} days old",
                          notes=("re-run the eval suite" + (f" (`{front.eval}`)" if front.eval else "")
                                 + " and update `evaluated`",))
