// The limits both runtimes enforce (the twin of promptc/runtime/limits.py; a test holds the
// two tables to each other). docs/limits.md lists each one with the error it gives.

import { Float, tojson } from "./values.mjs";

/** Integers must lie in ±(2^53 − 1). */
export const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
/** A JSON document (bundle or inputs) nests arrays and objects at most this deep. */
export const MAX_JSON_DEPTH = 160;
/** A bundle's message content nests `if`/`for` bodies and expressions at most this deep. */
export const MAX_IR_DEPTH = 32;
/** A string in an inputs object or a bundle is at most this many characters (code points). */
export const MAX_STRING_LENGTH = 4 * 1024 * 1024;
/** A number in a bundle's JSON is written in at most this many characters. */
export const MAX_NUMBER_LENGTH = 400;
/** A bundle or an inputs file is at most this many bytes. */
export const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;
/** An error message quotes at most this many characters of a value's JSON. */
export const MAX_QUOTED = 80;

const IR_KINDS = new Set(["if", "for", "filter", "compare", "and", "or", "not"]);

/** How deep `if`/`for` bodies and expressions nest in bundle content (iteratively). */
export function irDepth(content) {
  let deepest = 0;
  const stack = [[content, 0]];
  while (stack.length) {
    let [value, depth] = stack.pop();
    if (Array.isArray(value)) for (const v of value) stack.push([v, depth]);
    else if (value !== null && typeof value === "object" && !(value instanceof Float)) {
      if (IR_KINDS.has(value.kind)) deepest = Math.max(deepest, ++depth);
      for (const v of Object.values(value)) if (v !== null && typeof v === "object") stack.push([v, depth]);
    }
  }
  return deepest;
}

/** How deep arrays and objects nest (iteratively); stops past `stop`, so a value that
 * contains itself counts as too deep instead of looping. */
export function jsonDepth(value, stop = MAX_JSON_DEPTH) {
  let deepest = 0;
  const stack = [[value, 0]];
  while (stack.length) {
    const [item, d] = stack.pop();
    if (item !== null && typeof item === "object" && !(item instanceof Float)) {
      const depth = d + 1;
      deepest = Math.max(deepest, depth);
      if (deepest > stop) return deepest;
      for (const v of Array.isArray(item) ? item : Object.values(item)) stack.push([v, depth]);
    }
  }
  return deepest;
}

/** A string's length in code points (as Python counts), without copying it. */
export function codePoints(s) {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** True if `s` is longer than MAX_STRING_LENGTH code points (counted only near the limit:
 * a string of twice as many UTF-16 units has more code points than that). */
export const tooLong = (s) => s.length > 2 * MAX_STRING_LENGTH || (s.length > MAX_STRING_LENGTH && codePoints(s) > MAX_STRING_LENGTH);

/** A value for an error message: its JSON, cut to MAX_QUOTED characters and marked `…`. */
export function show(value) {
  const text = typeof value === "string" && value.length > 4 * MAX_QUOTED ? JSON.stringify(value.slice(0, 4 * MAX_QUOTED)) : tojson(value);
  const cps = [...text.slice(0, 4 * MAX_QUOTED)];
  return cps.length > MAX_QUOTED || text.length > 4 * MAX_QUOTED ? cps.slice(0, MAX_QUOTED).join("") + "…" : text;
}
