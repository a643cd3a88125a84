"""risk-boundary: outward or irreversible actions (money, deletion, messages to people)
need a person in the loop, either through `requires approval` or through the prose."""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from ...diagnostics import Code, Diagnostic, Severity
from ..model import Instruction, MessageModel, Unit
from ..rule import LintContext, Rule

# --- vocabulary ---------------------------------------------------------------------

#: Verbs that move money, whatever their object.
_MONEY_VERBS = {"refund", "pay", "charge", "transfer", "purchase", "buy", "wire", "withdraw"}
#: Verbs that destroy or end something; risky when the object is an account, data or a deal.
_END_VERBS = {"delete", "remove", "erase", "wipe", "purge", "destroy", "drop", "terminate", "cancel", "deactivate",
              "close", "revoke", "unsubscribe"}
_END_OBJECTS = {"account", "accounts", "user", "users", "data", "record", "records", "database", "table", "order",
                "orders", "subscription", "subscriptions", "booking", "bookings", "reservation", "reservations",
                "payment", "payments", "customer", "customers", "profile", "profiles", "workspace", "workspaces",
                "repository", "repo", "membership", "plan", "card", "payout", "invoice", "invoices", "contract",
                "access", "key", "keys", "token", "tokens", "license", "licence"}
#: Verbs that destroy whatever their object: a tool named `delete_…` is risky by its name.
_DESTROY_VERBS = {"delete", "erase", "wipe", "purge", "destroy", "drop", "terminate"}
#: Verbs that reach people or the outside world; risky when the object is such a message.
_SEND_VERBS = {"send", "email", "sms", "text", "post", "publish", "tweet", "book", "submit", "mail"}
_SEND_OBJECTS = {"email", "emails", "sms", "text", "notification", "notifications", "invoice", "invoices",
                 "newsletter", "letter", "announcement", "tweet", "post", "release", "payment", "money", "funds",
                 "meeting", "appointment", "flight", "hotel", "reservation", "customer", "customers", "client",
                 "clients", "user", "users", "them", "him", "her", "reminder", "reminders", "offer", "quote"}
#: "issue a refund", "process the payment".
_DO_VERBS = {"issue", "process", "make", "initiate", "execute", "place", "perform", "complete", "approve", "grant"}
_DO_OBJECTS = {"refund", "refunds", "payment", "payments", "transfer", "transfers", "charge", "charges", "purchase",
               "purchases", "order", "cancellation", "deletion", "payout", "payouts", "wire", "credit", "credits"}
_RECIPIENTS = {"customer", "customers", "user", "users", "client", "clients", "them", "him", "her", "me", "us",
               "everyone", "team"}
_NOT_ACTIONS = {"attention", "heed", "respect", "compliment", "compliments", "tribute", "visit", "mind"}
_ALL_VERBS = _MONEY_VERBS | _END_VERBS | _SEND_VERBS

#: Tool names that start with these only read, prepare or look.
_READ_VERBS = {"get", "list", "search", "find", "lookup", "look", "fetch", "read", "check", "query", "view", "show",
               "describe", "preview", "draft", "estimate", "calculate", "compute", "validate", "count", "summarize",
               "summarise", "explain", "verify", "suggest", "recommend", "format", "parse", "render", "compose",
               "prepare", "simulate", "track", "retrieve", "load", "download", "inspect", "analyze", "analyse"}
_SAFE_TOKENS = {"draft", "drafts", "preview", "status", "history", "estimate", "template", "templates", "info",
                "details", "options", "policy", "eligibility"}
_NOUN_VERBS = {"email", "sms", "text", "post", "book", "charge", "order", "transfer", "mail", "wire"}
_DETERMINERS = {"a", "an", "the", "this", "that", "all", "any", "every", "each", "one", "money", "funds", "it", "them",
                "their", "its", "your", "his", "her", "to", "out", "back"}
_IRREVERSIBLE_RE = re.compile(r"\b(?:permanently|irreversibl[ey]|cannot be undone|can't be undone)\b", re.I)

_CONFIRM_RE = re.compile(r"\b(?:ask(?:s|ed|ing)?|confirm\w*|approv\w*|permission|consent\w*|authori[sz]\w*|"
                         r"check with|agree\w*|verif\w*|double-check\w*|explicitly request\w*|requests?)\b", re.I)
_UNCONFIRMED_RE = re.compile(r"\b(?:without|no need to|never|don't|do not)\s+(?:\w+\s+){0,2}?(?:ask\w*|confirm\w*|"
                             r"approv\w*|permission|consent\w*|check\w*|wait\w*)\b", re.I)
_ON_ITS_OWN_RE = re.compile(r"\b(?:without (?:asking|confirm\w*|approval|permission|checking|waiting)|automatically|"
                            r"on your own|right away|immediately)\b", re.I)
#: An imperative the model's verb list lacks ("Issue a refund"), or one after a leading
#: condition ("If the order qualifies, refund it").
_BARE_IMPERATIVE_RE = re.compile(r"^\W*(?:(?:if|when|once|after)\b[^,]{1,80},\s*)?"
                                 r"(?:(?:then|and|also|now|please|finally|next)\s+)?"
                                 r"(?P<verb>[A-Za-z]+)\b(?P<rest>[^.;]*)", re.I)
_WORD_RE = re.compile(r"[A-Za-z]+")


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
            verb = _risky_tool(name, tool.description)
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
            verb = _risky_instruction(ins)
            confirmed = _asks_first(unit) or (previous is not None and previous.section == unit.section
                                              and _asks_first(previous))
            previous = unit
            if not verb or confirmed or _through_gated_tool(model, unit, verb, gated):
                continue
            yield self.report(model.doc.span(unit.start, unit.end),
                              f"the prose tells the model to `{verb}` on its own, with no confirmation step",
                              notes=("say to confirm with the user first (\"ask the customer to confirm, then …\"), "
                                     "or route it through a tool declared with `requires approval`",))


# --- helpers ------------------------------------------------------------------------

def _tokens(name: str) -> list[str]:
    """The words of a snake_case or camelCase name, lowercased."""
    return [t.lower() for t in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)]


def _lemma(word: str) -> str:
    """A third-person or plural form back to its base ("Sends" → "send", "refunds" → "refund")."""
    word = word.lower()
    for suffix, repl in (("ies", "y"), ("shes", "sh"), ("ches", "ch"), ("sses", "ss"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + repl
    return word


def _risky_tool(name: str, description: str) -> str | None:
    """The risky verb a tool's name or description starts with, if any."""
    tokens = _tokens(name)
    if not tokens or tokens[0] in _READ_VERBS or _SAFE_TOKENS & set(tokens):
        return None
    for token in tokens:
        if token in _MONEY_VERBS | _DESTROY_VERBS | _SEND_VERBS or token in _DO_OBJECTS:
            return token
        if token in _END_VERBS and _END_OBJECTS & set(tokens):  # `cancel_order`, not `close_ticket`
            return token
    words = _WORD_RE.findall(description)
    if words and words[0].lower() in ("permanently", "irreversibly"):
        words = words[1:]
    if not words:
        return None
    first, second = _lemma(words[0]), (words[1].lower() if len(words) > 1 else "")
    if first in _ALL_VERBS and (first not in _NOUN_VERBS or second in _DETERMINERS or words[0].lower().endswith("s")):
        return first
    if first in _DO_VERBS and _DO_OBJECTS & {w.lower() for w in words[1:4]}:
        return f"{first} {next(w.lower() for w in words[1:4] if w.lower() in _DO_OBJECTS)}"
    if _IRREVERSIBLE_RE.search(description):
        return first
    return None


def _risky_instruction(ins: Instruction) -> str | None:
    """The outward or irreversible action a sentence orders, if any: the model's action for
    a requirement, or a leading imperative the model's verb list lacks ("Issue a refund",
    "If it is late, refund it", "Cancel it only after …")."""
    if ins.modality == "prohibit":
        return None
    candidates = [(ins.action, ins.object or "")] if ins.modality == "require" and ins.action else []
    m = _BARE_IMPERATIVE_RE.match(ins.unit.plain)
    if m and m.group("verb").lower() in _ALL_VERBS | _DO_VERBS:
        verb = m.group("verb").lower()
        rest = [w.lower() for w in _WORD_RE.findall(m.group("rest"))[:4]]
        # "Email links:", "Post-processing": a noun, unless a person or a determiner follows
        if verb not in _NOUN_VERBS or (rest and (rest[0] in _DETERMINERS or rest[0] in _RECIPIENTS)):
            candidates.append((verb, " ".join(rest)))
    for action, obj in candidates:
        found = _risky_action(action, set(obj.split()), ins.unit.plain)
        if found:
            return found
    return None


def _risky_action(action: str, words: set[str], plain: str) -> str | None:
    """The action as it should be named in the finding, when the verb with these object
    words is outward or irreversible."""
    if words & _NOT_ACTIONS:
        return None
    if action in _MONEY_VERBS:
        return action
    if action in _END_VERBS and words & _END_OBJECTS:
        return action
    if action in _SEND_VERBS and (words & _SEND_OBJECTS or action in ("email", "sms", "tweet")):
        return action
    if action in _DO_VERBS and words & _DO_OBJECTS:
        return f"{action} {min(words & _DO_OBJECTS)}"
    if action in _ALL_VERBS and _ON_ITS_OWN_RE.search(plain):
        return action
    return None


def _asks_first(unit: Unit) -> bool:
    """The sentence makes the action wait for the user or a person ("after the customer
    confirms", "ask before you refund"), not "without asking"."""
    plain = _UNCONFIRMED_RE.sub(lambda m: " " * len(m.group(0)), unit.plain)
    return bool(_CONFIRM_RE.search(plain))


def _through_gated_tool(model: MessageModel, unit: Unit, verb: str, gated: set[str]) -> bool:
    """The action goes through a tool that requires approval: the sentence names it, or a
    gated tool's name carries the same verb (`refund_order` for "refund the customer")."""
    named = {p for p in model.doc.pieces if p.kind == "tool" and p.start < unit.end and p.end > unit.start}
    if any(model.doc.text[p.start:p.end] in gated for p in named):
        return True
    if any(m.name in gated for m in model.mentions if m.unit is unit):
        return True
    verbs = {_lemma(w) for w in verb.split()}
    return any(verbs & {_lemma(t) for t in _tokens(name)} for name in gated)
