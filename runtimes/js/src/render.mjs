// Render bundle IR (docs/bundle-format.md) to text: a pure walk over the JSON tree. Nodes
// append strings to one output array, expressions return JSON values. Scopes are an array of
// objects, outermost (the inputs) first; each `for` node adds one frame holding its variable
// and its loop fields (under `loop`, or the node's `loop` name). Every rule here mirrors
// promptc/runtime/render.py byte for byte.

import { lower, upper } from "./casing.mjs";
import { BundleFormatError, RenderError } from "./errors.mjs";
import { compareStrings, isNumber, isObject, jsonEqual, stringify, tojson, truthy, typeName } from "./values.mjs";

// The Unicode White_Space property, spelled out (String#trim and Python's str.strip() each
// disagree with it on a few characters).
export const WHITESPACE = "\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005" +
  "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
const SPACE = new Set(WHITESPACE);
const WORD = new RegExp(`[^${WHITESPACE}]+`, "gu");

/** Render one message's content nodes against validated inputs (defaults applied). */
export function renderContent(nodes, inputs) {
  const out = [];
  renderNodes(nodes, [inputs], out);
  return out.join("");
}

function renderNodes(nodes, scopes, out) {
  for (const node of nodes) {
    switch (node.kind) {
      case "text": out.push(node.text); break;
      case "expr": out.push(stringify(evaluate(node.expr, scopes))); break;
      case "if": {
        const branch = node.branches.find((b) => truthy(evaluate(b.cond, scopes)));
        renderNodes(branch ? branch.body : node.else, scopes, out);
        break;
      }
      case "for": {
        const items = evaluate(node.iter, scopes);
        if (items === null) break; // an optional list that was not given renders nothing
        if (!Array.isArray(items)) throw new RenderError(`\`for ${node.var}\` needs a list, got ${typeName(items)}`);
        const frame = Object.create(null); // a loop variable may be named __proto__
        const inner = [...scopes, frame];
        const loop = node.loop ?? "loop"; // the name of the loop fields: a fragment's loop may rename them
        items.forEach((item, i) => {
          frame[node.var] = item;
          frame[loop] = { index: i + 1, first: i === 0, last: i === items.length - 1 };
          renderNodes(node.body, inner, out);
        });
        break;
      }
      default:
        throw new BundleFormatError(`unknown IR node kind ${JSON.stringify(node.kind)}`);
    }
  }
}

/** The JSON value of an IR expression (null, never undefined). */
export function evaluate(expr, scopes) {
  switch (expr.kind) {
    case "var": return lookup(expr.path, scopes);
    case "const": return expr.value;
    case "filter": {
      const fn = Object.hasOwn(FILTERS, expr.name) ? FILTERS[expr.name] : null;
      if (fn === null) throw new BundleFormatError(`unknown filter ${JSON.stringify(expr.name)}`);
      const args = (expr.args ?? []).map((a) => evaluate(a, scopes));
      return fn(evaluate(expr.arg, scopes), ...args);
    }
    case "compare": return compare(expr.op, evaluate(expr.left, scopes), evaluate(expr.right, scopes));
    case "and": return expr.args.every((a) => truthy(evaluate(a, scopes))); // stops at the first false
    case "or": return expr.args.some((a) => truthy(evaluate(a, scopes)));
    case "not": return !truthy(evaluate(expr.arg, scopes));
    default:
      throw new BundleFormatError(`unknown IR expression kind ${JSON.stringify(expr.kind)}`);
  }
}

function lookup(path, scopes) {
  const frame = scopes.findLast((f) => Object.hasOwn(f, path[0]));
  if (frame === undefined) return null;
  let value = frame[path[0]];
  for (const field of path.slice(1)) {
    if (!isObject(value) || !Object.hasOwn(value, field)) return null;
    value = value[field];
  }
  return value ?? null;
}

const ORDER = { "<": (c) => c < 0, "<=": (c) => c <= 0, ">": (c) => c > 0, ">=": (c) => c >= 0 };
const num = (v) => (typeof v === "bigint" ? v : Number(v));

/** Apply a `compare` operator to two JSON values. */
export function compare(op, left, right) {
  if (op === "==" || op === "!=") return jsonEqual(left, right) === (op === "==");
  if (op === "in" || op === "not-in") {
    let found;
    if (Array.isArray(right)) found = right.some((item) => jsonEqual(left, item));
    else if (typeof right === "string" && typeof left === "string") found = right.includes(left);
    else if (right === null) found = false;
    else throw new RenderError(`\`${op}\` needs a list, or a string in a string; got ${typeName(left)} ${op} ${typeName(right)}`);
    return found === (op === "in");
  }
  if (!Object.hasOwn(ORDER, op)) throw new BundleFormatError(`unknown comparison operator ${JSON.stringify(op)}`);
  if (isNumber(left) && isNumber(right)) {
    const [a, b] = [num(left), num(right)]; // < between bigint and number is exact
    return ORDER[op](a < b ? -1 : a > b ? 1 : a == b ? 0 : NaN); // eslint-disable-line eqeqeq
  }
  if (typeof left === "string" && typeof right === "string") return ORDER[op](compareStrings(left, right));
  throw new RenderError(`\`${op}\` compares two numbers or two strings; got ${typeName(left)} ${op} ${typeName(right)}`);
}

function trim(value) {
  const s = stringify(value);
  let [start, end] = [0, s.length];
  while (start < end && SPACE.has(s[start])) start++;
  while (end > start && SPACE.has(s[end - 1])) end--;
  return s.slice(start, end);
}

// Each run of non-White_Space: its first code point upper-cased, the rest lower-cased.
const title = (value) => stringify(value).replace(WORD, (w) => {
  const first = String.fromCodePoint(w.codePointAt(0));
  return upper(first) + lower(w.slice(first.length));
});

function join(value, sep) {
  if (value === null) return "";
  if (!Array.isArray(value)) throw new RenderError(`\`join\` needs a list, got ${typeName(value)}`);
  return value.map(stringify).join(stringify(sep));
}

const PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

function length(value) {
  if (value === null) return 0;
  if (typeof value === "string") return value.length - (value.match(PAIR)?.length ?? 0); // code points
  if (Array.isArray(value)) return value.length;
  if (isObject(value)) return Object.keys(value).length;
  throw new RenderError(`\`length\` needs a string, list or object, got ${typeName(value)}`);
}

export const FILTERS = {
  upper: (value) => upper(stringify(value)),
  lower: (value) => lower(stringify(value)),
  trim,
  title,
  join,
  default: (value, fallback) => (value === null ? fallback : value),
  length,
  tojson,
};
