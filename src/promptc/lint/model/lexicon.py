"""The lexicon the directive layer normalises wording with: lemmas of actions and objects,
number words, comparatives and units of measure, languages, list and Markdown words, and
the words of brevity and elaboration.

Everything here is data; `clauses` reads it. Synonyms map to one lemma so that two
phrasings of one instruction compare equal ("reply", "respond", "answer", "write back").
"""

from __future__ import annotations

import re

#: Verbs (and short verb phrases) to the action they stand for.
ACTIONS: dict[str, str] = {
    **dict.fromkeys(("reply", "respond", "answer", "write back", "get back", "converse", "communicate", "speak",
                     "talk", "chat"), "reply"),
    **dict.fromkeys(("cite", "reference", "attribute", "credit"), "cite"),
    **dict.fromkeys(("include", "add", "insert", "put", "attach", "append", "embed"), "include"),
    **dict.fromkeys(("use", "employ", "utilize", "utilise", "apply", "call", "invoke", "run", "trigger"), "use"),
    **dict.fromkeys(("ask", "query", "question", "request", "prompt"), "ask"),
    **dict.fromkeys(("give", "provide", "offer", "supply", "present", "show", "display", "return",
                     "output", "print", "produce", "generate", "deliver", "send"), "give"),
    **dict.fromkeys(("share", "divulge", "leak", "give out", "hand out"), "mention"),
    **dict.fromkeys(("list", "enumerate", "itemize", "itemise"), "list"),
    **dict.fromkeys(("write", "compose", "draft", "create", "make"), "write"),
    **dict.fromkeys(("mention", "state", "say", "tell", "note", "disclose", "reveal", "discuss", "talk about"),
                    "mention"),
    **dict.fromkeys(("explain", "describe", "elaborate", "justify", "clarify"), "explain"),
    **dict.fromkeys(("recommend", "suggest", "propose", "advise"), "recommend"),
    **dict.fromkeys(("apologize", "apologise"), "apologize"),
    **dict.fromkeys(("greet", "welcome"), "greet"),
    **dict.fromkeys(("search", "look up", "browse", "google"), "search"),
    **dict.fromkeys(("gather", "collect", "find", "consult", "research"), "gather"),
    **dict.fromkeys(("link", "hyperlink"), "link"),
    **dict.fromkeys(("translate",), "translate"),
    **dict.fromkeys(("summarize", "summarise", "recap"), "summarize"),
    **dict.fromkeys(("repeat", "restate", "echo", "quote"), "repeat"),
    **dict.fromkeys(("guess", "assume", "speculate", "invent", "fabricate", "make up"), "guess"),
    **dict.fromkeys(("plan", "track"), "plan"),
    **dict.fromkeys(("refund", "cancel", "delete", "remove", "escalate", "transfer", "confirm", "verify", "check",
                     "sign", "end", "start", "begin", "stop", "wait", "follow", "format", "keep", "limit",
                     "structure", "organize", "organise", "emphasize", "focus", "stick", "match", "address",
                     "refer", "read", "review", "analyze", "analyse", "count", "tell", "label", "classify",
                     "rate", "score", "mark", "compare", "break", "split", "group", "sort", "rank", "order",
                     "highlight", "separate", "finish", "close", "open", "pick", "choose", "select", "set",
                     "call", "tag", "avoid", "number", "bullet", "indent", "bold", "capitalize", "capitalise"), None),
}
#: Inflections the lemmatiser would not find on its own.
IRREGULAR = {"gave": "give", "given": "give", "wrote": "write", "written": "write", "made": "make",
             "said": "say", "told": "tell", "sent": "send", "found": "find", "ran": "run", "put": "put",
             "kept": "keep", "led": "lead", "read": "read", "began": "begin", "begun": "begin"}

#: Object nouns to one lemma: "bullet points" and "bullets" are one thing, so are sources
#: and references.
OBJECTS: dict[str, str] = {
    **dict.fromkeys(("bullet", "bullet point", "bulleted point", "point", "item", "list item"), "item"),
    **dict.fromkeys(("source", "reference", "citation", "cite"), "source"),
    **dict.fromkeys(("link", "url", "hyperlink"), "link"),
    **dict.fromkeys(("emoji", "emoticon", "smiley"), "emoji"),
    **dict.fromkeys(("question", "follow-up question", "clarifying question", "query"), "question"),
    **dict.fromkeys(("option", "choice", "alternative"), "option"),
    **dict.fromkeys(("suggestion", "recommendation", "idea", "tip"), "suggestion"),
    **dict.fromkeys(("header", "heading", "headline"), "heading"),
    **dict.fromkeys(("response", "answer", "reply", "output", "message"), "reply"),
}

#: Nouns that stand for the reply as a whole: a bound or a stance on them is about the reply.
REPLY_NOUNS = {"reply", "response", "answer", "output", "message", "it", "everything", "text", "you", "length",
               "way", "manner", "fashion", "yourself", "thing", "things", "all", "them", "what", "content",
               "writing", "communication", "explanation", "word", "wording"}
#: Objects that stand for anything at all: "do not ask the user anything".
UNIVERSAL = {"anything", "any", "nothing", "question", "questions", "everything", "something"}

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a hundred": 100,
    "one hundred": 100, "a thousand": 1000, "thousand": 1000, "a dozen": 12, "dozen": 12, "a single": 1,
    "single": 1, "a couple of": 2, "a pair of": 2, "both": 2,
}
_NUMBER_ALT = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+|(?:" + _NUMBER_ALT + r")(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?)"

#: Units of measure (and counted things) to their lemma.
UNITS: dict[str, str] = {
    **dict.fromkeys(("word", "words"), "word"),
    **dict.fromkeys(("sentence", "sentences"), "sentence"),
    **dict.fromkeys(("paragraph", "paragraphs"), "paragraph"),
    **dict.fromkeys(("bullet", "bullets", "bullet point", "bullet points", "point", "points", "item", "items",
                     "list item", "list items"), "item"),
    **dict.fromkeys(("line", "lines"), "line"),
    **dict.fromkeys(("character", "characters", "chars", "char", "letters"), "character"),
    **dict.fromkeys(("token", "tokens"), "token"),
    **dict.fromkeys(("second", "seconds", "secs"), "second"),
    **dict.fromkeys(("minute", "minutes", "mins"), "minute"),
    **dict.fromkeys(("hour", "hours"), "hour"),
    **dict.fromkeys(("option", "options", "choice", "choices", "alternative", "alternatives"), "option"),
    **dict.fromkeys(("question", "questions"), "question"),
    **dict.fromkeys(("emoji", "emojis", "emoticons"), "emoji"),
    **dict.fromkeys(("example", "examples"), "example"),
    **dict.fromkeys(("source", "sources", "reference", "references", "citation", "citations"), "source"),
    **dict.fromkeys(("topic", "topics"), "topic"),
    **dict.fromkeys(("step", "steps"), "step"),
    **dict.fromkeys(("section", "sections"), "section"),
    **dict.fromkeys(("heading", "headings", "header", "headers"), "heading"),
    **dict.fromkeys(("page", "pages"), "page"),
    **dict.fromkeys(("suggestion", "suggestions", "recommendation", "recommendations", "idea", "ideas", "tip",
                     "tips"), "suggestion"),
    **dict.fromkeys(("result", "results"), "result"),
    **dict.fromkeys(("link", "links", "url", "urls"), "link"),
    **dict.fromkeys(("hashtag", "hashtags"), "hashtag"),
    **dict.fromkeys(("keyword", "keywords"), "keyword"),
    **dict.fromkeys(("headline", "headlines", "title", "titles"), "headline"),
    **dict.fromkeys(("slide", "slides"), "slide"),
    **dict.fromkeys(("variation", "variations", "variant", "variants", "version", "versions"), "variation"),
}
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))

#: A comparative before a number, to (bound, strict): "under 50" is < 50, "up to 50" <= 50.
COMPARATIVES: dict[str, tuple[str, bool]] = {
    **dict.fromkeys(("under", "below", "fewer than", "less than", "shorter than"), ("max", True)),
    **dict.fromkeys(("no more than", "not more than", "at most", "up to", "maximum of", "a maximum of", "maximum",
                     "max", "max of", "no longer than", "not longer than", "within", "not exceed", "not exceeding",
                     "never exceed", "not to exceed", "exceed no more than", "not run past", "not run over",
                     "not go beyond", "not go over", "not go past", "never go beyond", "never run past",
                     "limited to", "limit to", "capped at", "cap at", "a max of", "no greater than"),
                    ("max", False)),
    **dict.fromkeys(("at least", "no fewer than", "no less than", "not fewer than", "not less than", "minimum of",
                     "a minimum of", "minimum", "min", "never fewer than", "never less than", "no shorter than",
                     "not shorter than"), ("min", False)),
    **dict.fromkeys(("more than", "over", "longer than", "greater than", "beyond"), ("min", True)),
    **dict.fromkeys(("exactly", "precisely", "just", "only"), ("exact", False)),
}
_COMP_ALT = "|".join(sorted((re.escape(c).replace(r"\ ", r"\s+") for c in COMPARATIVES), key=len, reverse=True))
#: A quantity: an optional comparative (negated forms such as "must not exceed" included),
#: a number or a range of two, up to two modifiers, and the unit; or "15-word bullets".
QUANTITY_RE = re.compile(
    r"(?:\b(?P<neg>must\s+not|mustn't|should\s+not|shouldn't|do\s+not|don't|does\s+not|doesn't|never|not)?\s*"
    r"(?P<op>" + _COMP_ALT + r")\s+)?"
    r"\b(?P<n>" + NUMBER + r")"
    r"(?:\s*(?:-|–|to|or|and)\s*(?P<m>" + NUMBER + r"))?(?P<mid>\s+or\s+(?:more|fewer|less))?"
    r"(?P<hyphen>-)?\s*(?P<mods>(?:(?!(?:" + _UNIT_ALT + r")\b)[a-z][a-z'-]*\s+){0,2})"
    r"(?P<unit>" + _UNIT_ALT + r")\b"
    r"(?P<post>\s+or\s+(?:fewer|less|more|so)|\s+(?:max|maximum|at\s+most|at\s+the\s+most|minimum|at\s+least)\b|\+)?",
    re.I)

LANGUAGES = {
    "english", "french", "german", "spanish", "italian", "portuguese", "dutch", "japanese", "chinese", "mandarin",
    "cantonese", "korean", "russian", "arabic", "hindi", "turkish", "polish", "swedish", "norwegian", "danish",
    "finnish", "greek", "hebrew", "ukrainian", "czech", "hungarian", "romanian", "vietnamese", "thai",
    "indonesian", "malay", "bengali", "urdu", "persian", "farsi", "tagalog", "swahili", "catalan",
}
#: The user's own language, in the ways prompts say it.
USER_LANGUAGE_RE = re.compile(
    r"\b(?:(?:the\s+)?user'?s?’?s?\s+(?:own\s+|native\s+|preferred\s+|chosen\s+)?language|"
    r"(?:same|whatever|whichever)\s+language\s+(?:as\s+)?(?:the\s+)?(?:user|they|customer|question|input|query|"
    r"message|person)|the\s+language\s+(?:that\s+)?(?:the\s+)?(?:user|customer|they|person)\s+(?:writes?|wrote|"
    r"uses?|used|speaks?|spoke|is\s+using|communicates?)|language\s+of\s+the\s+(?:user|question|input|query|"
    r"message|customer)|match(?:ing)?\s+(?:the\s+)?(?:user|customer)'?s?’?s?\s+language|their\s+(?:own\s+|"
    r"native\s+)?language)", re.I)
#: "regardless of the user's language": the user's language is set aside, not matched.
DESPITE_RE = re.compile(r"\b(?:regardless\s+of|irrespective\s+of|no\s+matter|even\s+if|even\s+when|whatever)\s+"
                        r"(?:what\s+|which\s+)?$", re.I)
LANGUAGE_RE = re.compile(r"\b(?:in|into|using|use)\s+(?:(?:plain|simple|fluent|formal|native|proper|british|"
                         r"american|standard)\s+)?(" + "|".join(sorted(LANGUAGES)) + r")\b", re.I)
#: A fallback language is no fixed one: "default to English when unsure".
FALLBACK_LANGUAGE_RE = re.compile(r"\b(?:default(?:ing)?\s+to|fall\s*back\s+to|otherwise|if\s+(?:unsure|unclear|"
                                  r"in\s+doubt|you\s+cannot\s+tell)|when\s+(?:unsure|unclear|in\s+doubt))\b", re.I)

#: Lists asked for, and lists forbidden.
LIST_RE = re.compile(r"\b(?:(?:numbered|bulleted|bullet(?:ed)?|ordered|unordered)\s+lists?|lists?|bullet\s*points?|"
                     r"bullets|numbered\s+steps)\b", re.I)
LIST_ASK_RE = re.compile(r"\b(?:as\s+an?\s+(?:(?:numbered|bulleted|ordered|short|simple)\s+)?list|in\s+an?\s+"
                         r"(?:(?:numbered|bulleted|ordered)\s+)?list|in\s+bullet(?:ed)?\s*(?:points?|form)?|"
                         r"(?:use|using|with|as|into)\s+(?:(?:short|concise|clear)\s+)?(?:bullet\s*points?|bullets|"
                         r"(?:numbered|bulleted)\s+(?:lists?|steps|points))|(?:a|one)\s+(?:numbered|bulleted)\s+"
                         r"(?:list|steps)|numbered\s+steps|format(?:ted)?\s+(?:\w+\s+){0,3}as\s+(?:a\s+)?list)\b",
                         re.I)
PROSE_NOT_LIST_RE = re.compile(r"\b(?:prose|paragraphs?|full\s+sentences)\s*(?:,\s*|\s+)(?:not|rather\s+than|"
                               r"instead\s+of)\s+(?:in\s+)?(?:a\s+)?(?:lists?|bullet)", re.I)

#: Markdown as a whole, and its constructs.
MARKDOWN_RE = re.compile(r"\b(?:markdown|md\s+formatting|rich\s+text|formatting)\b", re.I)
PLAIN_RE = re.compile(r"\b(?:plain[\s-]+text|plaintext|unformatted(?:\s+text)?|raw\s+text)\b", re.I)
CONSTRUCTS: dict[str, re.Pattern] = {
    "heading": re.compile(r"\b(?:headings?|headers?|section\s+titles?|h[1-3]\b)", re.I),
    "table": re.compile(r"\b(?:markdown\s+)?tables?\b", re.I),
    "bold": re.compile(r"\b(?:bold|boldface|bolded)\b", re.I),
    "italic": re.compile(r"\b(?:italics?|italicized|italicised)\b", re.I),
    "code block": re.compile(r"\b(?:code\s+blocks?|fenced\s+blocks?|code\s+fences?)\b", re.I),
}
#: Whole-reply containers that exclude one another.
CONTAINERS: dict[str, re.Pattern] = {
    "json": re.compile(r"\b(?:json)\b", re.I),
    "csv": re.compile(r"\b(?:csv|comma[\s-]separated\s+values)\b", re.I),
    "yaml": re.compile(r"\b(?:yaml)\b", re.I),
    "xml": re.compile(r"\b(?:xml)\b", re.I),
    "markdown table": re.compile(r"\b(?:markdown\s+table|a\s+table)\b", re.I),
    "html": re.compile(r"\bhtml\b", re.I),
}
#: "Respond/reply/return/output … as|in X": the reply as a whole in one container.
REPLY_AS_RE = re.compile(r"\b(?:respond|reply|answer|return|output|format|give|provide|present|deliver|send|"
                         r"write)\b(?:\s+[\w'’`-]+){0,4}?\s+(?:as|in|with|using|into)\s+(?:a\s+|an\s+|valid\s+|"
                         r"raw\s+|plain\s+|well-formed\s+|only\s+)*", re.I)
JSON_ONLY_RE = re.compile(r"\b(?:only\s+(?:with\s+|return\s+|output\s+)?(?:a\s+|an\s+|the\s+|valid\s+|raw\s+)*json|"
                          r"json\s+only|nothing\s+(?:but|except|other\s+than)\s+(?:a\s+|the\s+|valid\s+)*json|"
                          r"no\s+(?:other|additional|extra|surrounding)\s+(?:text|prose|commentary|words)|"
                          r"(?:just|solely|exclusively)\s+(?:a\s+|the\s+|valid\s+)*json)\b", re.I)
#: Prose around the JSON: a sentence first, or a note after it.
PREAMBLE_RE = re.compile(
    r"\b(?:(?:start|begin|open|lead|preface)\s+(?:the\s+reply\s+|your\s+(?:reply|response|answer)\s+)?(?:with|by)\s+"
    r"(?:a\s+|an\s+|one\s+|two\s+|some\s+|short\s+|brief\s+)*(?:sentences?|greeting|note|line|summary|"
    r"introduction|intro|thanks|thank|thanking|acknowledg\w+|friendly|paragraph|explanation)|"
    r"(?:then|and\s+then|before\s+(?:you\s+)?(?:give|giving|output|outputting|return|returning|provid\w+)|"
    r"followed\s+by)\s+(?:give|output|return|provide|print|write|the)\s*(?:the\s+)?json|"
    r"after\s+the\s+json,?\s+(?:add|include|write|give|append|explain|summari[sz]e)|"
    r"(?:end|close|finish)\s+(?:the\s+reply\s+|your\s+(?:reply|response|answer)\s+)?with\s+(?:a\s+|an\s+|one\s+|"
    r"short\s+|brief\s+)*(?:sentence|note|question|summary|line|remark|sign-?off))\b", re.I)
FIELD_WORDS_RE = re.compile(r"\b(?:field|key|property|value|string|attribute)s?\b", re.I)

#: Length: brevity and elaboration, as words and phrases.
BRIEF_RE = re.compile(r"\b(?:concise(?:ly)?|brief(?:ly)?|short|succinct(?:ly)?|terse(?:ly)?|to\s+the\s+point|"
                      r"in\s+(?:a\s+|one\s+)?(?:single\s+)?(?:sentence|line|word)|one[\s-]+(?:sentence|line)|"
                      r"(?:a|one)\s+sentence\s+or\s+two|one\s+or\s+two\s+sentences|as\s+short\s+as\s+possible|"
                      r"(?:with|using)\s+(?:a\s+|one\s+)?(?:single\s+)?(?:word|sentence|line)|one[\s-]word|minimal(?:ly)?|without\s+(?:any\s+)?(?:elaboration|explanation|details?)|no\s+"
                      r"(?:elaboration|filler|fluff|preamble|verbosity))\b", re.I)
LONG_RE = re.compile(r"\b(?:in\s+(?:great\s+|full\s+|more\s+|much\s+)?detail|detailed|in[\s-]depth|thorough(?:ly)?|"
                     r"exhaustive(?:ly)?|elaborate(?:ly)?|at\s+length|long[\s-]form|lengthy|extensive(?:ly)?|"
                     r"as\s+much\s+detail\s+as\s+possible|cover\s+(?:every|all)\s+(?:aspects?|angles?|details?)|"
                     r"verbose(?:ly)?|long[\s-]winded|wordy|fully\s+explain|explain\s+(?:\w+\s+){0,3}fully)\b", re.I)
#: Hedges that pair brevity with completeness: "concise but complete".
LENGTH_HEDGE_RE = re.compile(r"\b(?:but|yet|while|and|without\s+(?:sacrificing|losing|omitting)|though)\s+"
                             r"(?:still\s+|also\s+|remain(?:ing)?\s+|stay(?:ing)?\s+|be(?:ing)?\s+)?"
                             r"(?:complete|thorough|comprehensive|detailed|informative|accurate|clear|helpful|"
                             r"concise|brief|short|substance|clarity|completeness|accuracy)\b", re.I)

#: A condition, an exception, or a need that limits when a directive holds.
CONDITION_RE = re.compile(
    r"\b(?:if|when|whenever|unless|except|excepting|apart\s+from|other\s+than|until|in\s+case|as\s+long\s+as|"
    r"provided\s+that|otherwise|only\s+after|only\s+once|where\s+(?:possible|appropriate|relevant|applicable|"
    r"needed|necessary)|as\s+(?:needed|necessary|appropriate|required)|for\s+(?:simple|short|complex|quick|"
    r"casual|trivial|long|technical|urgent|sensitive)\b)", re.I)
#: A need that makes a requirement occasional: "if required", "when needed", "only if".
NEED_RE = re.compile(r"\b(?:(?:if|when|where|as)\s+(?:it\s+is\s+|it's\s+|truly\s+|really\s+|absolutely\s+)?"
                     r"(?:required|needed|necessary|appropriate|relevant|useful|helpful|applicable|warranted|"
                     r"possible)|only\s+(?:when|if|for|in|to|where|once|after)\b|sparingly)", re.I)
ALWAYS_RE = re.compile(r"\b(?:always|at\s+all\s+times|every\s+(?:time|single\s+time)|without\s+exception|"
                       r"in\s+(?:all|every)\s+(?:cases?|situations?|responses?|replies|answers|messages))\b", re.I)

#: Modal cues.
PROHIBIT_CUES = [
    "under no circumstances", "in no case", "must never", "should never", "must not", "mustn't", "should not",
    "shouldn't", "do not ever", "do not", "don't", "dont", "does not", "doesn't", "never", "avoid", "refrain from",
    "not allowed to", "is not allowed", "are not allowed", "is forbidden", "are forbidden", "is prohibited",
    "are prohibited", "cannot", "can't", "may not", "stop", "no need to", "not to",
]
REQUIRE_CUES = [
    "you must always", "must always", "you must", "must", "always", "needs", "requires", "make sure to", "make sure", "be sure to",
    "ensure that", "ensure", "you need to", "need to", "have to", "has to", "it is essential to",
    "it is important to", "is required to", "are required to", "required to", "you should", "should",
    "remember to", "you will", "you are to", "only",
]
PERMIT_CUES = ["feel free to", "you may", "you can", "may", "are allowed to", "is allowed", "it is fine to",
               "it's fine to", "it is ok to", "it's ok to", "optionally"]
PREFER_CUES = ["prefer to", "preferably", "ideally", "try to", "aim to", "where possible", "if possible"]
_ALL_CUES = sorted([(c, "prohibit") for c in PROHIBIT_CUES] + [(c, "require") for c in REQUIRE_CUES]
                   + [(c, "permit") for c in PERMIT_CUES] + [(c, "prefer") for c in PREFER_CUES],
                   key=lambda x: -len(x[0]))
CUE_KIND = {c: k for c, k in _ALL_CUES}
#: The cues by their first word, longest first, each as a pattern anchored where it starts:
#: `find_cue` tries only the words that can open a cue (one alternation of every cue at
#: every word boundary costs several times more).
CUES_BY_FIRST_WORD: dict[str, list[re.Pattern]] = {}
for _cue, _kind in _ALL_CUES:
    CUES_BY_FIRST_WORD.setdefault(_cue.split()[0], []).append(
        re.compile(r"(" + re.escape(_cue).replace(r"\ ", r"\s+") + r")\b", re.I))


def find_cue(text: str, words: re.Pattern) -> re.Match | None:
    """The first cue in `text`, the longest at the leftmost word that opens one."""
    for w in words.finditer(text):
        for rx in CUES_BY_FIRST_WORD.get(w.group(0).lower(), ()):
            m = rx.match(text, w.start())
            if m:
                return m
    return None
#: A clause that opens "No X" forbids X: "No Markdown.", "No lists of any kind."
NO_OPEN_RE = re.compile(r"^\W*(?:no|zero|without)\s+(?!more\b|less\b|fewer\b|longer\b|need\b|matter\b|one\b|"
                        r"doubt\b|exceptions?\b)", re.I)

#: Where clauses split inside a sentence.
CLAUSE_SPLIT_RE = re.compile(r";\s*|\s+[—–]\s+|,\s*(?:and\s+)?then\s+|,\s*but\s+|\s+but\s+(?=(?:do|don't|never|"
                             r"always|use|avoid|keep|write|give|include|respond|reply|answer|make|put|start)\b)",
                             re.I)

#: Words that carry no content in an object phrase.
DETERMINERS = {"the", "a", "an", "any", "your", "their", "its", "our", "this", "that", "these", "those", "all",
               "every", "each", "some", "his", "her", "my", "one", "of", "kind", "kinds", "sort", "sorts",
               "type", "types", "own"}
STOP = {"when", "if", "unless", "because", "while", "before", "after", "so", "and", "or", "but", "in", "on",
        "at", "for", "with", "without", "to", "from", "by", "as", "than", "that", "which", "who", "where",
        "even", "except", "instead", "until", "about", "into", "per", "like", "is", "are", "be", "was", "it",
        "you", "they", "then", "also", "only", "just", "not", "no", "whenever", "under", "over", "within"}
FILLERS = {"to", "you", "always", "ever", "also", "please", "just", "really", "strictly", "simply", "then",
           "clearly", "only", "carefully", "still", "directly", "both", "every", "time"}
PRONOUN_USER = {"user", "users", "customer", "customers", "him", "her", "them", "client", "person", "people",
                "visitor"}

#: Things a format rule can be scoped to: "no Markdown in commit messages".
ARTIFACTS = {
    "commit", "commits", "message", "messages", "email", "emails", "title", "titles", "subject", "description",
    "summary", "summaries", "report", "reports", "code", "comment", "comments", "field", "fields", "pr", "ticket",
    "tickets", "tweet", "tweets", "post", "posts", "document", "documents", "doc", "docs", "file", "files", "slide",
    "slides", "sms", "notification", "notifications", "log", "logs", "changelog", "readme", "caption", "captions",
    "body", "footer", "signature", "note", "notes", "abstract", "appendix", "snippet", "snippets", "name", "names",
    "filename", "filenames", "url", "urls", "string", "strings", "value", "values", "line", "subject-line",
}

