import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { CanonicalizationError, canonicalJson, specHash } from "../src/hashing.mjs";
import { parseJson } from "../src/json.mjs";
import { Float } from "../src/values.mjs";

test("RFC 8785 section 3.2.2 example", () => {
  const input = parseJson(String.raw`{
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  }`);
  assert.equal(canonicalJson(input),
    String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`);
});

test("RFC 8785 section 3.2.3 key order (UTF-16 code units)", () => {
  const input = { "\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\ud83d\ude00": 5, "\u0080": 6, "\u00f6": 7 };
  assert.equal(canonicalJson(input), '{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\ud83d\ude00":5,"\ufb33":3}');
});

test("integral floats and -0 are written as JCS numbers", () => {
  assert.equal(canonicalJson([new Float(1), new Float(-0), -0, new Float(1e21), new Float(1e20), 1e-7]), "[1,0,0,1e+21,100000000000000000000,1e-7]");
});

test("refuses what JCS cannot carry", () => {
  for (const bad of [NaN, Infinity, 2n ** 60n, "\ud800", { "\udc00": 1 }, undefined, () => 1]) {
    assert.throws(() => canonicalJson([bad]), CanonicalizationError);
  }
});

test("specHash is sha256 over the UTF-8 canonical text", () => {
  const spec = { b: "é", a: [1, new Float(2)] };
  const want = createHash("sha256").update(Buffer.from('{"a":[1,2],"b":"é"}', "utf8")).digest("hex");
  assert.equal(specHash(spec), "sha256:" + want);
});
