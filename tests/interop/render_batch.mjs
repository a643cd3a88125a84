// Render many promptc bundles in one node process (tests/interop_suites.py).
// stdin: a JSON array of {"bundle": PATH, "inputs": {...}}; stdout: a JSON array of
// {"messages": [{role, content}]} or {"error": KIND, "message": TEXT}, in the same order.
import { readFileSync } from "node:fs";
import { load, PromptcRuntimeError } from "../../runtimes/js/src/index.mjs";

const jobs = JSON.parse(readFileSync(0, "utf8"));
const results = jobs.map(({ bundle, inputs }) => {
  try {
    return { messages: load(bundle).render(inputs).messages };
  } catch (err) {
    if (!(err instanceof PromptcRuntimeError)) throw err;
    return { error: err.constructor.name, message: err.message };
  }
});
process.stdout.write(JSON.stringify(results));
