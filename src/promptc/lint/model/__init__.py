"""The instruction model of a message: sections, sentences and bullets, and for each the
directive it gives (modality, negation, action, object, quantities) and where it holds.

Rules read this model; none of them parses text itself: every word list and pattern lives
in this package, and rule files do not use `re`. Example blocks, code, quoted material and
transcripts are marked, so rules can set them aside. The model is built once per message
(`build_model`); what rules ask of a unit or an instruction is computed on first use and
cached.

The model is a package in layers, each module importing only the layers below it
(a test holds them to it):

1. vocabulary: `vocabulary` (word lists and compiled patterns) and `lexicon` (lemmas of
   actions and objects, number words, comparatives, units, languages, format words);
2. segments: `segments` (units: sections, sentences, examples, quotes; wrapped lines
   joined);
3. directives: `directives` (an instruction per unit: cue, action, object, quantities,
   keys) and `clauses` (a normalised directive per clause: modality, action and object
   lemmas, measures with bound, unit, part and target, condition, need, "always");
4. features: `stances` (register and length), `formats` (the reply format a unit asks for
   or forbids, JSON keys), `actions` (outward or irreversible actions, confirmation
   steps), `mentions` (tool names in prose), `delimiters` (whether a value is set off as
   data) and `conflicts` (pairs that cannot both be followed, by kind);
5. `message`: the message model, `build_model`, and the questions rules ask of it.

Rules use the names exported here; features of a unit or an instruction are asked of the
message model (`model.formats(unit)`, `model.stances(ins)`, `model.conflicts(output)`).

What rules read, besides units, instructions and their directive fields:

- `model.formats(unit)` → `FormatDemand`s: what the wording says of the reply's format, with
  `format` ("json", "plain text", "prose", "plain english", "natural language",
  "markdown", or a construct: "heading", "table", "bold", "code block", "link"),
  `polarity` ("require" | "forbid"), `whole` (the reply's format as a whole, not Markdown
  within it), document offsets `start`/`end`, and `scoped` ("no Markdown in commit
  messages"); for an instruction it adds what a prohibition's cue forbids ("never
  use Markdown headings").
- `formats.json_keys`, `formats.bullet_key` → `KeyMention`s (name, offsets, form);
  `MessageModel.json_keys(unit, known)` combines them, counting a bulleted `"name": …` only
  in a list where another bullet names a known key. `MessageModel.mentions_json` and
  `MessageModel.quotes(name)` say whether the message says "JSON" or quotes a name anywhere.
- `model.risky_actions(ins)` → `RiskyAction`s: outward or irreversible actions the
  directive orders (`name` as a finding shows it, `verb`, `object`, `source`), with
  `RiskyAction.through_tool(name)`; `model.confirms(unit)` (a confirmation step)
  and `model.unattended(unit)` ("without asking", "automatically"); `tool_risk(name, description)`
  for a tool declaration, and `name_words(name)` for the words of an identifier.
- `model.stances(ins)`, `MessageModel.mentions`,
  `MessageModel.condition`, `fallback`, `always_together`, `can_co_occur`, and
  `MessageModel.delimited(start, end)` for an interpolated value.
"""

from __future__ import annotations

from ..document import Branch, Document, exclusive
from .actions import RiskyAction, name_words, tool_risk
from .conflicts import Conflict
from .directives import Instruction, Quantity
from .formats import MARKDOWN_ELEMENTS, REPLY_FORMATS, FormatDemand, KeyMention
from .mentions import Mention
from .message import MessageModel, build_model
from .segments import Unit
from .stances import Stance

__all__ = [
    "Branch", "Conflict", "Document", "FormatDemand", "Instruction", "KeyMention", "MARKDOWN_ELEMENTS",
    "Mention", "MessageModel", "Quantity", "REPLY_FORMATS", "RiskyAction", "Stance", "Unit", "build_model",
    "exclusive", "name_words", "tool_risk",
]
