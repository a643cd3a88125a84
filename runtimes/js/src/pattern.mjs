// `pattern`: a linear-time matcher for a safe subset of ECMA-262 regular expressions (the
// twin of promptc/runtime/pattern.py; read its docstring for the subset). V8's RegExp
// backtracks, so `^(a+)+$` on 30 `a`s and a `!` blocks the event loop for seconds; this Pike
// VM advances every live state at once, in time proportional to input length × pattern size.

export const MAX_PATTERN_LENGTH = 1000;
export const MAX_PATTERN_STATES = 10000;

const SYNTAX = new Set("^$\\.*+?()[]{}|/");
const DIGIT = [[0x30, 0x39]];
const WORD = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const SPACE = [[0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a],
  [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]];
const LINE_TERMINATORS = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];
const MAX_CODE_POINT = 0x10ffff;
const CLASS_ESCAPES = { d: DIGIT, w: WORD, s: SPACE };
const CONTROL_ESCAPES = { t: 9, n: 10, v: 11, f: 12, r: 13 };
const HEX = /^[0-9a-fA-F]+$/;

/** A `pattern` outside the supported ECMA-262 subset, or not a regular expression. */
export class PatternError extends Error {}

function normalise(ranges) {
  const out = [];
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
    if (out.length && lo <= out[out.length - 1][1] + 1) out[out.length - 1][1] = Math.max(out[out.length - 1][1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function negate(ranges) {
  const out = [];
  let low = 0;
  for (const [lo, hi] of normalise(ranges)) {
    if (lo > low) out.push([low, lo - 1]);
    low = hi + 1;
  }
  if (low <= MAX_CODE_POINT) out.push([low, MAX_CODE_POINT]);
  return out;
}

const isDigits = (s) => s.length > 0 && /^[0-9]+$/.test(s);

class Parser {
  constructor(pattern) {
    this.p = [...pattern]; // code points, as Python indexes its str
    this.i = 0;
    this.depth = 0;
  }
  fail(what) {
    return new PatternError(`${what} at position ${this.i} of the pattern`);
  }
  peek() {
    return this.i < this.p.length ? this.p[this.i] : "";
  }
  startsWith(s, at = this.i) {
    return this.p.slice(at, at + [...s].length).join("") === s;
  }
  find(ch, from) {
    const at = this.p.indexOf(ch, from);
    return at;
  }
  parse() {
    const node = this.alternation();
    if (this.i < this.p.length) throw this.fail("unmatched `)`");
    return node;
  }
  alternation() {
    const branches = [this.sequence()];
    while (this.peek() === "|") {
      this.i += 1;
      branches.push(this.sequence());
    }
    return branches.length === 1 ? branches[0] : ["alt", branches];
  }
  sequence() {
    const items = [];
    while (this.i < this.p.length && !"|)".includes(this.peek())) items.push(this.quantified(this.atom()));
    return ["cat", items];
  }
  quantified(atom) {
    const ch = this.peek();
    let low, high;
    if (ch === "*" || ch === "+" || ch === "?") {
      this.i += 1;
      [low, high] = { "*": [0, null], "+": [1, null], "?": [0, 1] }[ch];
    } else if (ch === "{" && this.braceQuantifier() !== null) {
      [low, high] = this.braceQuantifier();
      this.i = this.find("}", this.i) + 1;
    } else return atom;
    if (atom[0] === "assert") throw this.fail("a quantifier after an assertion (`^`, `$`, `\\b`)");
    if (this.peek() === "?") this.i += 1;
    if ("*+?".includes(this.peek()) && this.peek() !== "" || (this.peek() === "{" && this.braceQuantifier() !== null)) throw this.fail("nothing to repeat");
    return ["rep", atom, low, high];
  }
  braceQuantifier() {
    const end = this.find("}", this.i);
    if (end === -1) return null;
    const body = this.p.slice(this.i + 1, end).join("");
    const comma = body.indexOf(",");
    const low = comma === -1 ? body : body.slice(0, comma);
    const high = comma === -1 ? "" : body.slice(comma + 1);
    if (!isDigits(low) || !(high === "" || isDigits(high))) return null;
    const lo = low.length <= 6 ? parseInt(low, 10) : MAX_PATTERN_STATES + 1;
    const hi = comma !== -1 && high === "" ? null : comma === -1 ? lo : high.length <= 6 ? parseInt(high, 10) : MAX_PATTERN_STATES + 1;
    if (hi !== null && hi < lo) throw this.fail("numbers out of order in `{…}`");
    return [lo, hi];
  }
  atom() {
    const ch = this.peek();
    if (ch === "(") {
      this.depth += 1;
      if (this.depth > 32) throw this.fail("groups nest deeper than 32 levels");
      this.i += 1;
      if (this.startsWith("?:")) this.i += 2;
      else if (this.peek() === "?") {
        const kinds = [["?=", "lookahead"], ["?!", "negative lookahead"], ["?<=", "lookbehind"], ["?<!", "negative lookbehind"]];
        const found = kinds.find(([k]) => this.startsWith(k));
        throw this.fail(`${found ? found[1] : "a named group"} is outside the supported subset`);
      }
      const node = this.alternation();
      if (this.peek() !== ")") throw this.fail("missing `)`");
      this.i += 1;
      this.depth -= 1;
      return node;
    }
    if (ch === "[") return ["set", this.charClass()];
    if (ch === ".") {
      this.i += 1;
      return ["set", negate(LINE_TERMINATORS)];
    }
    if (ch === "^" || ch === "$") {
      this.i += 1;
      return ["assert", ch];
    }
    if (ch === "\\") return this.escape(false);
    if ("*+?".includes(ch)) throw this.fail("nothing to repeat");
    if (ch === "{" && this.braceQuantifier() !== null) throw this.fail("nothing to repeat");
    if (")]{}".includes(ch)) throw this.fail(`a lone \`${ch}\` (escape it as \`\\${ch}\`)`);
    this.i += 1;
    const cp = ch.codePointAt(0);
    return ["set", [[cp, cp]]];
  }
  escape(inClass) {
    this.i += 1;
    const ch = this.peek();
    if (!ch) throw this.fail("`\\` at the end of the pattern");
    this.i += 1;
    const lower = ch.toLowerCase();
    if (Object.hasOwn(CLASS_ESCAPES, lower) && ch.length === 1) {
      const ranges = CLASS_ESCAPES[lower];
      return ["set", ch !== lower ? negate(ranges) : ranges];
    }
    if (ch === "b" && !inClass) return ["assert", ch];
    if (ch === "B" && !inClass) throw this.fail("`\\B` is outside the supported subset (write `\\b` or a class)");
    if (ch === "b" && inClass) return ["set", [[8, 8]]];
    if (Object.hasOwn(CONTROL_ESCAPES, ch)) return ["set", [[CONTROL_ESCAPES[ch], CONTROL_ESCAPES[ch]]]];
    if (ch === "0" && !/[0-9]/.test(this.peek())) return ["set", [[0, 0]]];
    if (ch === "x") {
      const v = this.hex(2);
      return ["set", [[v, v]]];
    }
    if (ch === "u") {
      if (this.peek() === "{") {
        const end = this.find("}", this.i);
        const digits = end !== -1 ? this.p.slice(this.i + 1, end).join("") : "";
        if (!digits || digits.length > 6 || !HEX.test(digits) || parseInt(digits, 16) > MAX_CODE_POINT) throw this.fail("invalid `\\u{…}` escape");
        this.i = end + 1;
        const v = parseInt(digits, 16);
        return ["set", [[v, v]]];
      }
      let value = this.hex(4);
      if (value >= 0xd800 && value <= 0xdbff && this.startsWith("\\u")) {
        const save = this.i;
        this.i += 2;
        const low = this.hex(4);
        if (low >= 0xdc00 && low <= 0xdfff) value = 0x10000 + ((value - 0xd800) << 10) + (low - 0xdc00);
        else this.i = save;
      }
      return ["set", [[value, value]]];
    }
    if (SYNTAX.has(ch) || (inClass && ch === "-")) {
      const cp = ch.codePointAt(0);
      return ["set", [[cp, cp]]];
    }
    if (/^[0-9]$/.test(ch)) throw this.fail("a backreference is outside the supported subset");
    if (ch === "p" || ch === "P") throw this.fail("a Unicode property escape (`\\p{…}`) is outside the supported subset");
    if (ch === "k") throw this.fail("a named backreference is outside the supported subset");
    throw this.fail(`\`\\${ch}\` is not an escape of ECMA-262 with the \`u\` flag`);
  }
  hex(n) {
    const digits = this.p.slice(this.i, this.i + n).join("");
    if (digits.length !== n || !HEX.test(digits)) throw this.fail(`expected ${n} hexadecimal digits`);
    this.i += n;
    return parseInt(digits, 16);
  }
  charClass() {
    this.i += 1;
    const negated = this.peek() === "^";
    if (negated) this.i += 1;
    const ranges = [];
    for (;;) {
      const ch = this.peek();
      if (!ch) throw this.fail("missing `]`");
      if (ch === "]") {
        this.i += 1;
        break;
      }
      const low = this.classAtom();
      const next = this.p[this.i + 1] ?? "";
      if (this.peek() === "-" && next !== "]" && next !== "") {
        this.i += 1;
        const high = this.classAtom();
        if (low.length !== 1 || high.length !== 1 || low[0][0] !== low[0][1] || high[0][0] !== high[0][1]) throw this.fail("a class escape cannot bound a range");
        if (high[0][0] < low[0][0]) throw this.fail("range out of order in character class");
        ranges.push([low[0][0], high[0][0]]);
      } else ranges.push(...low);
    }
    const result = normalise(ranges);
    return negated ? negate(result) : result;
  }
  classAtom() {
    const ch = this.peek();
    if (ch === "\\") return this.escape(true)[1];
    this.i += 1;
    const cp = ch.codePointAt(0);
    return [[cp, cp]];
  }
}

function tooLarge() {
  return new PatternError(`the pattern expands to more than ${MAX_PATTERN_STATES.toLocaleString("en-US")} states (large \`{n,m}\` counts multiply what they repeat)`);
}

function compileTree(tree) {
  const program = [];
  const emit = (node) => {
    if (program.length > MAX_PATTERN_STATES) throw tooLarge();
    const kind = node[0];
    if (kind === "set" || kind === "assert") program.push([...node]);
    else if (kind === "cat") for (const item of node[1]) emit(item);
    else if (kind === "alt") {
      const jumps = [];
      node[1].forEach((branch, index) => {
        if (index < node[1].length - 1) {
          const split = program.length;
          program.push(["split", split + 1, null]);
          emit(branch);
          jumps.push(program.length);
          program.push(["jmp", null]);
          program[split][2] = program.length;
        } else emit(branch);
      });
      for (const at of jumps) program[at][1] = program.length;
    } else if (kind === "rep") {
      const [, atom, low, high] = node;
      for (let k = 0; k < low; k++) emit(atom);
      if (high === null) {
        const split = program.length;
        program.push(["split", split + 1, null]);
        emit(atom);
        program.push(["jmp", split]);
        program[split][2] = program.length;
      } else {
        const ends = [];
        for (let k = 0; k < high - low; k++) {
          ends.push(program.length);
          program.push(["split", program.length + 1, null]);
          emit(atom);
        }
        for (const at of ends) program[at][2] = program.length;
      }
    }
  };
  emit(tree);
  program.push(["match"]);
  if (program.length > MAX_PATTERN_STATES) throw tooLarge();
  return program;
}

const isWord = (codes, at) => {
  if (at < 0 || at >= codes.length) return false;
  const c = codes[at];
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x61 && c <= 0x7a);
};

function holds(kind, codes, pos) {
  if (kind === "^") return pos === 0;
  if (kind === "$") return pos === codes.length;
  return isWord(codes, pos - 1) !== isWord(codes, pos);
}

function inSet(ranges, cp) {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[mid][0]) hi = mid - 1;
    else if (cp > ranges[mid][1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** A compiled pattern; `test(text)` says whether it matches anywhere in `text`. It has the
 * shape Ajv's `code.regExp` option expects of a RegExp. */
export class Pattern {
  constructor(source) {
    if (typeof source !== "string") throw new PatternError("a pattern must be a string");
    const length = [...source].length;
    if (length > MAX_PATTERN_LENGTH) throw new PatternError(`the pattern has ${length} characters; the limit is ${MAX_PATTERN_LENGTH}`);
    this.source = source;
    this.program = compileTree(new Parser(source).parse());
  }

  // Ajv keys its cache of compiled patterns by this text.
  toString() {
    return `/${this.source}/u`;
  }

  test(text) {
    const program = this.program;
    const codes = [];
    for (const ch of text) codes.push(ch.codePointAt(0));
    const n = codes.length;
    const seen = new Int32Array(program.length).fill(-1);
    const add = (threads, start, pos) => {
      const stack = [start];
      while (stack.length) {
        const pc = stack.pop();
        if (seen[pc] === pos) continue;
        seen[pc] = pos;
        const instr = program[pc];
        const op = instr[0];
        if (op === "set") threads.push(pc);
        else if (op === "match") return true;
        else if (op === "jmp") stack.push(instr[1]);
        else if (op === "split") stack.push(instr[2], instr[1]);
        else if (holds(instr[1], codes, pos)) stack.push(pc + 1);
      }
      return false;
    };
    let current = [];
    for (let pos = 0; pos <= n; pos++) {
      if (add(current, 0, pos)) return true;
      if (!current.length) continue;
      const next = [];
      if (pos < n) {
        const cp = codes[pos];
        for (const pc of current) if (inSet(program[pc][1], cp) && add(next, pc + 1, pos + 1)) return true;
      }
      current = next;
    }
    return false;
  }
}

const cache = new Map();
/** The compiled pattern, or PatternError saying what is outside the subset. */
export function compilePattern(source) {
  let compiled = cache.get(source);
  if (compiled) return compiled;
  try {
    compiled = new Pattern(source);
  } catch (err) {
    if (!(err instanceof PatternError)) throw err;
    const shown = [...source].slice(0, 80).join("");
    throw new PatternError(`${JSON.stringify(shown)}${[...source].length > 80 ? "…" : ""}: ${err.message}`);
  }
  if (cache.size >= 512) cache.delete(cache.keys().next().value);
  cache.set(source, compiled);
  return compiled;
}

/** For Ajv's `code.regExp`: every `pattern` of a schema goes through this matcher. */
export function ajvRegExp(source, _flags) {
  return compilePattern(source);
}
ajvRegExp.code = "ajvRegExp";
