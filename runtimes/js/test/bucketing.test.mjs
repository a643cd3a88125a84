// The shared bucketing vectors (tests/conformance/bucketing/vectors.json, written by
// tests/conformance/make_bucketing.py from the Python function) through the JS twin.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { bucket, bucketNumber, chooseArm, SCALE } from "../src/index.mjs";

const VECTORS = JSON.parse(readFileSync(new URL("../../../tests/conformance/bucketing/vectors.json", import.meta.url), "utf8"));

test("the vectors are there and agree on the scale", () => {
  assert.equal(BigInt(VECTORS.scale), SCALE);
  assert.ok(VECTORS.buckets.length >= 50 && VECTORS.choices.length >= 150);
});

test("bucket numbers and buckets match the Python function", () => {
  for (const c of VECTORS.buckets) {
    const where = JSON.stringify([c.salt, c.prompt, c.key.slice(0, 40)]);
    assert.equal(bucketNumber(c.salt, c.prompt, c.key), BigInt(c.number), where);
    assert.equal(bucket(c.salt, c.prompt, c.key), c.bucket, where);
  }
});

test("arms match the Python function, float traps and exact boundaries included", () => {
  for (const c of VECTORS.choices) {
    assert.equal(bucketNumber(c.salt, c.prompt, c.key), BigInt(c.number));
    assert.equal(chooseArm(c.weights, c.salt, c.prompt, c.key), c.arm, `${c.note}: ${JSON.stringify(c.key.slice(0, 40))}`);
  }
});

test("a float comparison would fail the trap vectors", () => {
  // Guards the vectors themselves: each trap really separates the two comparisons.
  const traps = VECTORS.choices.filter((c) => c.note.startsWith("float trap"));
  assert.ok(traps.length >= 8);
  for (const c of traps) {
    const position = Number(BigInt(c.number)) / 2 ** 60;
    const total = c.weights.reduce((a, b) => a + b, 0);
    let cumulative = 0;
    const floatArm = c.weights.findIndex((w) => position < (cumulative += w) / total);
    assert.notEqual(floatArm, c.arm);
  }
});

test("weights are checked", () => {
  for (const bad of [[], [0, 0], [1, -1], [1.5, 1], ["1", 1], [2 ** 53, 1]]) {
    assert.throws(() => chooseArm(bad, "s", "p", "k"), RangeError, JSON.stringify(bad));
  }
  assert.equal(typeof chooseArm([10n ** 20n, 1n], "s", "p", "k"), "number");
});

test("a ramping canary keeps its keys", () => {
  let previous = new Set();
  for (const percent of [100, 1000, 5000, 9999]) {
    const chosen = new Set();
    for (let i = 0; i < 5000; i++) if (chooseArm([10000 - percent, percent], "salt", "p", `user-${i}`) === 1) chosen.add(i);
    for (const k of previous) assert.ok(chosen.has(k));
    previous = chosen;
  }
});
