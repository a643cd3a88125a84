"""The instruction model of a message: sections, sentences and bullets, and for each the
directive it gives (modality, negation, action, object, quantities) and where it holds.

Rules read this model; none of them parses text itself: every word list and pattern lives
in this package, and rule files do not use `re`. Example blocks, code, quoted material and
transcripts are marked, so rules can set them aside. The model is built once per message
(`build_model`); what rules ask of a unit or an instruction is computed on first use and
cached.

The model is a package, one concern a module: `vocabulary` (word lists and compiled
patterns), `segments` (units: sections, sentences, examples, quotes), `directives`
(instructions, cues, actions and objects, quantities, keys), `limits` (numeric bounds and
what they bound), `stances` (register and length), `formats` (the reply format a unit asks
for or forbids, and JSON keys it names), `actions` (outward or irreversible actions and
confirmation steps), `mentions` (tool names in prose), `delimiters` (whether a value is
set off as data) and `message` (the message model and `build_model`). The public names,
and the private ones the single-module model had, are re-exported here, so `from
promptc.lint.model import …` works as before.

What rules read, besides units, instructions and their directive fields:

- `Unit.formats` → `FormatDemand`s: what the wording says of the reply's format, with
  `format` ("json", "plain text", "prose", "plain english", "natural language",
  "markdown", or a construct: "heading", "table", "bold", "code block", "link"),
  `polarity` ("require" | "forbid"), `whole` (the reply's format as a whole, not Markdown
  within it), document offsets `start`/`end`, and `scoped` ("no Markdown in commit
  messages"). `Instruction.formats` adds what a prohibition's cue forbids ("never use
  Markdown headings").
- `Unit.json_keys`, `Unit.bullet_key` → `KeyMention`s (name, offsets, form);
  `MessageModel.json_keys(unit, known)` combines them, counting a bulleted `"name": …` only
  in a list where another bullet names a known key. `MessageModel.mentions_json` and
  `MessageModel.quotes(name)` say whether the message says "JSON" or quotes a name anywhere.
- `Instruction.risky_actions` → `RiskyAction`s: outward or irreversible actions the
  directive orders (`name` as a finding shows it, `verb`, `object`, `source`), with
  `RiskyAction.through_tool(name)`; `Unit.confirms` (a confirmation step) and
  `Unit.unattended` ("without asking", "automatically"); `tool_risk(name, description)`
  for a tool declaration, and `name_words(name)` for the words of an identifier.
- `Instruction.stances`, `Instruction.limits`, `MessageModel.mentions`,
  `MessageModel.condition`, `fallback`, `always_together`, `can_co_occur`, and
  `MessageModel.delimited(start, end)` for an interpolated value.
"""

from __future__ import annotations

from ..document import Branch, Document, exclusive  # noqa: F401
from .vocabulary import (  # noqa: F401
    GENERIC_TARGETS, IMPERATIVES, UNITS, _BULLET_RE, _CAPS_RUN_RE, _CLAUSE_BREAK, _CLOSE_TAG_RE, _CONDITION_RE,
    _CUES, _CUE_KIND, _CUE_RE, _DETERMINERS, _EXAMPLE_LEAD_RE, _EXAMPLE_SECTION_RE, _FALLBACK_RE, _FENCE_RE,
    _FILLER, _GENERAL_SECTIONS, _HEADING_RE, _INLINE_TAG_RE, _LABEL_RE, _MODAL_WORDS, _NEGATOR_AFTER_CUE_RE, _NUM,
    _NUMBER_WORDS, _OPEN_TAG_RE, _PROHIBIT, _QUANTITY_RE, _QUOTE_RE, _REQUIRE, _SENTENCE_END_RE,
    _SITUATION_TITLE_RE, _STOP_OBJECT, _TOKEN_RE, _UNIT, _WORD_RE,
)
from .segments import Unit, _path, _sentences, _unit, _units  # noqa: F401
from .directives import (  # noqa: F401
    Instruction, Quantity, _GENERIC_STEMS, _action_object, _cue_governs, _instruction, _key, _lemma, _number,
    _quantities, _stem,
)
from .limits import Limit, _LIMIT_SKIP, _PART_WORDS, _limit, _phrase, _target  # noqa: F401
from .stances import (  # noqa: F401
    Stance, _COMM_VERBS, _CONTRAST, _COPULAS, _GENERIC_REST, _HEDGES, _KEEPS, _LENGTH_STRENGTH, _LIST_WORDS,
    _NEGATED_AFTER, _NEGATORS, _NO_TARGET, _PERMISSION_RE, _RELAXED, _REPLY_VERBS, _STYLE_PHRASE_RE, _STYLE_WORDS,
    _TONE_NOUNS, _hedged, _negated, _noun_after, _predicate, _qualifier_after, _scope_after, _split, _stances,
    _style_noun, _style_target, _subject, _verb_near,
)
from .formats import MARKDOWN_ELEMENTS, REPLY_FORMATS, FormatDemand, KeyMention  # noqa: F401
from .actions import RiskyAction, name_words, tool_risk  # noqa: F401
from .mentions import Mention, _CALL_FORM_RE, _CODE_IDENT_RE, _NOT_TOOL_NAMES, _TOOL_PHRASE_RE, _mentions  # noqa: F401
from .conflicts import Conflict  # noqa: F401
from .message import MessageModel, build_model  # noqa: F401
