// Render Dotprompt files with the reference implementation (npm `dotprompt`), many in one
// node process (tests/test_interop_reference.py).
// stdin: a JSON array of {"source": TEXT, "input": {...}, "partials": {NAME: TEXT}};
// stdout: a JSON array of {"messages": [...]} or {"error": MESSAGE}, in the same order.
// Input defaults come from the file's `input.default`, passed as Genkit passes them.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Dotprompt } = require("dotprompt");

const jobs = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const job of jobs) {
  try {
    const env = new Dotprompt({ partials: job.partials ?? {} });
    const parsed = env.parse(job.source);
    const options = parsed.input?.default ? { input: { default: parsed.input.default } } : undefined;
    const rendered = await env.render(job.source, { input: job.input }, options);
    results.push({ messages: rendered.messages });
  } catch (err) {
    results.push({ error: String(err?.message ?? err) });
  }
}
process.stdout.write(JSON.stringify(results));
