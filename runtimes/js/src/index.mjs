// @promptc/runtime: load promptc.bundle/v1 bundles, verify their hash, validate inputs and
// render messages byte for byte as the Python runtime (promptc.runtime) does.
//
//   import { load } from "@promptc/runtime";
//   const bundle = load("dist/support.answer@1.4.0.3f2a9c0b1d4e.json"); // verifies the hash
//   const { messages, tools, model, output, trace } = bundle.render({ question: "…" });
//
//   import { Client } from "@promptc/runtime";   // serve by environment label from an OCI registry
//   const client = new Client({ registry: "oci://127.0.0.1:5000/prompts", env: "prod" });
//   const { messages, trace } = await client.render("support.answer", inputs, { key: userId });

export { Bundle, FORMAT, bundleSchema, formatPath, load } from "./bundle.mjs";
export { bucket, bucketNumber, chooseArm, SCALE } from "./bucketing.mjs";
export { CAPTURE_FORMAT, CAPTURE_KINDS, Client, parseRegistry, RegistryError, RegistryUnavailable } from "./client.mjs";
export { BundleFormatError, InputError, IntegrityError, NotServed, PromptcRuntimeError, RenderError } from "./errors.mjs";
export { CanonicalizationError, canonicalJson, specHash } from "./hashing.mjs";
export { JsonSyntaxError, parseJson } from "./json.mjs";
export { compare, evaluate, FILTERS, renderContent, WHITESPACE } from "./render.mjs";
export { Float, floatRepr, jsonEqual, stringify, tojson, truthy, typeName } from "./values.mjs";
