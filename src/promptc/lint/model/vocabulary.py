"""Word lists and compiled patterns the instruction model reads text with: modal cues and
imperatives, quantities and their units, headings, tags, fences, bullets, examples and
quotes, sentence ends, conditions, fallbacks and section titles."""

from __future__ import annotations

import re

# --- vocabulary ---------------------------------------------------------------------

_PROHIBIT = [
    "under no circumstances", "must never", "should never", "must not", "mustn't", "should not",
    "shouldn't", "do not ever", "do not", "don't", "never", "avoid", "refrain from", "no need to",
    "not allowed to", "is not allowed", "are not allowed", "is forbidden", "are forbidden",
]
_REQUIRE = [
    "you must always", "must always", "you must", "must", "always", "make sure to", "make sure",
    "be sure to", "ensure that", "ensure", "you need to", "need to", "it is essential to",
    "it is important to", "is required", "are required", "required to", "you should", "should",
    "remember to", "only",
]
_CUES = sorted([(c, "prohibit") for c in _PROHIBIT] + [(c, "require") for c in _REQUIRE],
               key=lambda x: -len(x[0]))
_CUE_RE = re.compile(r"\b(" + "|".join(re.escape(c) for c, _ in _CUES) + r")\b", re.I)
_CUE_KIND = {c: k for c, k in _CUES}

#: Common imperative verbs that open an instruction without a modal ("Use …", "Keep …").
IMPERATIVES = {
    "use", "keep", "write", "answer", "respond", "reply", "include", "add", "give", "list", "return",
    "output", "provide", "explain", "describe", "summarize", "summarise", "limit", "start", "begin",
    "end", "format", "mention", "ask", "call", "invoke", "send", "search", "cite", "greet", "address",
    "follow", "prefer", "put", "wrap", "show", "state", "refer", "offer", "tell", "say", "treat",
    "be", "make", "avoid", "stay", "stop", "create", "open", "delete", "remove", "check", "confirm",
    "recommend", "suggest", "apologize", "apologise", "escalate", "run", "print", "quote", "sign",
    "focus", "stick", "match", "translate", "pay", "refund", "transfer", "cancel", "post", "publish",
    "share", "reveal", "assume", "emphasize", "structure", "organize", "present", "produce",
}
_STOP_OBJECT = {
    "when", "if", "unless", "because", "while", "before", "after", "so", "and", "or", "but", "in", "on",
    "at", "for", "with", "without", "to", "from", "by", "as", "than", "that", "which", "who", "where",
    "even", "except", "instead", "until", "about", "into", "per", "of", "like",
}
_DETERMINERS = {"the", "a", "an", "any", "your", "their", "its", "our", "this", "that", "these", "those",
                "all", "every", "each", "some", "more", "most", "other", "own", "his", "her", "my"}

UNITS = {
    "word": "word", "words": "word", "sentence": "sentence", "sentences": "sentence",
    "item": "item", "items": "item", "bullet": "item", "bullets": "item", "bullet points": "item",
    "points": "item", "line": "line", "lines": "line", "paragraph": "paragraph",
    "paragraphs": "paragraph", "character": "character", "characters": "character",
    "chars": "character", "token": "token", "tokens": "token", "emoji": "emoji", "emojis": "emoji",
    "question": "question", "questions": "question", "example": "example", "examples": "example",
}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
                 "thirty": 30, "fifty": 50, "hundred": 100, "a single": 1, "single": 1}
_NUM = r"(\d+|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_UNIT = r"(" + "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True)) + r")"
_QUANTITY_RE = re.compile(
    r"\b(?:(?P<op>under|below|fewer than|less than|no more than|not more than|at most|up to|maximum of|"
    r"a maximum of|max(?:imum)?|no longer than|within|at least|more than|over|minimum of|a minimum of|"
    r"no fewer than|no less than|exactly|precisely|between)\s+)?"
    r"(?P<n>" + _NUM[1:-1] + r")(?:\s*(?:-|to|and)\s*(?P<m>\d+))?\s+(?:\w+\s+)?(?P<unit>" + _UNIT[1:-1] + r")\b",
    re.I)

_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_OPEN_TAG_RE = re.compile(r"^\s*<([A-Za-z_][\w.-]*)(\s[^<>]*)?>\s*$")
_CLOSE_TAG_RE = re.compile(r"^\s*</([A-Za-z_][\w.-]*)>\s*$")
_INLINE_TAG_RE = re.compile(r"<([A-Za-z_][\w.-]*)(?:\s[^<>]*)?>.*?</\1>", re.S)
_FENCE_RE = re.compile(r"^\s*(```|~~~)")
_BULLET_RE = re.compile(r"^\s*(?:[-*•+]|\d+[.)]|[a-z][.)])\s+")
_EXAMPLE_LEAD_RE = re.compile(r"^\s*(?:for example|for instance|e\.g\.|(?:good\s+|bad\s+)?examples?(?:\s+(?:of\s+(?:an?\s+|the\s+)?)?"
                              r"(?:output|response|reply|answer|input|result)s?)?(?:\s+\d+)?\s*(?:\([^)]*\))?\s*:|"
                              r"sample(?: output| input| response)?\s*:|(?:user|assistant|human|ai|customer|agent|"
                              r"input|output|q|a)\s*:)", re.I)
_EXAMPLE_SECTION_RE = re.compile(r"\b(example|examples|sample|samples|demo|transcript|few[- ]shot|e\.g)\b", re.I)
_QUOTE_RE = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|‘[^’\n]*’|`[^`\n]*`|'(?=[^'\n]*[ ]\w)[^'\n]{3,}'(?!\w)")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(`*_\[0-9{])|(?<=[.!?][\"”)])\s+(?=[A-Z])|(?<=[.!?])(?=\{\{)")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_CAPS_RUN_RE = re.compile(r"\b[A-Z]{2,}(?:[\s*_]+[A-Z]{2,})*\b")
_MODAL_WORDS = {"must", "never", "only", "always", "not", "exactly", "required", "don"}
_NEGATOR_AFTER_CUE_RE = re.compile(r"\s*(not|never|avoid|refrain from)\b", re.I)
_LABEL_RE = re.compile(r"^\W*(?:very\s+)?(?:important|note|critical|crucial|reminder|warning|rule)\s*:\s*", re.I)
#: Words that carry no content when comparing what two directives ask for.
_FILLER = {"to", "you", "always", "ever", "also", "please", "just", "really", "strictly", "simply", "sure", "then",
           "important", "very", "a", "an", "the", "any", "your", "all", "every", "each", "our", "their", "its"}
#: Nouns that stand for the reply as a whole: "keep responses short", "answer in under 50 words".
GENERIC_TARGETS = {"response", "answer", "reply", "output", "message", "it", "length", "everything", "text", "you",
                   "manner", "way", "fashion"}
#: A condition or an exception: the directive holds only sometimes.
_CONDITION_RE = re.compile(
    r"\b(?:if|when|whenever|unless|except|until|in case|as long as|provided that|otherwise|where (?:possible|"
    r"appropriate|relevant|applicable|needed)|without\s+(?:[\w'’]+\s+){0,3}?(?:asking|being asked|requesting|"
    r"request|prompting|explicit))\b|^\W*(?:for|during|while|on|in)\s+(?:[\w'’/-]+\s+){0,5}?[\w'’/-]+\s*[,:]",
    re.I)
#: What to do when a rigid prescription cannot be met: "otherwise", "if there are fewer", "or fewer".
_FALLBACK_RE = re.compile(
    r"\b(?:otherwise|unless|instead|fall ?back|if (?:there (?:are|is)|you (?:have|find|can(?:not|'t)?|are unable|"
    r"do not|don't)|not|that|this|fewer|less|none|no|needed|necessary|possible|applicable|unsure|in doubt)|"
    r"or (?:fewer|less|more)|(?:when|where) (?:possible|applicable)|as (?:many|few) as)\b", re.I)
#: Section titles about the reply in general (tone, format, rules), not about one situation.
_GENERAL_SECTIONS = {
    "tone", "style", "styles", "voice", "format", "formatting", "guideline", "guidelines", "rule", "rules",
    "general", "instruction", "instructions", "behavior", "behaviour", "persona", "personality", "identity",
    "communication", "communicating", "response", "responses", "responding", "output", "constraint", "constraints",
    "core", "important", "requirement", "requirements", "quality", "writing", "language", "system", "role",
    "policy", "policies", "overview", "principle", "principles", "conduct", "etiquette", "answer", "answers",
    "reply", "replies", "length", "verbosity", "brevity", "safety", "context", "about", "you", "your",
    "assistant", "notes", "guidance", "preferences", "standards", "expectations", "approach", "dos", "donts",
    "basics", "key", "main", "always", "never", "must", "do", "don't", "tools", "tool", "usage",
    # the steps and aspects of one task, not situations of their own
    "research", "process", "steps", "step", "workflow", "method", "methodology", "task", "tasks", "goal", "goals",
    "objective", "objectives", "sources", "citations", "structure", "content", "planning", "plan", "analysis",
    "procedure", "deliverable", "deliverables", "result", "results", "final", "presentation",
}
_SITUATION_TITLE_RE = re.compile(r"^\W*(?:if|when|whenever|for|during|while|on|in case|unless|after|before)\b", re.I)

#: Words and punctuation, for reading a clause token by token (limits, register and length).
_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*|[.;!?:,()—–]")
_CLAUSE_BREAK = {".", ";", "!", "?", ":", "(", ")", "—", "–"}
