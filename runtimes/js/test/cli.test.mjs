import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { FORMAT, specHash } from "../src/index.mjs";

const CLI = fileURLToPath(new URL("../bin/promptc-render.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "promptc-cli-"));
const run = (args, input) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", input });

const spec = {
  model: {}, tools: [], output: { type: "text" },
  inputs: { type: "object", properties: { name: { type: "string" }, n: { type: "number" } }, required: ["name"], additionalProperties: false },
  messages: [{ role: "user", content: [{ kind: "text", text: "Hi " }, { kind: "expr", expr: { kind: "var", path: ["name"] } },
    { kind: "text", text: " " }, { kind: "expr", expr: { kind: "var", path: ["n"] } }] }],
};
const bundle = { format: FORMAT, name: "cli.demo", version: "0.1.0", hash: specHash(spec), spec, meta: {},
  provenance: { modules: {}, compiler: "promptc 0.1.0" }, tokens: { encoding: "cl100k_base", messages: [0] } };
const bundlePath = join(dir, "bundle.json");
writeFileSync(bundlePath, JSON.stringify(bundle));
const inputsPath = join(dir, "inputs.json");
writeFileSync(inputsPath, '{"name": "Ada", "n": 1e16}'); // a float (JSON.parse would make it an integer)

test("prints the messages and the hash as JSON", () => {
  const r = run([bundlePath, inputsPath]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { messages: [{ role: "user", content: "Hi Ada 1e+16" }], hash: bundle.hash });
});

test("reads the inputs from standard input with -", () => {
  const r = run([bundlePath, "-"], '{"name": "Bo"}');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).messages[0].content, "Hi Bo ");
});

test("invalid inputs: exit 1, every problem on stderr", () => {
  writeFileSync(join(dir, "bad.json"), '{"n": "x", "extra": 1}');
  const r = run([bundlePath, join(dir, "bad.json")]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^promptc-render: InputError: invalid inputs for cli\.demo@0\.1\.0 \(3 problems\):\n/);
  assert.match(r.stderr, /  - name: is required but was not given\n/);
  assert.match(r.stderr, /  - extra: is not a declared input; allowed: n, name\n/);
  assert.match(r.stderr, /  - n: expected number, got string "x"\n/);
});

test("--json-errors: the error as JSON on stdout", () => {
  const r = run(["--json-errors", bundlePath, "-"], '{"name": 5}');
  assert.equal(r.status, 1);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.error, "input");
  assert.deepEqual(doc.issues, [{ path: "name", message: "expected string, got integer 5" }]);
});

test("a tampered bundle: exit 1 and IntegrityError", () => {
  const tampered = structuredClone(bundle);
  tampered.spec.messages[0].content[0].text = "Bye ";
  writeFileSync(join(dir, "tampered.json"), JSON.stringify(tampered));
  const r = run([join(dir, "tampered.json"), inputsPath]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^promptc-render: IntegrityError: bundle 'cli\.demo@0\.1\.0 \(.*tampered\.json\)' failed its integrity check/);
  assert.equal(JSON.parse(run(["--json-errors", join(dir, "tampered.json"), inputsPath]).stdout).error, "integrity");
});

test("unreadable or malformed files: exit 1 with the reason", () => {
  let r = run([join(dir, "missing.json"), inputsPath]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^promptc-render: cannot read the bundle .*missing\.json/);
  writeFileSync(join(dir, "notjson.json"), "{");
  r = run([bundlePath, join(dir, "notjson.json")]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the inputs .*notjson\.json are not JSON: invalid JSON at line 1 column 2/);
  r = run([join(dir, "notjson.json"), inputsPath]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^promptc-render: BundleFormatError: .*notjson\.json is not a promptc bundle: invalid JSON/);
});

test("usage errors exit 2; --help exits 0", () => {
  assert.equal(run([]).status, 2);
  assert.equal(run(["a", "b", "c"]).status, 2);
  assert.equal(run(["--nope", bundlePath]).status, 2);
  const help = run(["--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: promptc-render/);
});
