#!/usr/bin/env node
// promptc-render [--json-errors] BUNDLE.json [INPUTS.json]
//
// Verify a bundle, render it with the inputs (a JSON object; `-` reads standard input; none
// means {}) and print {"messages": [{"role", "content"}, …], "hash": …} as JSON on stdout.
// Exit 0 on success; 1 when the bundle is refused, the inputs are invalid or the render
// fails: the error goes to stderr as "promptc-render: <ErrorClass>: <message>", or, with
// --json-errors, to stdout as {"error": "format"|"integrity"|"input"|"render", "message",
// "issues": [{"path", "message"}]}; 2 on a usage error.

import { readFileSync, statSync } from "node:fs";
import {
  BundleFormatError, InputError, IntegrityError, JsonSyntaxError, load, parseJson, PromptcRuntimeError, RenderError,
} from "../src/index.mjs";
import { MAX_DOCUMENT_BYTES } from "../src/limits.mjs";

const USAGE = "usage: promptc-render [--json-errors] BUNDLE.json [INPUTS.json|-]";
const KINDS = [[InputError, "input"], [IntegrityError, "integrity"], [BundleFormatError, "format"], [RenderError, "render"]];

const args = process.argv.slice(2);
if (args.includes("-h") || args.includes("--help")) {
  process.stdout.write(`${USAGE}\nRender a promptc bundle's messages with the given inputs, as JSON.\n`);
  process.exit(0);
}
const jsonErrors = args.includes("--json-errors");
const files = args.filter((a) => a !== "--json-errors");
if (files.length < 1 || files.length > 2 || files.some((f) => f.startsWith("--"))) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const [bundlePath, inputsPath] = files;

function fail(message) {
  process.stderr.write(`promptc-render: ${message.length > 2000 ? message.slice(0, 2000) + "…" : message}\n`);
  process.exit(1);
}

// Never a stack trace: whatever escapes is reported in one line (and is a bug to report).
process.on("uncaughtException", (err) => {
  fail(`internal error: ${err?.name ?? "Error"}: ${String(err?.message ?? err)}. This is a bug in promptc-render; please report it with the input that caused it.`);
});

let inputs = {};
if (inputsPath !== undefined) {
  let text;
  try {
    if (inputsPath !== "-") {
      const stats = statSync(inputsPath);
      if (!stats.isFile()) fail(`cannot read the inputs ${inputsPath}: not a regular file`);
      if (stats.size > MAX_DOCUMENT_BYTES) fail(`the inputs ${inputsPath} are larger than the limit of ${MAX_DOCUMENT_BYTES.toLocaleString("en-US")} bytes`);
    }
    text = readFileSync(inputsPath === "-" ? 0 : inputsPath, "utf8");
  } catch (err) {
    fail(`cannot read the inputs ${inputsPath}: ${err.message}`);
  }
  try {
    inputs = parseJson(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    fail(`the inputs ${inputsPath} are not JSON: ${err.message}`);
  }
}

try {
  const { messages, trace } = load(bundlePath).render(inputs);
  process.stdout.write(JSON.stringify({ messages, hash: trace.hash }) + "\n");
} catch (err) {
  if (err instanceof PromptcRuntimeError) {
    if (jsonErrors) {
      const kind = KINDS.find(([cls]) => err instanceof cls)?.[1] ?? "runtime";
      process.stdout.write(JSON.stringify({ error: kind, message: err.message, issues: err.errors ?? [] }) + "\n");
      process.exit(1);
    }
    fail(`${err.name}: ${err.message}`);
  }
  if (["ENOENT", "EISDIR", "EACCES"].includes(err?.code)) fail(`cannot read the bundle ${bundlePath}: ${err.message}`);
  throw err;
}
