"""Stances: what a directive says about the register ("formal", "casual", "playful",
"humour", "emoji") and the length ("brief", "long") of the reply, and when two clash."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .directives import _lemma
from .segments import memo
from .vocabulary import _CLAUSE_BREAK, _DETERMINERS, _FILLER, _STOP_OBJECT, _TOKEN_RE, GENERIC_TARGETS, IMPERATIVES

if TYPE_CHECKING:
    from .directives import Instruction


_LENGTH_STRENGTH = {
    **dict.fromkeys(("brief", "short", "shorter", "terse", "tersely", "as short as possible", "as brief as possible",
                     "brevity", "long", "lengthy", "verbose", "verbosely", "elaborate", "elaborately", "at length",
                     "long-form", "exhaustive", "exhaustively", "extensive", "in depth", "in-depth", "verbosity",
                     "wordiness", "in great detail", "in full detail"), 2),
    **dict.fromkeys(("comprehensive", "comprehensively"), 0),
}

#: Registers that cannot hold together with a formal one.
_RELAXED = {"casual", "playful", "humour", "emoji"}


@dataclass(frozen=True)
class Stance:
    """A position a sentence takes on the register ("formal", "casual", "playful",
    "humour", "emoji") or the length ("brief", "long") of the reply. `negated` is a
    prohibition ("no emojis", "not too casual", "without elaboration"); `target` is what it is
    about, None for the reply as a whole."""

    axis: str  # "register" | "length"
    value: str
    negated: bool
    target: str | None
    start: int
    end: int
    text: str

    @property
    def effective(self) -> str:
        """The length asked for once a negation is applied ("avoid verbosity" asks for brevity)."""
        if self.axis == "length" and self.negated:
            return "long" if self.value == "brief" else "brief"
        return self.value

    @property
    def strength(self) -> int:
        """How hard a length stance pulls: 2 for length itself ("brief", "short", "lengthy",
        "elaborate", "in depth"), 1 for economy or detail ("concise", "to the point",
        "detailed", "in detail"), 0 for coverage ("comprehensive") and for prohibitions
        ("without elaboration", "never give short answers"). Two stances clash only when
        their strengths add up to 2: "be concise" and "be detailed" do; "concise" and
        "comprehensive" do not, since coverage and economy of words go together."""
        if self.negated:
            return 0
        return _LENGTH_STRENGTH.get(" ".join(self.text.lower().split()), 1)

    def clashes(self, other: Stance) -> bool:
        """Both cannot be followed at once. "Professional" and "friendly" are not registers
        here: they go together. Formal clashes with casual, playful, humour and emojis; a
        prohibition clashes with a request for the same thing; "no jokes" also with "playful"."""
        if self.axis != other.axis or self.target != other.target:
            return False
        if self.axis == "length":
            return self.effective != other.effective and self.strength + other.strength >= 2
        if self.value == other.value:
            return self.negated != other.negated
        pair = {(self.value, self.negated), (other.value, other.negated)}
        if ("formal", False) in pair:
            return any(v in _RELAXED and not n for v, n in pair)
        return pair == {("humour", True), ("playful", False)}


# --- register and length ------------------------------------------------------------

#: word → (axis, value, form). An "adj" counts after a predicate ("be casual", "keep it
#: short", "Tone: formal") or before a noun ("a casual tone", "concise answers"); an "attr"
#: only before a noun naming the reply ("long answers"); an "adv" needs a verb ("respond
#: formally"); a "noun" needs a directive ("use emojis", "no jokes", "prefer brevity").
_STYLE_WORDS: dict[str, tuple[str, str, str]] = {
    "formal": ("register", "formal", "adj"), "formally": ("register", "formal", "adv"),
    "slang": ("register", "casual", "noun"),
    **{w: ("register", "casual", "adj") for w in ("casual", "informal", "chatty", "colloquial", "laid-back")},
    **{w: ("register", "casual", "adv") for w in ("casually", "informally")},
    **{w: ("register", "playful", "adj") for w in ("playful", "whimsical", "cheeky", "lighthearted", "light-hearted",
                                                  "silly", "goofy")},
    "playfully": ("register", "playful", "adv"), "humorously": ("register", "humour", "adv"),
    **{w: ("register", "humour", "adj") for w in ("humorous", "funny", "witty")},
    **{w: ("register", "humour", "noun") for w in ("humor", "humour", "joke", "jokes", "joking", "pun", "puns",
                                                  "wordplay")},
    **{w: ("register", "emoji", "noun") for w in ("emoji", "emojis", "emoticon", "emoticons")},
    **{w: ("length", "brief", "adj") for w in ("concise", "brief", "succinct", "terse", "short", "shorter")},
    **{w: ("length", "brief", "adv") for w in ("concisely", "briefly", "succinctly", "tersely")},
    **{w: ("length", "brief", "noun") for w in ("brevity", "conciseness", "concision")},
    **{w: ("length", "long", "adj") for w in ("detailed", "comprehensive", "exhaustive", "elaborate", "lengthy",
                                             "verbose", "extensive", "in-depth", "long-form")},
    "long": ("length", "long", "attr"),
    **{w: ("length", "long", "adv") for w in ("comprehensively", "exhaustively", "verbosely", "elaborately")},
    **{w: ("length", "long", "noun") for w in ("elaboration", "verbosity", "wordiness")},
}
_STYLE_PHRASE_RE = re.compile(
    r"\b(?:(?P<formal>(?:strictly|purely|completely|entirely)\s+(?:professional|business(?:like)?)|businesslike)"
    r"|(?P<long>in\s+(?:great\s+|full\s+|more\s+|much\s+)?detail|in\s+depth|at\s+length)"
    r"|(?P<brief>to\s+the\s+point|as\s+(?:short|brief|concise)\s+as\s+possible))\b", re.I)
_TONE_NOUNS = {"tone", "tones", "register", "style", "voice", "language", "manner", "wording", "english", "writing",
               "prose", "vibe", "demeanor", "demeanour", "persona", "attitude", "way", "fashion", "phrasing",
               "greeting", "greetings", "sign-off", "conversation", "personality", "communication"}
_COPULAS = {"be", "being", "stay", "remain", "sound", "seem", "act", "is", "are", "become", "appear"}
_KEEPS = {"keep", "keeping", "make", "making"}
_LIST_WORDS = {"and", "or", "but", "yet", "not", "too", "very", "more", "less", "still", "fairly", "quite", "a", "bit",
               "extremely", "highly", "always", "both", "also", "overly", "super", "reasonably", "somewhat",
               "friendly", "warm", "polite", "kind", "clear", "direct", "helpful", "respectful", "courteous",
               "approachable", "professional", "engaging", "conversational", "relaxed", "simple", "calm", "neutral",
               "objective", "serious", "upbeat", "positive", "enthusiastic", "empathetic", "natural", "personable",
               "fun", "specific", "accurate", "precise", "focused", "factual", "informative", "useful", "actionable",
               "relevant", "complete", "correct", "honest", "readable", "structured", "organized", "crisp", "tight",
               "sharp", "accessible", "supportive", "patient", "encouraging", "confident", "human", "genuine",
               "impersonal", "easy", "plain", "light", "technical", "thoughtful", "clean", "consistent", "thorough",
               "thoroughly", "completely", "clearly"}
_COMM_VERBS = {"respond", "reply", "answer", "write", "speak", "talk", "communicate", "chat", "address", "greet",
               "phrase", "word", "say", "tell", "explain", "describe", "summarize", "summarise", "sign"}
_REPLY_VERBS = {"respond", "reply", "answer", "write", "speak", "talk", "communicate", "chat"}
_NEGATORS = {"no", "not", "never", "avoid", "avoiding", "without", "refrain", "nor", "zero", "minimize", "minimise",
             "less", "neither", "stop", "cannot"}
_NEGATED_AFTER = {"not", "never", "forbidden", "prohibited", "banned", "disallowed"}
_CONTRAST = {"but", "yet", "however", "though", "although", "while", "whereas", "so"}
#: "use emojis sparingly", "keep jokes to a minimum": neither a request nor a prohibition.
_HEDGES = {"sparingly", "minimum", "minimal", "minimally", "rarely", "seldom", "moderation", "moderately"}
_PERMISSION_RE = re.compile(r"\b(?:feel free|you may|you can|allowed|encouraged|welcome|okay to|ok to|fine to|"
                            r"sprinkle)\b", re.I)


@memo
def stances(ins: Instruction) -> tuple[Stance, ...]:
    unit = ins.unit
    toks = [(m.group(0).lower(), m.start(), m.end()) for m in _TOKEN_RE.finditer(unit.plain)]
    words = [t for t, _, _ in toks]
    directive = ins.modality is not None or bool(_PERMISSION_RE.search(unit.plain))
    terms: list[tuple[int, int, str, str, str, bool]] = []  # (first, after-last token, axis, value, form, free)
    for i, w in enumerate(words):
        free = w.endswith("-free")
        entry = _STYLE_WORDS.get(w[:-5] if free else w)
        if entry and w in ("short", "brief") and i and words[i - 1] in ("in", "for"):
            continue  # "in short", "in brief"
        if entry:
            form = entry[2]
            if w == "elaborate" and (i == 0 or words[i - 1] in ("to", "not", "never", "please", "always", "must",
                                                                 "should", "don't", "or", "and")):
                form = "verb"  # "Elaborate on …", "do not elaborate"
            terms.append((i, i + 1, entry[0], entry[1], form, free))
    for m in _STYLE_PHRASE_RE.finditer(unit.plain):
        first = next(i for i, (_, s, e) in enumerate(toks) if e > m.start())
        last = max(i for i, (_, s, _) in enumerate(toks) if s < m.end())
        kind = m.lastgroup
        axis, value = ("register", "formal") if kind == "formal" else ("length", kind)
        terms.append((first, last + 1, axis, value, "adj" if kind != "long" else "adv", False))
    found: list[Stance] = []
    raw: list[tuple[str, str, bool, str]] = []
    for i, j, axis, value, form, free in terms:
        s, e = toks[i][1], toks[j - 1][2]
        if _hedged(words, i, j) or any(q.start <= unit.start + s < q.end for q in ins.quantities):
            continue  # "use emojis sparingly", "never more than one emoji": a limit, not a stance
        negated = free or _negated(words, i, j, form)
        raw.append((axis, value, negated, unit.text[s:e]))
        target = _style_target(words, i, j, axis, form, directive or negated)
        if target is _NO_TARGET:
            continue
        if negated and target is None:
            target = _scope_after(words, j)
        found.append(Stance(axis, value, negated, target, unit.start + s, unit.start + e, unit.text[s:e]))
    # "concise yet comprehensive", "formal but playful": a deliberate blend, not two directives.
    return tuple(a for a in found if not any(
        a.clashes(Stance(axis, value, negated, a.target, 0, 0, text)) for axis, value, negated, text in raw))


_NO_TARGET = object()


def _style_target(words: list[str], i: int, j: int, axis: str, form: str, directive: bool):
    """What a style word is about (None for the reply as a whole), or _NO_TARGET when the
    word is not used as a directive about style here ("a formal spec", "short-circuit")."""
    after = _qualifier_after(words, j)
    if form in ("adj", "attr"):
        pred = _predicate(words, i)
        if pred is not _NO_TARGET and form == "adj":
            return after if after is not _NO_TARGET and pred is None else _style_noun(axis, pred)
        noun = _noun_after(words, j)
        if noun is _NO_TARGET or not directive:
            return _NO_TARGET
        if axis == "register":
            return None if noun in _TONE_NOUNS else _NO_TARGET
        if form == "attr":
            return None if _target(None, noun) is None else _NO_TARGET
        return _target(*_split(noun))
    if form == "adv":
        verb = _verb_near(words, i, j)
        if verb is None:
            return _NO_TARGET
        if axis == "register":
            return None if verb in _COMM_VERBS else _NO_TARGET
        return None if verb in _REPLY_VERBS else verb
    if not directive:
        return _NO_TARGET
    return None if after is _NO_TARGET else after  # a noun or "elaborate"


def _predicate(words: list[str], i: int):
    """The subject a style word is predicated of: "be casual" (None), "Tone: formal" (None),
    "keep your answers short" ("answer" → None), "the summary should be brief" ("summary")."""
    k, items = i - 1, 0
    while k >= 0:
        w = words[k]
        listed = w in _LIST_WORDS or w in _STYLE_WORDS or w in (",", "—", "–", "never")
        if listed or (len(w) > 3 and w.endswith("ly")):
            k -= 1
        elif items < 3 and k + 1 < i and words[k + 1] in (",", "and", "or") and w not in _COPULAS | _KEEPS:
            k, items = k - 1, items + 1  # another item of the list: "snappy, friendly, and casual"
        else:
            break
    if k < 0:
        return _NO_TARGET
    if words[k] in _COPULAS and not (k and words[k - 1] in ("as", "how")):
        return _subject(words, k)
    if words[k] == ":" and k and words[k - 1] in _TONE_NOUNS | {"length"}:
        return None
    obj = []
    while k >= 0 and words[k] not in _KEEPS and words[k] not in _CLAUSE_BREAK and len(obj) < 3:
        obj.insert(0, words[k])
        k -= 1
    if k >= 0 and words[k] in _KEEPS and obj:
        return _phrase(obj)
    return _NO_TARGET


def _subject(words: list[str], k: int) -> str | None:
    k -= 1
    while k >= 0 and words[k] in ("should", "must", "will", "can", "always", "to", "need", "needs", "shall", "not",
                                  "never", "also", "ought", "please", "you"):
        if words[k] == "you":
            return None
        k -= 1
    if k < 0 or words[k] in _CLAUSE_BREAK or words[k] in IMPERATIVES or words[k] in _CONTRAST | {"and", "or", ","}:
        return None
    if words[k] in _DETERMINERS or words[k] in ("it", "things", "everything", "i", "we"):
        return None
    mod = words[k - 1] if k and words[k - 1] not in _DETERMINERS | _CLAUSE_BREAK | {","} else None
    return _target(mod, words[k])


def _noun_after(words: list[str], j: int):
    k = j
    while k < len(words) and (words[k] in _LIST_WORDS or words[k] == "," or words[k] in _STYLE_WORDS
                              or words[k].endswith("-line")):
        k += 1
    noun: list[str] = []
    while k < len(words) and len(noun) < 3 and words[k] not in _CLAUSE_BREAK | _STOP_OBJECT | {","} \
            and not words[k].endswith("ly") and not (noun and words[k].endswith("ing")):
        noun.append(words[k])
        k += 1
    return " ".join(noun[-2:]) if noun else _NO_TARGET


def _split(noun: str) -> tuple[str | None, str]:
    parts = noun.split()
    return (parts[-2] if len(parts) > 1 else None), parts[-1]


def _qualifier_after(words: list[str], j: int):
    """ "in commit messages" → "commit message"; "in your replies" → None; nothing → _NO_TARGET."""
    k = j
    while k < len(words) and (words[k] in _LIST_WORDS or words[k] == "," or words[k] in _STYLE_WORDS):
        k += 1
    if k < len(words) and words[k] in ("in", "for", "before", "after", "inside", "within", "around", "near", "on"):
        rest = []
        for w in words[k + 1:k + 5]:
            if w in _CLAUSE_BREAK or w == ",":
                break
            rest.append(w)
        named = _phrase(rest)
        if named is not None or rest:
            return named
    return _NO_TARGET


def _style_noun(axis: str, target: str | None) -> str | None:
    if axis == "register" and target is not None and target.split()[-1] in _TONE_NOUNS:
        return None
    return target


def _verb_near(words: list[str], i: int, j: int) -> str | None:
    """The verb an adverb modifies: "respond formally", "address the user formally",
    "briefly summarize"."""
    for k in range(i - 1, max(-1, i - 5), -1):
        if words[k] in _CLAUSE_BREAK:
            break
        lemma = _lemma(words[k])
        if lemma in IMPERATIVES or lemma in _COMM_VERBS:
            return lemma
    if j < len(words) and (_lemma(words[j]) in IMPERATIVES or _lemma(words[j]) in _COMM_VERBS):
        return _lemma(words[j])
    return None


def _negated(words: list[str], i: int, j: int, form: str) -> bool:
    """A prohibition governs the word: "never use emojis", "no jokes", "not too casual",
    "instead of formal", "emojis are not allowed"."""
    for k in range(i - 1, -1, -1):
        w = words[k]
        if w in _CLAUSE_BREAK or w in _CONTRAST:
            return False
        if w in _NEGATORS or w.endswith("n't"):
            # "don't hesitate to use emojis", "never be afraid to joke": a double negative
            return not any(x in ("hesitate", "afraid", "shy", "hesitant", "limited") for x in words[k + 1:i])
        if (w == "than" and k and words[k - 1] == "rather") or (w == "of" and k and words[k - 1] == "instead"):
            return True
        if k and words[k - 1] in ("and", ",") and w in IMPERATIVES:
            return False  # "Don't use emojis, and keep it casual": a new clause
    if form == "noun":
        for w in words[j:j + 5]:
            if w in _CLAUSE_BREAK or w == ",":
                break
            if w in _NEGATED_AFTER or w.endswith("n't"):
                return True
    return False


def _hedged(words: list[str], i: int, j: int) -> bool:
    """A hedge in the clause around the word ("use emojis sparingly")."""
    lo, hi = i, j
    while lo > 0 and words[lo - 1] not in _CLAUSE_BREAK and i - lo < 4:
        lo -= 1
    while hi < len(words) and words[hi] not in _CLAUSE_BREAK and hi - j < 4:
        hi += 1
    return any(w in _HEDGES for w in words[lo:hi])


_GENERIC_REST = _DETERMINERS | _FILLER | GENERIC_TARGETS | _LIST_WORDS | {
    "in", "to", "at", "ever", "whatsoever", "times", "of", "within", "across", "throughout", "under", "circumstances",
    "period", "anywhere", "responses", "answers", "replies", "messages", "communication", "communications",
    "conversation", "conversations", "chat", "chats", "or", ",", "are", "is", "be", "allowed", "permitted",
    "forbidden", "banned", "prohibited", "disallowed", "never", "acceptable", "ok", "okay", "used", "use", "using",
    "should", "must", "will", "can"}


def _scope_after(words: list[str], j: int) -> str | None:
    """What narrows a prohibition: "never use emojis literally", "no jokes about pricing".
    A narrow prohibition does not forbid what a general request asks, so it gets its own
    target; "never use emojis or slang in any reply, ever" stays general (None)."""
    rest = []
    for n in range(j, len(words)):
        w = words[n]
        if w in _CLAUSE_BREAK or w in _CONTRAST or (w in IMPERATIVES and words[n - 1] in ("and", ",")):
            break
        if w in _GENERIC_REST or w in _STYLE_WORDS or words[n - 1] in ("or", "and", ","):
            continue
        rest.append(w)
    return " ".join(rest[:3]) if rest else None


# --- noun phrases -------------------------------------------------------------------

def _phrase(words: list[str]) -> str | None:
    """The head noun of a short noun phrase, with one modifier: "the commit messages" → "commit message"."""
    content = []
    for w in words:
        if w in _STOP_OBJECT and content:
            break
        if w not in _DETERMINERS and w not in _STOP_OBJECT:
            content.append(w)
    if not content:
        return None
    return _target(content[-2] if len(content) > 1 else None, content[-1])


def _target(modifier: str | None, head: str) -> str | None:
    head = _lemma(head.lower())
    if head in GENERIC_TARGETS and modifier in (None, "final", "overall", "whole", "entire", "chat"):
        return None
    return f"{modifier} {head}" if modifier else head
