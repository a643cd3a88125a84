"""Actions: outward or irreversible actions (money moves, something is deleted or ended, a
message reaches people) that a directive orders or a tool performs, and whether a unit
makes such an action wait for a person ("ask the customer to confirm first") or says to
act unattended ("without asking", "automatically")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .segments import memo

if TYPE_CHECKING:
    from .directives import Instruction
    from .segments import Unit

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
#: Verbs that are also nouns ("Email links:", "Post-processing"): a verb only before a
#: determiner or a person, or in a third-person form.
_NOUN_VERBS = {"email", "sms", "text", "post", "book", "charge", "order", "transfer", "mail", "wire"}
_ACTION_DETERMINERS = {"a", "an", "the", "this", "that", "all", "any", "every", "each", "one", "money", "funds", "it",
                       "them", "their", "its", "your", "his", "her", "to", "out", "back"}
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
_LETTERS_RE = re.compile(r"[A-Za-z]+")
_NAME_WORD_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@dataclass(frozen=True)
class RiskyAction:
    """An outward or irreversible action a directive orders. `name` is how a finding names
    it ("refund", "delete", "issue refund"); `verb` and `object` are the verb and the object
    words it was read from; `source` says where: "directive" (the instruction's own action
    and object) or "imperative" (a leading imperative the directive vocabulary lacks: "Issue
    a refund", "If it is late, refund it")."""

    name: str
    verb: str
    object: str
    source: str  # "directive" | "imperative"
    unit: Unit

    def through_tool(self, tool: str) -> bool:
        """A tool of this name performs the action: its name carries the same verb
        (`refund_order` for "refund the customer", `issue_refund` for "issue refund")."""
        verbs = {_verb_base(w) for w in self.name.split()}
        return bool(verbs & {_verb_base(t) for t in name_words(tool)})


# --- tools --------------------------------------------------------------------------

def name_words(name: str) -> list[str]:
    """The words of a snake_case or camelCase name, lowercased."""
    return [t.lower() for t in _NAME_WORD_RE.findall(name)]


def tool_risk(name: str, description: str) -> str | None:
    """The outward or irreversible action a tool's name or description starts with
    ("refund", "delete", "issue refund"), or None for a tool that reads or prepares."""
    tokens = name_words(name)
    if not tokens or tokens[0] in _READ_VERBS or _SAFE_TOKENS & set(tokens):
        return None
    for token in tokens:
        if token in _MONEY_VERBS | _DESTROY_VERBS | _SEND_VERBS or token in _DO_OBJECTS:
            return token
        if token in _END_VERBS and _END_OBJECTS & set(tokens):  # `cancel_order`, not `close_ticket`
            return token
    words = _LETTERS_RE.findall(description)
    if words and words[0].lower() in ("permanently", "irreversibly"):
        words = words[1:]
    if not words:
        return None
    first, second = _verb_base(words[0]), (words[1].lower() if len(words) > 1 else "")
    if first in _ALL_VERBS and (first not in _NOUN_VERBS or second in _ACTION_DETERMINERS
                                or words[0].lower().endswith("s")):
        return first
    if first in _DO_VERBS and _DO_OBJECTS & {w.lower() for w in words[1:4]}:
        return f"{first} {next(w.lower() for w in words[1:4] if w.lower() in _DO_OBJECTS)}"
    if _IRREVERSIBLE_RE.search(description):
        return first
    return None


def _verb_base(word: str) -> str:
    """A third-person or plural form back to its base ("Sends" → "send", "refunds" → "refund")."""
    word = word.lower()
    for suffix, repl in (("ies", "y"), ("shes", "sh"), ("ches", "ch"), ("sses", "ss"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + repl
    return word


# --- directives ---------------------------------------------------------------------

@memo
def risky_actions(ins: Instruction) -> tuple[RiskyAction, ...]:
    """The outward or irreversible actions a directive orders, in order: the instruction's
    action for a requirement, then a leading imperative ("Issue a refund", "If it is late,
    refund it", "Cancel it only after …"). None for a prohibition."""
    if ins.modality == "prohibit":
        return ()
    candidates = [(ins.action, ins.object or "", "directive")] if ins.modality == "require" and ins.action else []
    m = _BARE_IMPERATIVE_RE.match(ins.unit.plain)
    if m and m.group("verb").lower() in _ALL_VERBS | _DO_VERBS:
        verb = m.group("verb").lower()
        rest = [w.lower() for w in _LETTERS_RE.findall(m.group("rest"))[:4]]
        # "Email links:", "Post-processing": a noun, unless a person or a determiner follows
        if verb not in _NOUN_VERBS or (rest and (rest[0] in _ACTION_DETERMINERS or rest[0] in _RECIPIENTS)):
            candidates.append((verb, " ".join(rest), "imperative"))
    out = []
    for action, obj, source in candidates:
        name = _risky_name(action, set(obj.split()), ins.unit)
        if name:
            out.append(RiskyAction(name, action, obj, source, ins.unit))
    return tuple(out)


def _risky_name(action: str, words: set[str], unit: Unit) -> str | None:
    """The action as a finding names it, when the verb with these object words is outward
    or irreversible."""
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
    if action in _ALL_VERBS and unattended(unit):
        return action
    return None


# --- confirmation -------------------------------------------------------------------

@memo
def confirms(unit: Unit) -> bool:
    plain = _UNCONFIRMED_RE.sub(lambda m: " " * len(m.group(0)), unit.plain)
    return bool(_CONFIRM_RE.search(plain))


@memo
def unattended(unit: Unit) -> bool:
    return bool(_ON_ITS_OWN_RE.search(unit.plain))
