import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonSyntaxError, parseJson } from "../src/json.mjs";
import { Float } from "../src/values.mjs";

test("numbers keep whether they were floats, and big integers keep every digit", () => {
  const v = parseJson('[1, 1.0, 1e2, -0.0, -0, 0.5, 1E400, 9007199254740993, -12345678901234567890, 9007199254740991]');
  assert.equal(v[0], 1);
  assert.ok(v[1] instanceof Float && v[1].value === 1);
  assert.ok(v[2] instanceof Float && v[2].value === 100);
  assert.ok(v[3] instanceof Float && Object.is(v[3].value, -0));
  assert.ok(Object.is(v[4], -0));
  assert.equal(v[5], 0.5);
  assert.equal(v[6], Infinity);
  assert.equal(v[7], 9007199254740993n);
  assert.equal(v[8], -12345678901234567890n);
  assert.equal(v[9], 9007199254740991);
});

test("agrees with JSON.parse on ordinary documents", () => {
  const text = JSON.stringify({ a: [1, "x\n\u2028é😀", true, false, null, { b: -2.5e-3 }], "": {}, "\\": "\\\"/" }, null, 2);
  assert.deepEqual(parseJson(text), JSON.parse(text));
  assert.equal(parseJson('"\\ud800"'), "\ud800");
  assert.deepEqual(parseJson('\ufeff {"a": "\\/"} \n'), { a: "/" });
});

test("__proto__ is an ordinary key", () => {
  const v = parseJson('{"__proto__": {"polluted": 1}}');
  assert.ok(Object.hasOwn(v, "__proto__"));
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.equal({}.polluted, undefined);
});

test("refuses what is not strict JSON, with a position", () => {
  for (const bad of ['{"a": 1, "a": 2}', "[NaN]", "[Infinity]", "[01]", "[1.]", "[.5]", "{'a': 1}", '["\t"]', "[1,]", "{}{}", "", "[", '{"a" 1}', "tru", '"\\x"', "[1] x"]) {
    assert.throws(() => parseJson(bad), JsonSyntaxError, bad);
  }
  assert.throws(() => parseJson('{\n  "a": 1,\n  "a": 2}'), /repeats the key "a"/);
  assert.throws(() => parseJson('{\n  "a": 1,\n  x}'), /line 3 column 3/);
});
