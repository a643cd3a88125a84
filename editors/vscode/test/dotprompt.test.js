// The extension leaves Dotprompt's `.prompt` files alone: src/dotprompt.js tells them from
// promptc modules by content.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { isDotprompt } = require("../src/dotprompt.js");

test("Dotprompt files are recognised by their front matter or their Handlebars body", () => {
  assert.equal(isDotprompt("---\nmodel: googleai/gemini-1.5-flash\n---\nHello {{name}}!\n"), true);
  assert.equal(isDotprompt("---\ninput:\n  schema:\n    name: string\n---\n{{role \"system\"}}Hi\n"), true);
  assert.equal(isDotprompt("{{#if x}}yes{{/if}}\n"), true);
  assert.equal(isDotprompt("Hello, {{name}}!\n"), true);
});

test("promptc modules are not Dotprompt files", () => {
  const module = '---\nversion: 1.0.0\nmodel: {name: gpt-4o}\n---\ninput name: str\n\nuser """\nHello {{ name }}!\n"""\n';
  assert.equal(isDotprompt(module), false);
  assert.equal(isDotprompt("fragment tone \"\"\"\nBe kind.\n\"\"\"\n"), false);
  assert.equal(isDotprompt("---\nversion: 0.1.0\nmodel:\n  name: gpt-4o\n---\nsystem \"\"\"\nHi\n\"\"\"\n"), false);
});
