// Every conformance vector (tests/conformance/*.json, and the pending/ ones that only the
// Python runtime does not meet yet), run in-process: a fast check of the library API.
// tests/test_conformance.py runs the same vectors through the CLI and the Python runtime.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { BundleFormatError, InputError, IntegrityError, load, parseJson, RenderError } from "../src/index.mjs";

const DIR = new URL("../../../tests/conformance/", import.meta.url);
const PENDING = new URL("pending/", DIR); // absent from a clone when no vector is pending
const FILES = [
  ...readdirSync(DIR).filter((f) => f.endsWith(".json")).sort(),
  ...(existsSync(PENDING) ? readdirSync(PENDING) : []).filter((f) => f.endsWith(".json")).sort()
    .map((f) => `pending/${f}`),
];
const KINDS = [[InputError, "input"], [IntegrityError, "integrity"], [BundleFormatError, "format"], [RenderError, "render"]];

function outcome(vector) {
  try {
    const source = vector.bundle_text !== undefined ? Buffer.from(vector.bundle_text, "utf8") : vector.bundle;
    return { messages: load(source).render(vector.inputs).messages };
  } catch (err) {
    const kind = KINDS.find(([cls]) => err instanceof cls)?.[1];
    if (kind === undefined) throw err;
    return kind === "input" ? { error: kind, paths: [...new Set(err.errors.map((e) => e.path))].sort() } : { error: kind };
  }
}

test("there are conformance vectors", () => assert.ok(FILES.length >= 40, `${FILES.length} vectors`));

for (const file of FILES) {
  test(`conformance: ${file}`, () => {
    const vector = parseJson(readFileSync(new URL(file, DIR), "utf8"));
    const expect = vector.expect.paths ? { ...vector.expect, paths: [...vector.expect.paths].sort() } : vector.expect;
    assert.deepStrictEqual(outcome(vector), expect);
  });
}
