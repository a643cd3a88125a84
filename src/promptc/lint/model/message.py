"""The model of one message: its units and instructions, and the questions rules ask of
them (can two co-occur, under which condition does one hold, what is its fallback, which
tools does the prose mention, which JSON keys it names, whether a value is delimited)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..document import Document, exclusive
from .conflicts import Conflict, conflicts
from .delimiters import _delimited
from .directives import Instruction, _instruction
from .actions import RiskyAction, confirms, risky_actions, unattended
from .formats import FormatDemand, KeyMention, _mentions_json, _quotes, bullet_key, instruction_formats, json_keys, unit_formats
from .mentions import Mention, _mentions
from .segments import Unit, _units
from .stances import Stance, stances
from .vocabulary import _FALLBACK_RE


@dataclass
class MessageModel:
    doc: Document
    units: list[Unit] = field(default_factory=list)
    instructions: list[Instruction] = field(default_factory=list)
    _conflicts: list[Conflict] | None = field(default=None, repr=False)

    def conflicts(self, output: dict | None = None) -> list[Conflict]:
        """Every conflict of the message by kind (`conflicts.conflicts`), computed once: the
        output declaration is the module's, the same for each call."""
        if self._conflicts is None:
            self._conflicts = conflicts(self, output)
        return self._conflicts

    @property
    def role(self) -> str:
        return self.doc.role

    # --- features of a unit or an instruction, computed once each ---

    @staticmethod
    def formats(x: Instruction | Unit) -> tuple[FormatDemand, ...]:
        """What the wording says of the reply's format (`formats.unit_formats`); for an
        instruction, also what a prohibition's cue forbids (`formats.instruction_formats`)."""
        return instruction_formats(x) if isinstance(x, Instruction) else unit_formats(x)

    @staticmethod
    def stances(ins: Instruction) -> tuple[Stance, ...]:
        """Register and length stances of a directive (`stances.stances`)."""
        return stances(ins)

    @staticmethod
    def risky_actions(ins: Instruction) -> tuple[RiskyAction, ...]:
        """Outward or irreversible actions the directive orders (`actions.risky_actions`)."""
        return risky_actions(ins)

    @staticmethod
    def confirms(u: Unit) -> bool:
        """The unit makes an action wait for a person (`actions.confirms`)."""
        return confirms(u)

    @staticmethod
    def unattended(u: Unit) -> bool:
        """The unit says to act by itself (`actions.unattended`)."""
        return unattended(u)

    def can_co_occur(self, a: Instruction | Unit, b: Instruction | Unit) -> bool:
        """Both render in one message: not in different branches of the same `if`."""
        ua = a.unit if isinstance(a, Instruction) else a
        ub = b.unit if isinstance(b, Instruction) else b
        return not exclusive(ua.scope, ub.scope)

    def directives(self) -> list[Instruction]:
        """Instructions outside examples, code and transcripts."""
        return [i for i in self.instructions if not i.unit.example]

    def condition(self, x: Instruction | Unit) -> str | None:
        """The condition under which a sentence holds: its own ("If asked, …"), or that of the
        lead line of its paragraph or list ("If the order is late:" and the bullets below)."""
        u = x.unit if isinstance(x, Instruction) else x
        if u.condition:
            return u.condition
        lead = self._leads.get(id(u))
        return lead.condition if lead else None

    def always_together(self, a: Instruction | Unit, b: Instruction | Unit) -> bool:
        """Both apply to every reply at once: they can co-occur, neither holds only under a
        condition, and both sit in the same situation (general sections count as one). A
        directive for one situation ("## Emails") refines the general ones; it does not
        contradict them."""
        ua = a.unit if isinstance(a, Instruction) else a
        ub = b.unit if isinstance(b, Instruction) else b
        return (self.can_co_occur(ua, ub) and ua.situation == ub.situation
                and not self.condition(ua) and not self.condition(ub))

    def fallback(self, x: Instruction | Unit) -> Unit | None:
        """The sentence that says what to do when `x` cannot be followed ("otherwise …", "if
        there are fewer …"): `x` itself or the next sentence of its paragraph or list."""
        u = x.unit if isinstance(x, Instruction) else x
        nxt = self._next.get(id(u))
        for cand in (u, nxt):
            if cand is not None and _FALLBACK_RE.search(cand.plain):
                return cand
        return None

    @cached_property
    def _blocks(self) -> list[list[Unit]]:
        """Units grouped in paragraphs and lists: a blank line or a heading ends a block."""
        lines = self.doc.text.split("\n")
        blocks: list[list[Unit]] = []
        prev: Unit | None = None
        for u in self.units:
            gap = prev is None or any(not lines[k].strip() for k in range(prev.line + 1, u.line))
            if gap or u.kind == "heading" or prev.kind == "heading":
                blocks.append([])
            blocks[-1].append(u)
            prev = u
        return blocks

    @cached_property
    def _next(self) -> dict[int, Unit]:
        return {id(a): b for block in self._blocks for a, b in zip(block, block[1:])}

    @cached_property
    def _leads(self) -> dict[int, Unit]:
        """For each unit, the conditional lead line ("If intent is unclear:") it follows."""
        out: dict[int, Unit] = {}
        for block in self._blocks:
            lead: Unit | None = None
            for u in block:
                if u.text.rstrip().endswith(":"):
                    lead = u if u.condition else None
                elif lead is not None:
                    out[id(u)] = lead
        return out

    @cached_property
    def mentions(self) -> list[Mention]:
        """Names prose uses as tools or functions, outside examples and code blocks."""
        return _mentions(self.units)

    @cached_property
    def mentions_json(self) -> bool:
        """The message says "JSON" anywhere, examples and quoted material included."""
        return _mentions_json(self.doc.text)

    def quotes(self, name: str) -> bool:
        """The message writes `name` between quotes or backticks anywhere ("`answer`",
        "'answer'"), examples included."""
        return _quotes(self.doc.text, name)

    def json_keys(self, unit: Unit, known: set[str] | frozenset[str] = frozenset()) -> list[KeyMention]:
        """Names `unit` uses as keys of the JSON reply, with their document offsets: its
        `Unit.json_keys`, then its `Unit.bullet_key` when another bullet of the same section
        opens with one of the `known` keys (a list describing the reply's fields)."""
        out = list(json_keys(unit))
        key = bullet_key(unit)
        if key is not None and any(bullet_key(u) is not None and bullet_key(u).name in known
                                   for u in self.units if u.kind == "bullet" and u.section == unit.section
                                   and u is not unit):
            out.append(key)
        return out

    def delimited(self, start: int, end: int) -> bool:
        """The text from `start` to `end` (an interpolated value) is set off as data: in a
        section opened by an XML-like tag, between an opening tag before it and the closing
        tag after it on its line, inside a fenced block, or between matching quotes right
        around it."""
        return _delimited(self, start, end)


def build_model(doc: Document) -> MessageModel:
    model = MessageModel(doc)
    model.units = list(_units(doc))
    model.instructions = [_instruction(u) for u in model.units if u.kind != "heading"]
    return model
