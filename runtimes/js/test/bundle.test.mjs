import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import {
  Bundle, BundleFormatError, Float, FORMAT, InputError, IntegrityError, load, PromptcRuntimeError, RenderError, specHash,
} from "../src/index.mjs";

const T = (text) => ({ kind: "text", text });
const X = (expr) => ({ kind: "expr", expr });
const V = (...path) => ({ kind: "var", path });

function makeBundle({ messages, properties = {}, required = [], tools = [], model = {}, output = { type: "text" } }) {
  const spec = { model, inputs: { type: "object", properties, required, additionalProperties: false }, messages, tools, output };
  return {
    format: FORMAT, name: "test.demo", version: "1.2.3", hash: specHash(spec), spec,
    meta: { owner: "qa@example.com" }, provenance: { modules: {}, compiler: "promptc 0.1.0" },
    tokens: { encoding: "cl100k_base", messages: messages.map(() => 0) },
  };
}

const DEMO = makeBundle({
  messages: [{ role: "system", content: [T("Hi "), X(V("name")), T(" ("), X(V("tier")), T(")")] }],
  properties: {
    name: { type: "string", maxLength: 5 },
    tier: { type: "string", enum: ["free", "pro"], default: "free" },
    history: { type: "array", items: { type: "object", properties: { text: { type: "string" } }, required: ["text"], additionalProperties: false } },
  },
  required: ["name"],
  tools: [{ name: "search", description: "Search.", requires_approval: false, parameters: { type: "object", properties: {} } }],
  model: { name: "gpt-4o", temperature: 0.2 },
});

test("load accepts a path, a file URL, bytes and an object", () => {
  const dir = mkdtempSync(join(tmpdir(), "promptc-"));
  const file = join(dir, "b.json");
  writeFileSync(file, JSON.stringify(DEMO));
  for (const source of [file, pathToFileURL(file), Buffer.from(JSON.stringify(DEMO)), new TextEncoder().encode(JSON.stringify(DEMO)), DEMO]) {
    const bundle = load(source);
    assert.ok(bundle instanceof Bundle);
    assert.equal(bundle.name, "test.demo");
    assert.equal(bundle.hash, DEMO.hash);
  }
  assert.equal(load(file).origin, file);
  assert.throws(() => load(42), TypeError);
  assert.throws(() => load(join(dir, "missing.json")), { code: "ENOENT" });
});

test("render returns messages, copies of tools, model and output, and the trace", () => {
  const bundle = load(DEMO);
  const r = bundle.render({ name: "Ada" });
  assert.deepEqual(r.messages, [{ role: "system", content: "Hi Ada (free)" }]);
  assert.deepEqual(r.trace, { name: "test.demo", version: "1.2.3", hash: DEMO.hash });
  assert.deepEqual(r.model, { name: "gpt-4o", temperature: 0.2 });
  assert.equal(r.tools[0].name, "search");
  assert.deepEqual(r.output, { type: "text" });
  r.model.name = "changed";
  assert.equal(bundle.render({ name: "Ada" }).model.name, "gpt-4o");
  assert.equal(bundle.render({ name: "Bo", tier: "pro" }).messages[0].content, "Hi Bo (pro)");
  const floats = load(makeBundle({ messages: [{ role: "user", content: [X(V("n"))] }], properties: { n: { type: "integer", maximum: 1 } } }));
  assert.equal(floats.render({ n: new Float(1) }).messages[0].content, "1", "validation sees a Float as its number");
  assert.equal(floats.render({ n: 1 }).messages[0].content, "1");
});

test("load keeps its own copy, and raw is a deep copy", () => {
  const doc = structuredClone(DEMO);
  const bundle = load(doc);
  doc.spec.messages[0].content[0].text = "Bye ";
  assert.equal(bundle.render({ name: "Ada" }).messages[0].content, "Hi Ada (free)");
  const raw = bundle.raw;
  raw.spec.messages = [];
  assert.equal(bundle.raw.spec.messages.length, 1);
  const text = JSON.stringify(makeBundle({ messages: [{ role: "user", content: [X({ kind: "const", value: 2 })] }] }));
  const spelled = load(Buffer.from(text.replace('"value":2', '"value":2.0')));
  assert.ok(spelled.raw.spec.messages[0].content[0].expr.value instanceof Float);
  assert.equal(spelled.render().messages[0].content, "2", "2.0 hashes as 2, so it renders as 2");
});

test("InputError lists every problem with its path", () => {
  const bundle = load(DEMO);
  let caught;
  try {
    bundle.render({ name: "far too long", tier: "gold", history: [{}, { text: 1, x: 2 }], extra: true });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof InputError && caught instanceof PromptcRuntimeError);
  assert.deepEqual(caught.errors.map((e) => e.path).sort(), ["extra", "history[0].text", "history[1].text", "history[1].x", "name", "tier"]);
  const byPath = Object.fromEntries(caught.errors.map((e) => [e.path, e.message]));
  assert.equal(byPath.extra, "is not a declared input; allowed: history, name, tier");
  assert.equal(byPath.name, "is 12 characters long; at most 5 allowed");
  assert.equal(byPath.tier, '"gold" is not allowed; expected one of: "free", "pro"');
  assert.equal(byPath["history[0].text"], "is required but was not given");
  assert.equal(byPath["history[1].text"], "expected string, got integer 1");
  assert.equal(byPath["history[1].x"], "is not a field of this object; allowed: text");
  assert.match(caught.message, /^invalid inputs for test\.demo@1\.2\.3 \(6 problems\):\n {2}- /);
  assert.throws(() => bundle.render(), (e) => e instanceof InputError && e.errors[0].path === "name");
  assert.throws(() => bundle.render([]), (e) => e instanceof InputError && e.errors[0].path === "<inputs>");
});

test("a tampered bundle is refused with both hashes named", () => {
  const doc = structuredClone(DEMO);
  doc.spec.messages[0].content[0].text = "Hello ";
  assert.throws(() => load(doc), (e) => e instanceof IntegrityError && e.expected === DEMO.hash && e.actual === specHash(doc.spec) &&
    /test\.demo@1\.2\.3 .*failed its integrity check.*rebuild it with promptc/s.test(e.message));
});

test("documents that are not v1 bundles are refused with the reason", () => {
  const cases = [
    [{ ...DEMO, format: "promptc.bundle/v2" }, /found "promptc.bundle\/v2", expected format 'promptc.bundle\/v1'/],
    [{ ...DEMO, format: undefined }, /found null|no format key/],
    [(({ tokens, ...rest }) => rest)(DEMO), /missing key\(s\) tokens/],
    [{ ...DEMO, hash: 5 }, /spec must be an object and hash a string/],
    [{ ...DEMO, extra: 1 }, /does not match the promptc.bundle\/v1 schema:\n {2}- \$: /],
    [{ ...DEMO, version: "1.2" }, /\$\.version: must match pattern/],
  ];
  for (const [doc, pattern] of cases) assert.throws(() => load(doc), (e) => e instanceof BundleFormatError && pattern.test(e.message), pattern.source);
  assert.throws(() => load(Buffer.from("[]")), (e) => e instanceof BundleFormatError && /expected a JSON object, got array/.test(e.message));
  for (const text of ["not json", '{"a": 1, "a": 2}', "[NaN]"]) {
    assert.throws(() => load(Buffer.from(text)), (e) => e instanceof BundleFormatError && /^<bytes> is not a promptc bundle: /.test(e.message));
  }
  assert.throws(() => load(Buffer.from([0x7b, 0xff, 0x7d])), /not UTF-8 text/);
});

test("a render error names the operation and the types", () => {
  const doc = makeBundle({ messages: [{ role: "user", content: [X({ kind: "compare", op: "<", left: { kind: "const", value: 1 }, right: { kind: "const", value: "a" } })] }] });
  assert.throws(() => load(doc).render({}), (e) => e instanceof RenderError && e.message === "`<` compares two numbers or two strings; got integer < string");
});

test("inputs named like Object.prototype members validate and render", () => {
  const doc = makeBundle({
    messages: [{ role: "user", content: [X(V("__proto__")), X(V("constructor")), X(V("toString", "x"))] }],
    properties: { ["__proto__"]: { type: "string" }, constructor: { anyOf: [{ type: "string" }, { type: "null" }] }, toString: { type: "object" } },
    required: ["__proto__"],
  });
  // makeBundle's object literal set a prototype instead of a key: rebuild the properties.
  doc.spec.inputs.properties = JSON.parse('{"__proto__": {"type": "string"}, "constructor": {"anyOf": [{"type": "string"}, {"type": "null"}]}, "toString": {"type": "object"}}');
  doc.hash = specHash(doc.spec);
  const bundle = load(doc);
  assert.equal(bundle.render(JSON.parse('{"__proto__": "P", "toString": {"x": "!"}}')).messages[0].content, "P!");
  assert.throws(() => bundle.render({}), (e) => e instanceof InputError && e.errors.length === 1 && e.errors[0].path === "__proto__");
  assert.throws(() => bundle.render(JSON.parse('{"__proto__": 1}')), (e) => e.errors[0].path === "__proto__" && /expected string/.test(e.errors[0].message));
});
