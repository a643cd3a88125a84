"""risk-boundary: outward or irreversible actions (money, deletion, messages to people)
need a person in the loop, either through `requires approval` or through the prose."""

from __future__ import annotations

from typing import Iterable, Iterator

from ...diagnostics import Code, Diagnostic, Severity
from ..model import MessageModel, RiskyAction, Unit, tool_risk
from ..rule import LintContext, Rule


class RiskBoundary(Rule):
    """
    What it does:
        Reports tools whose name or description is an outward or irreversible action (send,
        pay, refund, delete, cancel, publish, book, …) declared without `requires approval`,
        and prose that tells the model to take such an action by itself ("refund the
        customer", "delete the account", "send the email without asking"). Prose that says
        to ask or confirm first, prohibitions, examples, and actions routed through a tool
        that requires approval are fine.

    Why it matters:
        A model misreads, gets prompt-injected, or acts on a guess. Money that left, data
        that is gone and messages that were sent cannot be taken back, so a person (or the
        user) must confirm each one.

    Example:
        tool refund_order(order_id: str) "Refund an order in full."
        system \"\"\"If the order arrived damaged, refund the customer.\"\"\"

    Use instead:
        tool refund_order(order_id: str) "Refund an order in full." requires approval
        and in the prose: "ask the customer to confirm before you refund".

    Options:
        None.
    """

    code = Code("PC506", "risk-boundary", "An outward or irreversible action has no approval step.", Severity.WARNING)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        for name, tool in sorted(ctx.module.tools.items()):
            if tool.requires_approval or tool.module != ctx.module.name:
                continue  # an imported tool is reported where it is declared
            verb = tool_risk(name, tool.description)
            if verb:
                yield self.report(ctx.module.tool_spans.get(name, tool.span),
                                  f"tool `{name}` can {verb} (an outward or irreversible action) but does not "
                                  f"require approval",
                                  notes=(f"add `requires approval` to the declaration so a person confirms each "
                                         f"call: `tool {name}(…) \"…\" requires approval`",))
        gated = {n for n, t in ctx.module.tools.items() if t.requires_approval}
        for model in ctx.models:
            if model.role != "assistant":
                yield from self._prose(model, gated)

    def _prose(self, model: MessageModel, gated: set[str]) -> Iterator[Diagnostic]:
        previous: Unit | None = None
        for ins in model.directives():
            unit = ins.unit
            action = next(iter(model.risky_actions(ins)), None)
            confirmed = model.confirms(unit) or (previous is not None and previous.section == unit.section
                                                  and model.confirms(previous))
            previous = unit
            if not action or confirmed or _through_gated_tool(model, unit, action, gated):
                continue
            yield self.report(model.doc.span(unit.start, unit.end),
                              f"the prose tells the model to `{action.name}` on its own, with no confirmation step",
                              notes=("say to confirm with the user first (\"ask the customer to confirm, then …\"), "
                                     "or route it through a tool declared with `requires approval`",))


# --- helpers ------------------------------------------------------------------------

def _through_gated_tool(model: MessageModel, unit: Unit, action: RiskyAction, gated: set[str]) -> bool:
    """The action goes through a tool that requires approval: the sentence names it, or a
    gated tool's name carries the same verb (`refund_order` for "refund the customer")."""
    named = {p for p in model.doc.pieces if p.kind == "tool" and p.start < unit.end and p.end > unit.start}
    if any(model.doc.text[p.start:p.end] in gated for p in named):
        return True
    if any(m.name in gated for m in model.mentions if m.unit is unit):
        return True
    return any(action.through_tool(name) for name in gated)
