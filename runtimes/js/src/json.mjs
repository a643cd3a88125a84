// A strict JSON parser that keeps what JSON.parse loses: whether a number was written as a
// float and the exact value of large integers. Integral floats below 1e16 render as integers
// (`1.0` and `1` both render "1"), but the distinction still shows from 1e16 on (`1e16`
// renders "1e+16", `10000000000000000` every digit) and in type names (`number` /
// `integer`). It also refuses duplicate keys, on which parsers disagree (so a duplicate could
// make two runtimes render different text for one verified hash), and NaN/Infinity, which
// are not JSON. The grammar and whitespace are RFC 8259's, as Python's json module reads it.

// Strings are scanned by a loop, not the token regex (a regex over a string of megabytes
// overflows V8's backtracking stack); containers nest at most MAX_JSON_DEPTH deep; one leading
// byte-order mark is skipped and a second is an error, as in Python.
import { MAX_JSON_DEPTH, MAX_NUMBER_LENGTH } from "./limits.mjs";
import { Float } from "./values.mjs";

export class JsonSyntaxError extends Error {}

const TOKEN =
  /[ \t\n\r]*(?:([{}[\],:])|(")|(-?(?:0|[1-9][0-9]*)(?:(\.[0-9]+)|)(?:([eE][+-]?[0-9]+)|))|(true|false|null))/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

export function parseJson(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let pos = 0;
  let depth = 0;

  function fail(what) {
    const before = text.slice(0, pos);
    const line = before.split("\n").length;
    const column = pos - before.lastIndexOf("\n");
    throw new JsonSyntaxError(`invalid JSON at line ${line} column ${column}: ${what}`);
  }

  function next() {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (m === null) {
      while (/[ \t\n\r]/.test(text[pos] ?? "")) pos++;
      fail(pos >= text.length ? "unexpected end of input" : `unexpected character ${JSON.stringify(text[pos])}`);
    }
    pos = TOKEN.lastIndex;
    if (m[2] !== undefined) m[2] = scanString(pos - 1);
    return m;
  }

  // The raw text of the string whose opening quote is at `start`; leaves `pos` after it.
  function scanString(start) {
    let i = start + 1;
    let quote = -2;
    let slash = -2;
    for (;;) {
      if (quote !== -1 && quote < i) quote = text.indexOf('"', i);
      if (slash !== -1 && slash < i) slash = text.indexOf("\\", i);
      const stop = quote === -1 ? text.length : quote;
      for (let j = i; j < (slash !== -1 && slash < stop ? slash : stop); j++) {
        if (text.charCodeAt(j) < 0x20) {
          pos = j;
          fail(`unexpected control character in a string`);
        }
      }
      if (slash !== -1 && slash < stop) {
        ESCAPE.lastIndex = slash;
        if (!ESCAPE.test(text)) {
          pos = slash;
          fail("invalid escape in a string");
        }
        i = ESCAPE.lastIndex;
        continue;
      }
      if (quote === -1) {
        pos = text.length;
        fail("unexpected end of input in a string");
      }
      pos = quote + 1;
      return text.slice(start, quote + 1);
    }
  }

  function value(m) {
    const [, punct, str, num, frac, exp, word] = m;
    if (str !== undefined) return JSON.parse(str);
    if (num !== undefined) {
      if (num.length > MAX_NUMBER_LENGTH) {
        pos -= num.length;
        fail(`a number of ${num.length} characters; the limit is ${MAX_NUMBER_LENGTH}`);
      }
      const x = Number(num);
      if (frac !== undefined || exp !== undefined) return Number.isInteger(x) ? new Float(x) : x;
      return Number.isSafeInteger(x) ? x : BigInt(num);
    }
    if (word !== undefined) return word === "null" ? null : word === "true";
    if ((punct === "[" || punct === "{") && ++depth > MAX_JSON_DEPTH) {
      pos -= 1;
      fail(`nests deeper than ${MAX_JSON_DEPTH} levels`);
    }
    if (punct === "[") {
      const out = [];
      let t = next();
      if (t[1] === "]") return depth--, out;
      for (;;) {
        out.push(value(t));
        t = next();
        if (t[1] === "]") return depth--, out;
        if (t[1] !== ",") fail("expected ',' or ']'");
        t = next();
      }
    }
    if (punct === "{") {
      const out = {};
      let t = next();
      if (t[1] === "}") return depth--, out;
      for (;;) {
        if (t[2] === undefined) fail("expected a string key");
        const key = JSON.parse(t[2]);
        if (next()[1] !== ":") fail("expected ':'");
        if (Object.hasOwn(out, key)) throw new JsonSyntaxError(`JSON repeats the key ${JSON.stringify(key)}`);
        // defineProperty: a key named "__proto__" is data, not the object's prototype.
        Object.defineProperty(out, key, { value: value(next()), enumerable: true, writable: true, configurable: true });
        t = next();
        if (t[1] === "}") return depth--, out;
        if (t[1] !== ",") fail("expected ',' or '}'");
        t = next();
      }
    }
    pos -= 1; // punct is the token's one character
    return fail(`unexpected ${JSON.stringify(punct)}`);
  }

  const result = value(next());
  if (!/^[ \t\n\r]*$/.test(text.slice(pos))) {
    while (/[ \t\n\r]/.test(text[pos])) pos++;
    fail("extra data after the JSON value");
  }
  return result;
}
