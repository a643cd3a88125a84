import assert from "node:assert/strict";
import { test } from "node:test";
import { compareStrings, Float, floatRepr, jsonEqual, stringify, tojson, truthy, typeName } from "../src/values.mjs";

test("floatRepr lays out shortest round-trip digits as Python's repr", () => {
  const cases = [
    [1, "1.0"], [0.1, "0.1"], [1e16, "1e+16"], [1e-5, "1e-05"], [-0, "-0.0"], [0, "0.0"], [1e-4, "0.0001"],
    [9999999999999998, "9999999999999998.0"], [1e15, "1000000000000000.0"], [123456789012345680000, "1.2345678901234568e+20"],
    [1.7976931348623157e308, "1.7976931348623157e+308"], [5e-324, "5e-324"], [2.5e-7, "2.5e-07"], [1e100, "1e+100"],
    [0.30000000000000004, "0.30000000000000004"], [-1.5, "-1.5"], [123.456, "123.456"], [0.00012, "0.00012"],
    [1.5e-5, "1.5e-05"], [12345.678e10, "123456780000000.0"], [NaN, "nan"], [Infinity, "inf"], [-Infinity, "-inf"],
  ];
  for (const [x, want] of cases) assert.equal(floatRepr(x), want, `floatRepr(${x})`);
});

test("stringify renders integral floats below 1e16 as integers, other floats as Python's repr", () => {
  assert.equal(stringify(1), "1");
  assert.equal(stringify(new Float(1)), "1"); // the hash cannot tell 1.0 from 1, so neither may the text
  assert.equal(stringify(-0), "0");
  assert.equal(stringify(new Float(-0)), "0");
  assert.equal(stringify(new Float(-3)), "-3");
  assert.equal(stringify(new Float(9999999999999998)), "9999999999999998");
  assert.equal(stringify(new Float(1e16)), "1e+16");
  assert.equal(stringify(new Float(-1e16)), "-1e+16");
  assert.equal(stringify(0.5), "0.5");
  assert.equal(stringify(2n ** 64n), "18446744073709551616");
  assert.equal(stringify(1e21), "1000000000000000000000"); // an integral JS number is an integer
  assert.equal(stringify(null), "");
  assert.equal(stringify(undefined), "");
  assert.equal(stringify(true), "true");
  assert.equal(stringify([1, new Float(2), "x"]), '[1, 2, "x"]');
});

test("tojson sorts keys by code point and escapes as Python's json.dumps", () => {
  assert.equal(tojson({ "😀": 1, "｡": 2, a: [], b: {} }), '{"a": [], "b": {}, "｡": 2, "😀": 1}');
  assert.equal(tojson("\u0000\u001f\"\\\n\u007f\u2028\ud800"), '"\\u0000\\u001f\\"\\\\\\n\u007f\u2028\ud800"');
  assert.equal(tojson([NaN, Infinity, -Infinity, new Float(1e16)]), "[NaN, Infinity, -Infinity, 1e+16]");
  assert.equal(tojson({ a: [new Float(2), new Float(-0), 0.5], b: { c: new Float(1e15) } }), '{"a": [2, 0, 0.5], "b": {"c": 1000000000000000}}');
});

test("compareStrings orders by code point", () => {
  assert.ok(compareStrings("｡", "😀") < 0);
  assert.ok("｡" > "😀"); // what JS's own < would say
  assert.ok(compareStrings("ab", "abc") < 0);
  assert.equal(compareStrings("x", "x"), 0);
  assert.ok(compareStrings("\ud800", "A") > 0);
});

test("truthiness and equality follow JSON values", () => {
  for (const v of [null, undefined, false, 0, -0, new Float(0), new Float(-0), 0n, "", [], {}]) assert.equal(truthy(v), false, tojson(v ?? null));
  for (const v of [true, 1, new Float(1), 1n, "0", " ", [0], { a: null }, NaN]) assert.equal(truthy(v), true);
  assert.ok(jsonEqual(1, new Float(1)));
  assert.ok(jsonEqual({ a: [1, { b: new Float(2) }] }, { a: [new Float(1), { b: 2 }] }));
  assert.ok(!jsonEqual(true, 1));
  assert.ok(!jsonEqual("1", 1));
  assert.ok(!jsonEqual({ a: undefined }, {}));
  assert.ok(!jsonEqual([], {}));
  assert.ok(!jsonEqual(9007199254740993n, 9007199254740992));
  assert.ok(jsonEqual(null, undefined));
});

test("typeName names JSON types as the Python runtime does", () => {
  assert.deepEqual([null, true, 1, 1.5, new Float(1), 1n, "s", [], {}].map(typeName),
    ["null", "boolean", "integer", "number", "number", "integer", "string", "array", "object"]);
});
