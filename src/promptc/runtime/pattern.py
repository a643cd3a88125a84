"""`pattern`: a linear-time matcher for a safe subset of ECMA-262 regular expressions.

JSON Schema's `pattern` is an ECMA-262 regular expression, searched for anywhere in the
string. Backtracking engines (Python's `re`, JavaScript's RegExp) take exponential time on
patterns such as `^(a+)+$`, so both runtimes match with this automaton instead (a Pike VM:
every step advances all live states at once), in time proportional to the length of the
input times the size of the pattern. `runtimes/js/src/pattern.mjs` is the same program; a
test holds the two to each other and to ECMA-262 (`regress`) on random patterns.

The subset, with the `u` flag's meaning (code points, ASCII `\\d` and `\\w`):
literals; escapes `\\d \\D \\w \\W \\s \\S \\b \\t \\n \\v \\f \\r \\0 \\xHH \\uHHHH
\\u{H…}` and an escaped syntax character; `.`; classes `[…]`, `[^…]` with ranges and class
escapes; groups `(…)` and `(?:…)`; `|`; `^` and `$` (start and end of the string);
quantifiers `* + ? {n} {n,} {n,m}`, greedy or lazy. Outside it (backreferences, lookaround,
named groups, `\\p{…}`, `\\B`) a pattern is refused with `PatternError`, by the compiler at `check`
and by both runtimes at `load`.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache

#: A pattern is at most this many characters, and compiles to at most this many states.
MAX_PATTERN_LENGTH = 1000
MAX_PATTERN_STATES = 10_000

_SYNTAX = set("^$\\.*+?()[]{}|/")
_DIGIT = ((0x30, 0x39),)
_WORD = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_SPACE = ((0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
          (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF))
_LINE_TERMINATORS = ((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029))
_MAX_CODE_POINT = 0x10FFFF


class PatternError(ValueError):
    """A `pattern` outside the supported ECMA-262 subset, or not a regular expression."""


def _negate(ranges: tuple) -> tuple:
    out, low = [], 0
    for lo, hi in _normalise(ranges):
        if lo > low:
            out.append((low, lo - 1))
        low = hi + 1
    if low <= _MAX_CODE_POINT:
        out.append((low, _MAX_CODE_POINT))
    return tuple(out)


def _normalise(ranges) -> tuple:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


_CLASS_ESCAPES = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
_CONTROL_ESCAPES = {"t": 9, "n": 10, "v": 11, "f": 12, "r": 13}


class _Parser:
    """Recursive descent over the pattern into a small tree:
    ("set", ranges) · ("cat", [nodes]) · ("alt", [nodes]) · ("rep", node, min, max|None)
    · ("assert", "^" | "$" | "b")."""

    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.depth = 0

    def fail(self, what: str) -> PatternError:
        return PatternError(f"{what} at position {self.i} of the pattern")

    def peek(self) -> str:
        return self.p[self.i] if self.i < len(self.p) else ""

    def parse(self):
        node = self.alternation()
        if self.i < len(self.p):
            raise self.fail("unmatched `)`")
        return node

    def alternation(self):
        branches = [self.sequence()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def sequence(self):
        items = []
        while self.i < len(self.p) and self.peek() not in "|)":
            atom = self.atom()
            items.append(self.quantified(atom))
        return ("cat", items)

    def quantified(self, atom):
        ch = self.peek()
        if ch in ("*", "+", "?"):
            self.i += 1
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[ch]
        elif ch == "{" and self._brace_quantifier() is not None:
            low, high = self._brace_quantifier()  # type: ignore[misc]
            self.i = self.p.index("}", self.i) + 1
        else:
            return atom
        if atom[0] == "assert":
            raise self.fail("a quantifier after an assertion (`^`, `$`, `\\b`)")
        if self.peek() == "?":
            self.i += 1  # lazy: the same strings match
        if self.peek() in ("*", "+", "?") or (self.peek() == "{" and self._brace_quantifier() is not None):
            raise self.fail("nothing to repeat")
        return ("rep", atom, low, high)

    def _brace_quantifier(self):
        end = self.p.find("}", self.i)
        if end == -1:
            return None
        body = self.p[self.i + 1:end]
        low, sep, high = body.partition(",")
        if not low.isdigit() or not (high == "" or high.isdigit()) or not low.isascii() or not high.isascii():
            return None
        lo = int(low[:6]) if len(low) <= 6 else MAX_PATTERN_STATES + 1
        hi = None if sep and high == "" else (lo if not sep else (int(high[:6]) if len(high) <= 6 else MAX_PATTERN_STATES + 1))
        if hi is not None and hi < lo:
            raise self.fail("numbers out of order in `{…}`")
        return lo, hi

    def atom(self):
        ch = self.peek()
        if ch == "(":
            self.depth += 1
            if self.depth > 32:
                raise self.fail("groups nest deeper than 32 levels")
            self.i += 1
            if self.p.startswith("?:", self.i):
                self.i += 2
            elif self.peek() == "?":
                kind = {"?=": "lookahead", "?!": "negative lookahead", "?<=": "lookbehind",
                        "?<!": "negative lookbehind"}
                name = next((v for k, v in kind.items() if self.p.startswith(k, self.i)), "a named group")
                raise self.fail(f"{name} is outside the supported subset")
            node = self.alternation()
            if self.peek() != ")":
                raise self.fail("missing `)`")
            self.i += 1
            self.depth -= 1
            return node
        if ch == "[":
            return ("set", self.char_class())
        if ch == ".":
            self.i += 1
            return ("set", _negate(_LINE_TERMINATORS))
        if ch == "^" or ch == "$":
            self.i += 1
            return ("assert", ch)
        if ch == "\\":
            return self.escape(in_class=False)
        if ch in "*+?":
            raise self.fail("nothing to repeat")
        if ch == "{" and self._brace_quantifier() is not None:
            raise self.fail("nothing to repeat")
        if ch in ")]{}":
            raise self.fail(f"a lone `{ch}` (escape it as `\\{ch}`)")
        self.i += 1
        return ("set", ((ord(ch), ord(ch)),))

    def escape(self, in_class: bool):
        self.i += 1
        ch = self.peek()
        if not ch:
            raise self.fail("`\\` at the end of the pattern")
        self.i += 1
        if ch.lower() in _CLASS_ESCAPES:
            ranges = _CLASS_ESCAPES[ch.lower()]
            return ("set", _negate(ranges) if ch.isupper() else ranges)
        if ch == "b" and not in_class:
            return ("assert", ch)
        if ch == "B" and not in_class:
            raise self.fail("`\\B` is outside the supported subset (write `\\b` or a class)")
        if ch == "b" and in_class:
            return ("set", ((8, 8),))
        if ch in _CONTROL_ESCAPES:
            return ("set", ((_CONTROL_ESCAPES[ch],) * 2,))
        if ch == "0" and not self.peek().isdigit():
            return ("set", ((0, 0),))
        if ch == "x":
            return ("set", ((self._hex(2),) * 2,))
        if ch == "u":
            if self.peek() == "{":
                end = self.p.find("}", self.i)
                digits = self.p[self.i + 1:end] if end != -1 else ""
                if not digits or len(digits) > 6 or any(c not in "0123456789abcdefABCDEF" for c in digits) \
                        or int(digits, 16) > _MAX_CODE_POINT:
                    raise self.fail("invalid `\\u{…}` escape")
                self.i = end + 1
                return ("set", ((int(digits, 16),) * 2,))
            value = self._hex(4)
            if 0xD800 <= value <= 0xDBFF and self.p.startswith("\\u", self.i):
                save = self.i
                self.i += 2
                low = self._hex(4)
                if 0xDC00 <= low <= 0xDFFF:
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                else:
                    self.i = save
            return ("set", ((value, value),))
        if ch in _SYNTAX or (in_class and ch == "-"):
            return ("set", ((ord(ch), ord(ch)),))
        if ch.isdigit():
            raise self.fail("a backreference is outside the supported subset")
        if ch in ("p", "P"):
            raise self.fail("a Unicode property escape (`\\p{…}`) is outside the supported subset")
        if ch == "k":
            raise self.fail("a named backreference is outside the supported subset")
        raise self.fail(f"`\\{ch}` is not an escape of ECMA-262 with the `u` flag")

    def _hex(self, n: int) -> int:
        digits = self.p[self.i:self.i + n]
        if len(digits) != n or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise self.fail(f"expected {n} hexadecimal digits")
        self.i += n
        return int(digits, 16)

    def char_class(self) -> tuple:
        self.i += 1
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        ranges: list[tuple[int, int]] = []
        while True:
            ch = self.peek()
            if not ch:
                raise self.fail("missing `]`")
            if ch == "]":
                self.i += 1
                break
            low = self.class_atom()
            if self.peek() == "-" and self.p[self.i + 1:self.i + 2] not in ("]", ""):
                self.i += 1
                high = self.class_atom()
                if len(low) != 1 or len(high) != 1 or low[0][0] != low[0][1] or high[0][0] != high[0][1]:
                    raise self.fail("a class escape cannot bound a range")
                if high[0][0] < low[0][0]:
                    raise self.fail("range out of order in character class")
                ranges.append((low[0][0], high[0][0]))
            else:
                ranges.extend(low)
        result = _normalise(ranges)
        return _negate(result) if negated else result

    def class_atom(self) -> tuple:
        ch = self.peek()
        if ch == "\\":
            node = self.escape(in_class=True)
            return node[1]
        self.i += 1
        return ((ord(ch), ord(ch)),)


def _compile(tree) -> list[tuple]:
    """The tree as a Pike VM program: ("set", ranges) · ("split", a, b) · ("jmp", a)
    · ("assert", kind) · ("match",)."""
    program: list[list] = []

    def emit(node) -> None:
        if len(program) > MAX_PATTERN_STATES:
            raise PatternError(f"the pattern expands to more than {MAX_PATTERN_STATES:,} states "
                               "(large `{n,m}` counts multiply what they repeat)")
        kind = node[0]
        if kind in ("set", "assert"):
            program.append(list(node))
        elif kind == "cat":
            for item in node[1]:
                emit(item)
        elif kind == "alt":
            jumps = []
            for index, branch in enumerate(node[1]):
                if index < len(node[1]) - 1:
                    split = len(program)
                    program.append(["split", split + 1, None])
                    emit(branch)
                    jumps.append(len(program))
                    program.append(["jmp", None])
                    program[split][2] = len(program)
                else:
                    emit(branch)
            for at in jumps:
                program[at][1] = len(program)
        elif kind == "rep":
            _, atom, low, high = node
            for _ in range(low):
                emit(atom)
            if high is None:
                split = len(program)
                program.append(["split", split + 1, None])
                emit(atom)
                program.append(["jmp", split])
                program[split][2] = len(program)
            else:
                ends = []
                for _ in range(high - low):
                    ends.append(len(program))
                    program.append(["split", len(program) + 1, None])
                    emit(atom)
                for at in ends:
                    program[at][2] = len(program)

    emit(tree)
    program.append(["match"])
    if len(program) > MAX_PATTERN_STATES:
        raise PatternError(f"the pattern expands to more than {MAX_PATTERN_STATES:,} states "
                           "(large `{n,m}` counts multiply what they repeat)")
    return [tuple(instr) for instr in program]


class Pattern:
    """A compiled pattern; `search(text)` says whether it matches anywhere in `text`."""

    def __init__(self, source: str) -> None:
        if not isinstance(source, str):
            raise PatternError("a pattern must be a string")
        if len(source) > MAX_PATTERN_LENGTH:
            raise PatternError(f"the pattern has {len(source)} characters; the limit is {MAX_PATTERN_LENGTH}")
        self.source = source
        self.program = _compile(_Parser(source).parse())
        self._lows = [[lo for lo, _ in instr[1]] if instr[0] == "set" else None for instr in self.program]

    def _in_set(self, pc: int, cp: int) -> bool:
        ranges = self.program[pc][1]
        at = bisect_right(self._lows[pc], cp) - 1
        return at >= 0 and cp <= ranges[at][1]

    def search(self, text: str) -> bool:
        program = self.program
        codes = [ord(c) for c in text]
        n = len(codes)
        current: list[int] = []
        seen = [-1] * len(program)
        for pos in range(n + 1):
            # a new attempt starts at every position (the search is unanchored)
            if self._add(current, seen, 0, pos, codes, n):
                return True
            if not current:
                continue
            nxt: list[int] = []
            mark = pos + 1
            cp = codes[pos] if pos < n else -1
            for pc in current:
                if cp >= 0 and self._in_set(pc, cp) and self._add(nxt, seen, pc + 1, mark, codes, n, stamp=mark):
                    return True
            current = nxt
        return False

    def _add(self, threads: list[int], seen: list[int], start: int, pos: int, codes: list[int], n: int,
             stamp: int | None = None) -> bool:
        """Follow the empty moves from `start` at `pos`; keep the states that read a
        character. True if a match state is reached."""
        program = self.program
        stamp = pos if stamp is None else stamp
        stack = [start]
        while stack:
            pc = stack.pop()
            if seen[pc] == stamp:
                continue
            seen[pc] = stamp
            instr = program[pc]
            op = instr[0]
            if op == "set":
                threads.append(pc)
            elif op == "match":
                return True
            elif op == "jmp":
                stack.append(instr[1])
            elif op == "split":
                stack.append(instr[2])
                stack.append(instr[1])
            elif _holds(instr[1], codes, pos, n):
                stack.append(pc + 1)
        return False


def _is_word(codes: list[int], at: int, n: int) -> bool:
    if at < 0 or at >= n:
        return False
    c = codes[at]
    return 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or c == 0x5F or 0x61 <= c <= 0x7A


def _holds(kind: str, codes: list[int], pos: int, n: int) -> bool:
    if kind == "^":
        return pos == 0
    if kind == "$":
        return pos == n
    return _is_word(codes, pos - 1, n) != _is_word(codes, pos, n)


@lru_cache(maxsize=512)
def compile_pattern(source: str) -> Pattern:
    """The compiled pattern, or PatternError saying what is outside the subset."""
    try:
        return Pattern(source)
    except PatternError as exc:
        raise PatternError(f"{source[:80]!r}{'…' if len(source) > 80 else ''}: {exc}") from None
