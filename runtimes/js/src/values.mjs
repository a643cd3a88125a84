// JSON value semantics shared by the renderer: type names, truthiness, stringify, tojson and
// deep equality, exactly as docs/bundle-format.md defines them (and promptc.runtime.values
// implements them in Python).
//
// The value model. JSON has one number type; promptc keeps integers and floats apart for
// type names (`integer` / `number` in messages) and for large magnitudes, where the two
// render differently (the float 1e16 as `1e+16`, the integer as `10000000000000000`). So:
//   - a JS number that is an integer is an integer (`1`, `-0` prints as `0`);
//   - a JS number that is not an integer (`0.5`, NaN, ±Infinity) is a float;
//   - a `Float` holds a float whose value is integral (JSON `1.0`, `1e16`, `-0.0`);
//   - a `bigint` is an integer beyond ±(2**53 - 1), kept exact (JSON `12345678901234567890`).
// A float whose value is integral and below 1e16 in magnitude renders as the integer (`2.0`
// as `2`, `-0.0` as `0`): the bundle hash (RFC 8785) writes 2.0 and 2 as the same bytes, so
// the hash cannot tell 2.0 from 2, and neither may the rendering.
// parseJson (json.mjs) produces exactly this model from JSON text; callers of the API who
// pass plain objects get integers for integral numbers unless they wrap them in `Float`.

export class Float {
  constructor(value) {
    this.value = Number(value);
  }
  valueOf() {
    return this.value;
  }
  toJSON() {
    return this.value;
  }
}

export const isNumber = (v) => typeof v === "number" || typeof v === "bigint" || v instanceof Float;
export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Float);
const isFloat = (v) => v instanceof Float || (typeof v === "number" && !Number.isInteger(v));

export function typeName(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "string") return "string";
  if (Array.isArray(v)) return "array";
  if (isNumber(v)) return isFloat(v) ? "number" : "integer";
  return "object";
}

/** null, false, 0, 0.0, "", [] and {} are false; everything else is true. */
export function truthy(v) {
  if (v === null || v === undefined) return false;
  switch (typeof v) {
    case "boolean": return v;
    case "number": return v !== 0; // NaN is true, as in Python
    case "bigint": return v !== 0n;
    case "string": return v.length > 0;
  }
  if (v instanceof Float) return v.value !== 0;
  return Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0;
}

/** Python's repr() of a float: shortest round-trip digits, laid out as Python does. */
export function floatRepr(x) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  // toExponential() without an argument gives the shortest digits that round-trip.
  const [mantissa, e] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(e);
  if (exp < -4 || exp >= 16) {
    const frac = digits.length > 1 ? "." + digits.slice(1) : "";
    return `${sign}${digits[0]}${frac}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const whole = digits.padEnd(exp + 1, "0");
  return `${sign}${whole.slice(0, exp + 1)}.${whole.slice(exp + 1) || "0"}`;
}

/** Integral floats below this magnitude render as integers; from it on, as float text. */
const INTEGRAL_LIMIT = 1e16;

function numberText(v, json) {
  if (typeof v === "bigint") return v.toString();
  const x = Number(v);
  if (isFloat(v)) {
    // Below 1e16 an integral double's decimal digits are exactly its shortest round-trip
    // digits, so String(x) is the integer text (and String(-0) is "0").
    if (Number.isInteger(x) && Math.abs(x) < INTEGRAL_LIMIT) return String(x);
    if (json && !Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
    return floatRepr(x);
  }
  return Number.isSafeInteger(x) ? String(x) : BigInt(x).toString();
}

/** Order of two strings by code point (JS's < compares UTF-16 code units). */
export function compareStrings(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.codePointAt(i) - b.codePointAt(i);
  }
  return a.length - b.length;
}

const ESCAPES = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };
const quote = (s) =>
  '"' + s.replace(/["\\\u0000-\u001f]/g, (c) => ESCAPES[c] ?? "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")) + '"';

/** JSON with keys sorted by code point, ", " and ": " separators, non-ASCII kept as is. */
export function tojson(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return quote(v);
  if (isNumber(v)) return numberText(v, true);
  if (Array.isArray(v)) return "[" + v.map(tojson).join(", ") + "]";
  const keys = Object.keys(v).sort(compareStrings);
  return "{" + keys.map((k) => quote(k) + ": " + tojson(v[k])).join(", ") + "}";
}

/** The text an `expr` node renders for a value. */
export function stringify(v) {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (isNumber(v)) return numberText(v, false);
  return tojson(v);
}

/** JSON deep equality: 1 == 1.0, but true != 1 and "1" != 1. */
export function jsonEqual(a, b) {
  if (isNumber(a) && isNumber(b)) {
    // == between a bigint and a number compares exact values, as Python does.
    return (typeof a === "bigint" ? a : Number(a)) == (typeof b === "bigint" ? b : Number(b)); // eslint-disable-line eqeqeq
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return (a ?? null) === (b ?? null);
}

/** A deep copy with `Float`s turned into numbers and bigints into (nearest) numbers: for
 * JSON Schema validation and for handing spec parts to callers. */
export function toPlain(v) {
  if (v instanceof Float) return v.value;
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(toPlain);
  if (isObject(v)) {
    const out = {};
    for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: toPlain(v[k]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}
