// Many requests to the JavaScript runtime through one node process, for the tests that
// compare it with the Python runtime case by case (tests/test_jinja_differential.py,
// tests/test_casing.py). Standard input holds one JSON request per line; standard output
// gets one JSON answer per line, in order (each written as soon as it is ready):
//
//   {"bundle": BUNDLE_TEXT, "inputs": INPUTS_TEXT}
//       → {"messages": [{"role", "content"}, …]} or {"error": "format"|"integrity"|"input"|"render", "message"}
//     (texts, parsed by the runtime's own JSON parser, so integers and floats stay apart)
//   {"filter": "upper"|"lower"|"title"|…, "values": [STRING, …]}
//       → {"results": [STRING, …]}  (also "native-upper"/"native-lower": Node.js's own mapping)

import { createInterface } from "node:readline";
import {
  BundleFormatError, FILTERS, InputError, IntegrityError, load, parseJson, RenderError,
} from "../runtimes/js/src/index.mjs";

// The host's own case mapping (its Unicode version), to find where it would differ.
const NATIVE = { "native-upper": (s) => s.toUpperCase(), "native-lower": (s) => s.toLowerCase() };
const KINDS = [[InputError, "input"], [IntegrityError, "integrity"], [BundleFormatError, "format"], [RenderError, "render"]];

function answer(request) {
  if (request.filter !== undefined) {
    const fn = NATIVE[request.filter] ?? FILTERS[request.filter];
    return { results: request.values.map((v) => fn(v)) };
  }
  try {
    const bundle = load(new TextEncoder().encode(request.bundle));
    const { messages } = bundle.render(parseJson(request.inputs));
    return { messages: messages.map(({ role, content }) => ({ role, content })) };
  } catch (err) {
    const kind = KINDS.find(([cls]) => err instanceof cls);
    if (kind === undefined) throw err;
    return { error: kind[1], message: err.message };
  }
}

// One answer per line as soon as it is ready, so a caller may also talk to this process one
// request at a time.
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === "") continue;
  process.stdout.write(JSON.stringify(answer(JSON.parse(line))) + "\n");
}
