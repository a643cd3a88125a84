// Hostile bundles and inputs: refused quickly with the documented classes (see docs/limits.md).
import assert from "node:assert/strict";
import { test } from "node:test";
import { BundleFormatError, FORMAT, InputError, load, parseJson, specHash } from "../src/index.mjs";
import { compilePattern, PatternError } from "../src/pattern.mjs";
import { MAX_IR_DEPTH, MAX_JSON_DEPTH, show } from "../src/limits.mjs";

function makeBundle(properties, content = [{ kind: "expr", expr: { kind: "var", path: ["s"] } }]) {
  const spec = { model: {}, inputs: { type: "object", properties, required: [], additionalProperties: false },
    messages: [{ role: "user", content }], tools: [], output: { type: "text" } };
  return { format: FORMAT, name: "t.limits", version: "1.0.0", hash: specHash(spec), spec, meta: {},
    provenance: { modules: {}, compiler: "promptc 0.1.0" }, tokens: { encoding: "cl100k_base", messages: [0] } };
}
const bytes = (text) => new TextEncoder().encode(text);
const timed = (fn) => {
  const t = Date.now();
  fn();
  return Date.now() - t;
};

test("catastrophic patterns are matched in linear time", () => {
  for (const p of ["^(a+)+$", "^(a|aa)+$", "^(.*a){20}$"]) {
    const ms = timed(() => assert.equal(compilePattern(p).test("a".repeat(3000) + "!"), false));
    assert.ok(ms < 1000, `${p}: ${ms} ms`);
  }
  const bundle = load(makeBundle({ s: { type: "string", pattern: "^(a+)+$" } }));
  assert.ok(timed(() => assert.throws(() => bundle.render({ s: "a".repeat(30) + "!" }), InputError)) < 500);
});

test("a pattern outside the subset is a format error at load, with the reason", () => {
  for (const [p, why] of [["^(a)\\1$", "backreference"], ["(?=a)", "lookahead"], ["\\p{Lu}", "property"], ["\\B", "\\B"]]) {
    assert.throws(() => compilePattern(p), (err) => err instanceof PatternError && err.message.includes(why));
    assert.throws(() => load(makeBundle({ s: { type: "string", pattern: p } })), (err) => err instanceof BundleFormatError && err.message.includes(why));
  }
});

test("one leading BOM is skipped, a second is a format error", () => {
  const text = JSON.stringify(makeBundle({ s: { type: "string" } }));
  assert.equal(load(bytes("\ufeff" + text)).render({ s: "x" }).messages[0].content, "x");
  assert.throws(() => load(bytes("\ufeff\ufeff" + text)), BundleFormatError);
});

test("deep, huge and remote-referencing bundles are format errors, never RangeError", () => {
  const text = JSON.stringify(makeBundle({ s: { type: "string" } }));
  const cases = [
    text.replace('"meta":{', `"meta":{"d":${"[".repeat(4000)}${"]".repeat(4000)},`),
    text.replace('"meta":{', `"meta":{"n":${"9".repeat(5000)},`),
    text.replace('"meta":{', `"meta":{"s":"${"x".repeat(9 * 1024 * 1024)}",`),
    JSON.stringify(makeBundle({ s: { $ref: "https://example.invalid/s.json" } })),
    JSON.stringify(makeBundle({ s: { $ref: "#" } })),
  ];
  let content = [{ kind: "text", text: "x" }];
  for (let i = 0; i < MAX_IR_DEPTH + 1; i++) content = [{ kind: "if", branches: [{ cond: { kind: "const", value: true }, body: content }], else: [] }];
  cases.push(JSON.stringify(makeBundle({}, content)));
  for (const c of cases) assert.ok(timed(() => assert.throws(() => load(bytes(c)), BundleFormatError)) < 2000);
  const cyclic = makeBundle({});
  cyclic.meta.self = cyclic;
  assert.throws(() => load(cyclic), /contains itself/);
});

test("huge, cyclic and deep inputs are input errors found at once, quoting only a prefix", () => {
  const bundle = load(makeBundle({ s: { type: "string", maxLength: 20 }, w: { type: "string", pattern: "b" } }));
  const cyclic = {};
  cyclic.self = cyclic;
  let deep = [];
  for (let i = 0; i < 100000; i++) deep = [deep];
  for (const inputs of [{ s: "x".repeat(100 * 1024 * 1024) }, { s: cyclic }, { s: deep }, { w: "é".repeat(100000) }]) {
    let error;
    const ms = timed(() => {
      try {
        bundle.render(inputs);
      } catch (err) {
        error = err;
      }
    });
    assert.ok(error instanceof InputError, String(error));
    assert.ok(error.message.length < 500, error.message.slice(0, 300));
    assert.ok(ms < 1000, `${ms} ms`);
  }
});

test("the JSON reader bounds nesting and reads long strings without a regex", () => {
  assert.throws(() => parseJson("[".repeat(MAX_JSON_DEPTH + 1) + "]".repeat(MAX_JSON_DEPTH + 1)), /nests deeper than 160/);
  assert.equal(parseJson("[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH)).length, MAX_JSON_DEPTH === 1 ? 0 : 1);
  assert.equal(parseJson(`"${"ab\\n".repeat(3 * 1024 * 1024)}"`).length, 9 * 1024 * 1024);
  assert.equal(show("x".repeat(1000)).length, 81);
});
