"""The instruction model of a message: sections, sentences and bullets, and for each the
directive it gives (modality, negation, action, object, quantities) and where it holds.

Rules read this model; none of them parses text itself. Example blocks, code, quoted
material and transcripts are marked, so rules can set them aside.

The model is a package, one concern a module: `vocabulary` (word lists and compiled
patterns), `segments` (units: sections, sentences, examples, quotes), `directives`
(instructions, cues, actions and objects, quantities, keys), `limits` (numeric bounds and
what they bound), `stances` (register and length), `mentions` (tool names in prose) and
`message` (the message model and `build_model`). Every name is re-exported here, so
`from promptc.lint.model import …` works as before.
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
from .mentions import Mention, _CALL_FORM_RE, _CODE_IDENT_RE, _NOT_TOOL_NAMES, _TOOL_PHRASE_RE, _mentions  # noqa: F401
from .message import MessageModel, build_model  # noqa: F401
