// Tokenizes a sample module with the extension's TextMate grammar (vscode-textmate and
// the oniguruma wasm, as VS Code does) and checks the scopes of its tokens; also checks the
// shape of the manifest and the JSON files it points at.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.join(__dirname, "..");
const readJson = (rel) => JSON.parse(fs.readFileSync(path.join(root, rel), "utf8"));
const manifest = readJson("package.json");
const grammarPath = "syntaxes/promptc.tmLanguage.json";

const SAMPLE = `---
version: 1.4.0
risk: high
---
import std.safety.pii                       # binds \`pii\`
from shared.tone import friendly, formal as strict

type Tier = "free" | "pro" | "enterprise"
type Turn { role: "customer" | "agent", text: str(max_len=2000) }

input tier: Tier = "free"
input history: list[Turn] = []
input temperature: float? = 0.5

tool search_kb(query: str, limit: int = 5) "Search help-center articles." requires approval

output json {answer: str, citations: list[str], escalate: bool}

fragment greeting(name: str) """
Greet {{ name | upper }} by first name. {# promptc: ignore[long-line] #}
"""

system """
Search with {{ tools.search_kb }} before you answer.
{% if tier == "enterprise" %}Offer a call.{% elif tier == "pro" %}Email.{% else %}FAQ.{% endif %}
{% for turn in history %}{{ loop.index }}. {{ turn.text | trim }}{% endfor %}
{{ greeting(name="Ann") }}
"""
user """
{{ question }}
"""
`;

const YAML_STUB = {
  scopeName: "source.yaml",
  patterns: [{ match: "^\\s*([A-Za-z_][\\w-]*)(:)", captures: { 1: { name: "entity.name.tag.yaml" } } }],
};

let registryPromise;
function registry() {
  registryPromise ??= (async () => {
    const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    return new vsctm.Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
        createOnigString: (s) => new oniguruma.OnigString(s),
      }),
      loadGrammar: async (scopeName) => {
        if (scopeName === "source.yaml") {
          // VS Code ships the YAML grammar; a stand-in marks keys so the embedding shows.
          return vsctm.parseRawGrammar(JSON.stringify(YAML_STUB), "yaml.json");
        }
        if (scopeName !== "source.promptc") return null;
        const file = path.join(root, grammarPath);
        return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
      },
    });
  })();
  return registryPromise;
}

/** Every token of `text` as {line, text, scopes}. */
async function tokenize(text) {
  const grammar = await (await registry()).loadGrammar("source.promptc");
  assert.ok(grammar, "the grammar loads");
  const tokens = [];
  let state = vsctm.INITIAL;
  text.split("\n").forEach((line, lineNo) => {
    const result = grammar.tokenizeLine(line, state);
    for (const t of result.tokens) {
      tokens.push({ line: lineNo, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    }
    state = result.ruleStack;
  });
  return tokens;
}

/** The scopes of the `nth` token (on `line`, if given) whose text is `text` (trimmed). */
function scopesOf(tokens, text, { line, nth = 0 } = {}) {
  const hits = tokens.filter(
    (t) => t.text.trim() === text && (line === undefined || t.line === line),
  );
  assert.ok(hits.length > nth, `no token ${JSON.stringify(text)} (#${nth}) in the sample`);
  return hits[nth].scopes;
}

function assertScope(tokens, text, prefix, opts) {
  const scopes = scopesOf(tokens, text, opts);
  assert.ok(
    scopes.some((s) => s === prefix || s.startsWith(prefix + ".")),
    `${JSON.stringify(text)} has scopes ${scopes.join(" ")}, expected ${prefix}`,
  );
  return scopes;
}

function assertNoScope(tokens, text, prefix, opts) {
  const scopes = scopesOf(tokens, text, opts);
  assert.ok(
    !scopes.some((s) => s === prefix || s.startsWith(prefix + ".")),
    `${JSON.stringify(text)} has scopes ${scopes.join(" ")}, expected no ${prefix}`,
  );
}

const lineOf = (needle) => SAMPLE.split("\n").findIndex((l) => l.includes(needle));

test("front matter is embedded YAML", async () => {
  const tokens = await tokenize(SAMPLE);
  assertScope(tokens, "---", "punctuation.definition.front-matter.begin", { line: 0 });
  const key = assertScope(tokens, "version", "entity.name.tag.yaml");
  assert.ok(key.some((s) => s === "meta.embedded.block.yaml.promptc"), key.join(" "));
  assertScope(tokens, "---", "punctuation.definition.front-matter.end", { line: 3 });
  // after the closing --- we are back in the module grammar
  assertNoScope(tokens, "import", "meta.front-matter");
  assertScope(tokens, "import", "keyword.control.import");
});

test("a --- later in the file is not front matter", async () => {
  const tokens = await tokenize('input a: str\n---\nuser """x"""\n');
  assertNoScope(tokens, "user", "meta.front-matter");
  assertScope(tokens, "user", "keyword.other.role");
});

test("declarations: keywords, names, types, strings, numbers, comments", async () => {
  const tokens = await tokenize(SAMPLE);
  assertScope(tokens, "std.safety.pii", "entity.name.namespace");
  assertScope(tokens, "binds `pii`", "comment.line.number-sign");
  assertScope(tokens, "from", "keyword.control.import");
  assertScope(tokens, "as", "keyword.control.as");
  assertScope(tokens, "friendly", "variable.other.imported");
  assertScope(tokens, "type", "storage.type");
  assertScope(tokens, "Tier", "entity.name.type");
  assertScope(tokens, "free", "string.quoted.double", { line: lineOf("type Tier") });
  assertScope(tokens, "|", "keyword.operator.union", { line: lineOf("type Tier") });
  assertScope(tokens, "role", "variable.other.property");
  assertScope(tokens, "text", "variable.other.property"); // contextual keyword as a field
  assertScope(tokens, "str", "support.type.builtin", { line: lineOf("type Turn") });
  assertScope(tokens, "max_len", "variable.parameter");
  assertScope(tokens, "2000", "constant.numeric");
  assertScope(tokens, "input", "storage.type");
  assertScope(tokens, "tier", "variable.other.input");
  assertScope(tokens, "Tier", "entity.name.type", { line: lineOf("input tier") });
  assertScope(tokens, "list", "support.type.builtin", { line: lineOf("input history") });
  assertScope(tokens, "?", "keyword.operator.optional");
  assertScope(tokens, "0.5", "constant.numeric");
  assertScope(tokens, "tool", "storage.type");
  assertScope(tokens, "search_kb", "entity.name.function.tool", { line: lineOf("tool ") });
  assertScope(tokens, "Search help-center articles.", "string.quoted.double");
  assertScope(tokens, "requires", "storage.modifier");
  assertScope(tokens, "approval", "storage.modifier");
  assertScope(tokens, "output", "storage.type");
  assertScope(tokens, "json", "support.type.output-format");
  assertScope(tokens, "fragment", "storage.type");
  assertScope(tokens, "greeting", "entity.name.function.fragment");
  assertScope(tokens, "system", "keyword.other.role");
  assertScope(tokens, "user", "keyword.other.role", { line: lineOf('user """') });
});

test("text blocks are strings with templates highlighted inside", async () => {
  const tokens = await tokenize(SAMPLE);
  const prose = assertScope(tokens, "before you answer.", "string.quoted.triple");
  assert.ok(!prose.some((s) => s.startsWith("meta.embedded.template")));
  const open = assertScope(tokens, "{{", "punctuation.section.embedded.begin");
  assert.ok(open.some((s) => s.startsWith("string.quoted.triple")), "{{ sits in the text block");
  const name = assertScope(tokens, "name", "variable.other", { line: lineOf("Greet {{") });
  assert.ok(name.some((s) => s.startsWith("meta.embedded.template.expression")));
  assertScope(tokens, "|", "keyword.operator.filter", { line: lineOf("Greet {{") });
  assertScope(tokens, "upper", "support.function.filter");
  assertScope(tokens, "trim", "support.function.filter");
  assertScope(tokens, "{#", "comment.block.template");
  assertScope(tokens, "promptc", "keyword.other.directive");
  assertScope(tokens, "long-line", "constant.other.rule-name");
  assertScope(tokens, "tools", "variable.language.tools");
  assertScope(tokens, "search_kb", "entity.name.function.tool", { line: lineOf("{{ tools.") });
  for (const kw of ["if", "elif", "else", "endif", "for", "in", "endfor"]) {
    const s = assertScope(tokens, kw, "keyword.control");
    assert.ok(s.some((x) => x.startsWith("meta.embedded.template.statement")), kw);
  }
  assertScope(tokens, "==", "keyword.operator.comparison");
  assertScope(tokens, "enterprise", "string.quoted.double.template", {
    line: lineOf("{% if tier"),
  });
  assertScope(tokens, "loop", "variable.language.loop");
  assertScope(tokens, "greeting", "entity.name.function", { line: lineOf("{{ greeting(") });
  assertScope(tokens, "name", "variable.parameter", { line: lineOf("{{ greeting(") });
  // the block closes: what follows is a declaration again
  assertNoScope(tokens, "user", "string.quoted.triple", { line: lineOf('user """') });
  assertScope(tokens, "question", "meta.embedded.template.expression");
});

test("an unclosed {{ does not swallow the end of the text block", async () => {
  const tokens = await tokenize('system """\nHi {{ name\n"""\ninput x: str\n');
  assertNoScope(tokens, "input", "string.quoted.triple");
  assertScope(tokens, "input", "storage.type");
});

test("manifest and language configuration have the expected shape", () => {
  assert.equal(manifest.name, "promptc");
  assert.equal(manifest.publisher, "promptc");
  assert.equal(manifest.license, "Apache-2.0");
  assert.match(manifest.engines.vscode, /^\^1\.85/);
  assert.deepEqual(manifest.activationEvents, ["onLanguage:promptc"]);
  assert.equal(manifest.main, "./dist/extension.js");
  const [language] = manifest.contributes.languages;
  assert.equal(language.id, "promptc");
  assert.deepEqual(language.extensions, [".prompt"]);
  const [grammar] = manifest.contributes.grammars;
  assert.equal(grammar.language, "promptc");
  assert.equal(grammar.scopeName, "source.promptc");
  assert.equal(path.normalize(grammar.path), path.normalize(grammarPath));
  assert.equal(readJson(grammarPath).scopeName, "source.promptc");
  const props = manifest.contributes.configuration.properties;
  assert.equal(props["promptc.path"].default, "promptc");
  assert.equal(typeof props["promptc.debounceMs"].default, "number");
  assert.ok(fs.existsSync(path.join(root, "LICENSE")));
  assert.ok(fs.existsSync(path.join(root, "README.md")));

  const config = readJson(language.configuration);
  assert.equal(config.comments.lineComment, "#");
  assert.deepEqual(config.comments.blockComment, ["{#", "#}"]);
  assert.deepEqual(config.brackets, [["(", ")"], ["[", "]"], ["{", "}"]]);
  const opens = config.autoClosingPairs.map((p) => p.open);
  for (const open of ['"""', "{{", "{%", "(", "[", "{"]) assert.ok(opens.includes(open), open);
});

test("the grammar's repository references all resolve", () => {
  const grammar = readJson(grammarPath);
  const seen = new Set();
  (function walk(node) {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === "object") {
      if (typeof node.include === "string" && node.include.startsWith("#")) {
        seen.add(node.include.slice(1));
      }
      Object.values(node).forEach(walk);
    }
  })(grammar);
  for (const name of seen) assert.ok(name in grammar.repository, `#${name} is defined`);
});
