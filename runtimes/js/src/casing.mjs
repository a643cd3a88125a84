// Unicode case mapping of the pinned Unicode version (docs/bundle-format.md, section 9).
// upper, lower and title never use the host's Unicode data (Node.js versions ship
// different ones, and none matches Python's): they read casing.json, written by
// scripts/make_casing.py from one Unicode version, byte-identical to the Python runtime's
// copy. ASCII text takes String#toUpperCase/toLowerCase, which agree with every version there.

import { readFileSync } from "node:fs";

const SIGMA = 0x3a3;
const ASCII = /^[\u0000-\u007f]*$/;
let tables = null;

function load() {
  const data = JSON.parse(readFileSync(new URL("./casing.json", import.meta.url), "utf8"));
  const points = (ranges) => {
    const set = new Set();
    for (const [start, end] of ranges) for (let p = start; p <= end; p++) set.add(p);
    return set;
  };
  return {
    version: data.unicode,
    upper: new Map(data.upper),
    lower: new Map(data.lower),
    cased: points(data.cased),
    caseIgnorable: points(data.case_ignorable),
  };
}

const get = () => (tables ??= load());

/** The Unicode version of the case tables (the one the bundle format pins). */
export const unicodeVersion = () => get().version;

const codePoints = (s) => Array.from(s, (ch) => ch.codePointAt(0));

/** Full upper-case mapping, no language tailoring. */
export function upper(s) {
  if (ASCII.test(s)) return s.toUpperCase();
  const { upper: map } = get();
  let out = "";
  for (const ch of s) out += map.get(ch.codePointAt(0)) ?? ch;
  return out;
}

/** Full lower-case mapping, no language tailoring, with Final_Sigma for Σ. */
export function lower(s) {
  if (ASCII.test(s)) return s.toLowerCase();
  const t = get();
  const cps = codePoints(s);
  const chars = Array.from(s);
  let out = "";
  for (let i = 0; i < cps.length; i++) {
    if (cps[i] === SIGMA) out += finalSigma(cps, i, t) ? "\u03c2" : "\u03c3";
    else out += t.lower.get(cps[i]) ?? chars[i];
  }
  return out;
}

// Σ at i is final: skipping case-ignorable characters, a cased one comes before it and none
// comes after it. (A character both cased and case-ignorable is skipped.)
function finalSigma(cps, i, t) {
  let j = i - 1;
  while (j >= 0 && t.caseIgnorable.has(cps[j])) j--;
  if (j < 0 || !t.cased.has(cps[j])) return false;
  j = i + 1;
  while (j < cps.length && t.caseIgnorable.has(cps[j])) j++;
  return j === cps.length || !t.cased.has(cps[j]);
}
