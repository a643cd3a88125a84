// Sticky assignment of a key (a user id, a session) to a rollout arm: the twin of
// promptc/runtime/bucketing.py, held to it by tests/conformance/bucketing/vectors.json.
//
//   n      = BigInt("0x" + first 15 hex digits of sha256(UTF-8("salt:prompt:key")))
//   bucket = n / 16**15                       (a number in [0, 1))
//   arm    = the first i with  n * total < (w0 + … + wi) * 16**15
//
// n has 60 bits, more than a double holds exactly, and a float comparison would pick the
// other arm for keys next to a boundary; so the arm is chosen with BigInt arithmetic.

import { createHash } from "node:crypto";

export const SCALE = 16n ** 15n;

/** The key's integer in [0, 16**15) for this salt and prompt. */
export function bucketNumber(salt, prompt, key) {
  const hex = createHash("sha256").update(`${salt}:${prompt}:${key}`, "utf8").digest("hex");
  return BigInt("0x" + hex.slice(0, 15));
}

/** The key's position in [0, 1) (for traces; the arm is chosen on integers). */
export function bucket(salt, prompt, key) {
  return Number(bucketNumber(salt, prompt, key)) / 2 ** 60;
}

function asWeight(w) {
  if (typeof w === "bigint" && w >= 0n) return w;
  if (typeof w === "number" && Number.isSafeInteger(w) && w >= 0) return BigInt(w);
  throw new RangeError(`weights must be non-negative integers, got ${String(w)}`);
}

/** The index of the arm that `key` falls into, given the arms' integer weights. */
export function chooseArm(weights, salt, prompt, key) {
  if (!Array.isArray(weights) || weights.length === 0) throw new RangeError("weights must be a non-empty array");
  const ws = weights.map(asWeight);
  const total = ws.reduce((a, b) => a + b, 0n);
  if (total <= 0n) throw new RangeError("at least one weight must be positive");
  const scaled = bucketNumber(salt, prompt, key) * total;
  let cumulative = 0n;
  for (let i = 0; i < ws.length; i++) {
    cumulative += ws[i];
    if (scaled < cumulative * SCALE) return i;
  }
  throw new Error("unreachable: n < 16**15");
}
