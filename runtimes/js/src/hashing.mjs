// RFC 8785 (JCS) canonical JSON and the bundle hash: "sha256:" + hex(sha256(JCS(spec))).
//
// This is the RFC's own algorithm for ECMAScript (its appendix): keys sorted by UTF-16 code
// units, numbers as Number#toString, strings as JSON.stringify. Like the Python runtime, it
// refuses what JCS cannot carry exactly: NaN and infinities, integers beyond ±(2**53 - 1)
// and strings with lone surrogates.

import { createHash } from "node:crypto";
import { Float } from "./values.mjs";

export class CanonicalizationError extends Error {}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function string(s) {
  if (LONE_SURROGATE.test(s)) throw new CanonicalizationError(`${JSON.stringify(s)} contains a lone surrogate`);
  return JSON.stringify(s);
}

function serialize(v, out) {
  if (v instanceof Float) v = v.value;
  if (v === null) out.push("null");
  else if (typeof v === "boolean") out.push(v ? "true" : "false");
  else if (typeof v === "string") out.push(string(v));
  else if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new CanonicalizationError(`${v} is not representable in JCS`);
    out.push(String(v));
  } else if (typeof v === "bigint") {
    throw new CanonicalizationError(`${v} exceeds the safe integer domain of JSON numbers`);
  } else if (Array.isArray(v)) {
    out.push("[");
    v.forEach((item, i) => {
      if (i) out.push(",");
      serialize(item, out);
    });
    out.push("]");
  } else if (typeof v === "object") {
    out.push("{");
    Object.keys(v).sort().forEach((k, i) => {
      out.push(i ? "," : "", string(k), ":");
      serialize(v[k], out);
    });
    out.push("}");
  } else {
    throw new CanonicalizationError(`a ${typeof v} is not a JSON value`);
  }
}

/** The RFC 8785 canonical JSON text of a value (encode it as UTF-8 to hash it). */
export function canonicalJson(value) {
  const out = [];
  serialize(value, out);
  return out.join("");
}

/** `"sha256:" + hex digest` of the canonical JSON of `spec`. */
export function specHash(spec) {
  return "sha256:" + createHash("sha256").update(canonicalJson(spec), "utf8").digest("hex");
}
