// Time the JavaScript runtime: node bench/render.mjs BUNDLE.json INPUTS.json [N]
// Prints JSON: load time, and render time per call and per message (median of 5 runs).
import { readFileSync } from "node:fs";
import { load } from "../runtimes/js/src/index.mjs";

const [bundlePath, inputsPath, n = "5000"] = process.argv.slice(2);
const inputs = JSON.parse(readFileSync(inputsPath, "utf8"));
const bytes = readFileSync(bundlePath);
let t = process.hrtime.bigint();
const bundle = load(bytes);
const loadMs = Number(process.hrtime.bigint() - t) / 1e6;
const count = Number(n);
const runs = [];
let messages = 0;
for (let r = 0; r < 5; r++) {
  t = process.hrtime.bigint();
  for (let i = 0; i < count; i++) messages = bundle.render(inputs).messages.length;
  runs.push(Number(process.hrtime.bigint() - t) / 1e3 / count);
}
runs.sort((a, b) => a - b);
const perCall = runs[2];
console.log(JSON.stringify({ runtime: "javascript", load_ms: +loadMs.toFixed(2), renders: count, messages,
  us_per_render: +perCall.toFixed(1), us_per_message: +(perCall / messages).toFixed(1) }));
