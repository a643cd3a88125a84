// @promptc/runtime: load promptc.bundle/v1 bundles, verify their hash, validate inputs and
// render messages byte for byte as the Python runtime (promptc.runtime) does.
//
//   import { load } from "@promptc/runtime";
//   const bundle = load("dist/support.answer@1.4.0.3f2a9c0b1d4e.json"); // verifies the hash
//   const { messages, tools, model, output, trace } = bundle.render({ question: "…" });

export { Bundle, FORMAT, bundleSchema, formatPath, load } from "./bundle.mjs";
export { BundleFormatError, InputError, IntegrityError, PromptcRuntimeError, RenderError } from "./errors.mjs";
export { CanonicalizationError, canonicalJson, specHash } from "./hashing.mjs";
export { JsonSyntaxError, parseJson } from "./json.mjs";
export { compare, evaluate, FILTERS, renderContent, WHITESPACE } from "./render.mjs";
export { Float, floatRepr, jsonEqual, stringify, tojson, truthy, typeName } from "./values.mjs";
