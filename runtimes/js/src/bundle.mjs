// Load, verify and render `promptc.bundle/v1` documents (the twin of promptc/runtime/bundle.py).
//
// Loading is where trust is established: the document must be JSON, declare the v1 format,
// hash to its recorded `hash` (else IntegrityError) and match bundle.schema.json, in that
// order. After that a Bundle renders without further checks of its own structure, only of
// the caller's inputs.

import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Ajv2020Module from "ajv/dist/2020.js";
import { BundleFormatError, InputError, IntegrityError } from "./errors.mjs";
import { CanonicalizationError, specHash } from "./hashing.mjs";
import { JsonSyntaxError, parseJson } from "./json.mjs";
import { MAX_DOCUMENT_BYTES, MAX_IR_DEPTH, MAX_JSON_DEPTH, MAX_STRING_LENGTH, codePoints, irDepth, jsonDepth, show, tooLong } from "./limits.mjs";
import { ajvRegExp, compilePattern, PatternError } from "./pattern.mjs";
import { renderContent } from "./render.mjs";
import { Float, isObject, toPlain, tojson, typeName } from "./values.mjs";

export const FORMAT = "promptc.bundle/v1";
const REQUIRED_KEYS = ["format", "name", "version", "hash", "spec", "meta", "provenance", "tokens"];
const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
// Formats are annotations only (as in Python's jsonschema without a format checker); unknown
// keywords such as x-max-tokens are ignored.
// Every `pattern` is matched by the linear-time automaton of pattern.mjs, never by RegExp.
const AJV_OPTIONS = { allErrors: true, strict: false, validateFormats: false, verbose: true, code: { regExp: ajvRegExp } };

let schemaValidator = null;
/** The JSON Schema (draft 2020-12) of a whole bundle document. */
export function bundleSchema() {
  return JSON.parse(readFileSync(new URL("./bundle.schema.json", import.meta.url), "utf8"));
}
function validateDocument(document) {
  schemaValidator ??= new Ajv2020(AJV_OPTIONS).compile(bundleSchema());
  return schemaValidator(document) ? [] : schemaValidator.errors;
}

/** A verified bundle. Build one with `load`; the constructor verifies `document` and keeps
 * it without copying, so do not change it afterwards (`load` passes its own copy). */
export class Bundle {
  #document;
  #validateInputs = null;

  constructor(document, origin = "<object>") {
    verify(document, origin);
    this.#document = document;
    this.origin = origin;
    for (const key of ["name", "version", "hash", "spec", "meta", "provenance", "tokens"]) this[key] = document[key];
  }

  /** The verified document as a deep copy (integral floats as `Float`). */
  get raw() {
    return clone(this.#document);
  }

  /** Validate `inputs`, apply defaults and render every message. Throws InputError
   * listing every problem with the inputs. */
  render(inputs = {}) {
    inputs ??= {};
    const limits = limitIssues(inputs);
    if (limits.length) throw new InputError(`${this.name}@${this.version}`, limits);
    this.#validateInputs ??= compileInputs(this.spec.inputs);
    const plain = forAjv(inputs, false);
    if (!this.#validateInputs(plain)) {
      throw new InputError(`${this.name}@${this.version}`, describe(this.#validateInputs.errors, plain));
    }
    const values = Object.assign(Object.create(null), inputs); // an input may be named __proto__
    for (const [name, prop] of Object.entries(this.spec.inputs.properties ?? {})) {
      if (!Object.hasOwn(values, name) && isObject(prop) && Object.hasOwn(prop, "default")) values[name] = prop.default;
    }
    return {
      messages: this.spec.messages.map((m) => ({ role: m.role, content: renderContent(m.content, values) })),
      tools: toPlain(this.spec.tools),
      model: toPlain(this.spec.model),
      output: toPlain(this.spec.output),
      retrieval: this.spec.retrieval === undefined ? null : toPlain(this.spec.retrieval),
      trace: { name: this.name, version: this.version, hash: this.hash },
    };
  }
}

/** Inputs nest at most MAX_JSON_DEPTH deep (a value that contains itself never ends) and hold
 * no string longer than MAX_STRING_LENGTH: checked first, so they are refused at once. */
function limitIssues(inputs) {
  if (jsonDepth(inputs) > MAX_JSON_DEPTH) return [{ path: "<inputs>", message: `nests deeper than ${MAX_JSON_DEPTH} levels, or contains itself` }];
  const issues = [];
  const stack = [[inputs, []]];
  while (stack.length) {
    const [value, where] = stack.pop();
    if (typeof value === "string") {
      if (tooLong(value)) issues.push({ path: formatPath(where), message: `is longer than the limit of ${MAX_STRING_LENGTH.toLocaleString("en-US")} characters for any string` });
    } else if (Array.isArray(value)) value.forEach((v, i) => stack.push([v, [...where, i]]));
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) stack.push([v, [...where, k]]);
  }
  return issues.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function compileInputs(schema) {
  // The bundle schema has already checked spec.inputs against the 2020-12 metaschema, so
  // this instance needs neither the metaschemas nor a second check (10x faster to build).
  try {
    return new Ajv2020({ ...AJV_OPTIONS, meta: false, validateSchema: false }).compile(forAjv(schema, true));
  } catch (err) {
    throw new BundleFormatError(`the input schema cannot be compiled: ${err.message}`);
  }
}

/** Load and verify a bundle from a file path (string or file: URL), the file's bytes, or a
 * parsed object. Throws BundleFormatError or IntegrityError. */
export function load(source) {
  if (typeof source === "string" || source instanceof URL) {
    const origin = source instanceof URL ? fileURLToPath(source) : source;
    return new Bundle(parseBytes(readBundle(source, origin), origin), origin);
  }
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return new Bundle(parseBytes(source, "<bytes>"), "<bytes>");
  if (isObject(source)) {
    if (jsonDepth(source) > MAX_JSON_DEPTH) throw new BundleFormatError(`<object> is not a ${FORMAT} bundle: it nests deeper than ${MAX_JSON_DEPTH} levels, or contains itself`);
    return new Bundle(clone(source));
  }
  throw new TypeError(`load() takes a path, bytes or an object, not ${typeName(source)}`);
}

// A missing or unreadable file is the operating system's error, as in Python (OSError).
function readBundle(source, origin) {
  const stats = statSync(source);
  if (!stats.isFile()) throw new BundleFormatError(`${origin} is not a regular file`);
  if (stats.size > MAX_DOCUMENT_BYTES) throw new BundleFormatError(`${origin} is larger than the limit of ${MAX_DOCUMENT_BYTES.toLocaleString("en-US")} bytes for a bundle`);
  return readFileSync(source);
}

function parseBytes(data, origin) {
  if (data.byteLength > MAX_DOCUMENT_BYTES) throw new BundleFormatError(`${origin} is larger than the limit of ${MAX_DOCUMENT_BYTES.toLocaleString("en-US")} bytes for a bundle`);
  let text;
  try {
    // ignoreBOM keeps a leading BOM for parseJson, which skips one (a second is an error)
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(data);
  } catch {
    throw new BundleFormatError(`${origin} is not a promptc bundle: not UTF-8 text`);
  }
  try {
    return parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new BundleFormatError(`${origin} is not a promptc bundle: ${err.message}`);
    throw err;
  }
}

function verify(document, origin) {
  const prefix = `${origin} is not a ${FORMAT} bundle`;
  if (!isObject(document)) throw new BundleFormatError(`${prefix}: expected a JSON object, got ${typeName(document)}`);
  if (jsonDepth(document) > MAX_JSON_DEPTH) throw new BundleFormatError(`${prefix}: it nests deeper than ${MAX_JSON_DEPTH} levels`);
  checkStrings(document, prefix);
  try {
    verifyDocument(document, origin, prefix);
  } catch (err) {
    // a schema nested within the depth limit but too deep for the validator
    if (err instanceof RangeError) throw new BundleFormatError(`${prefix}: its schemas nest too deeply to be validated`);
    throw err;
  }
}

function checkStrings(document, prefix) {
  const stack = [document];
  while (stack.length) {
    const value = stack.pop();
    if (typeof value === "string") {
      if (tooLong(value)) throw new BundleFormatError(`${prefix}: it holds a string longer than the limit of ${MAX_STRING_LENGTH.toLocaleString("en-US")} characters`);
    } else if (Array.isArray(value)) stack.push(...value);
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) stack.push(k, v);
  }
}

const REFERENCES = ["$ref", "$dynamicRef", "$recursiveRef"];

/** The reference keywords in an input schema: a remote one would be fetched, a
 * self-reference never ends; promptc writes neither. */
function* schemaRefs(schema) {
  const stack = [schema];
  while (stack.length) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (isObject(node)) {
      for (const key of REFERENCES) if (Object.hasOwn(node, key)) yield `\`${key}\``;
      for (const [k, v] of Object.entries(node)) if (!DATA_KEYWORDS.has(k)) stack.push(v);
    }
  }
}

function verifyDocument(document, origin, prefix) {
  if (document.format !== FORMAT) {
    const found = Object.hasOwn(document, "format") ? tojson(document.format) : "no format key";
    throw new BundleFormatError(`${prefix}: found ${found}, expected format '${FORMAT}'`);
  }
  const missing = REQUIRED_KEYS.filter((key) => !Object.hasOwn(document, key));
  if (missing.length) throw new BundleFormatError(`${prefix}: missing key(s) ${missing.join(", ")}`);
  const { hash: recorded, spec } = document;
  if (!isObject(spec) || typeof recorded !== "string") throw new BundleFormatError(`${prefix}: spec must be an object and hash a string`);
  let actual;
  try {
    actual = specHash(spec);
  } catch (err) {
    if (err instanceof CanonicalizationError) throw new BundleFormatError(`${prefix}: its spec cannot be canonicalized (${err.message})`);
    throw err;
  }
  if (actual !== recorded) throw new IntegrityError(`${document.name}@${document.version} (${origin})`, recorded, actual);
  const plain = toPlain(document);
  const errors = validateDocument(plain).map((e) => `${jsonPath(plain, e.instancePath)}: ${e.message}`).sort();
  if (errors.length) {
    const details = errors.slice(0, 20).map((e) => `  - ${e}`).join("\n");
    const more = errors.length > 20 ? `\n  … and ${errors.length - 20} more` : "";
    throw new BundleFormatError(`${origin} does not match the ${FORMAT} schema:\n${details}${more}`);
  }
  for (const pattern of schemaPatterns(spec.inputs)) {
    try {
      compilePattern(pattern);
    } catch (err) {
      if (err instanceof PatternError) throw new BundleFormatError(`${prefix}: its input schema has a pattern outside the supported subset: ${err.message}`);
      throw err;
    }
  }
  for (const ref of schemaRefs(spec.inputs)) {
    throw new BundleFormatError(`${prefix}: its input schema uses ${ref}; input schemas must be self-contained (promptc never writes references)`);
  }
  for (const message of spec.messages) {
    if (irDepth(message.content) > MAX_IR_DEPTH) throw new BundleFormatError(`${prefix}: a message nests \`if\`, \`for\` and expressions deeper than ${MAX_IR_DEPTH} levels`);
  }
}

// Keywords whose values are data, not schemas: a "pattern" key inside them is not a pattern.
const DATA_KEYWORDS = new Set(["const", "default", "enum", "examples"]);

/** Every `pattern` of a JSON Schema (iteratively; values of const/default/enum skipped). */
function* schemaPatterns(schema) {
  const stack = [schema];
  while (stack.length) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (const v of node) if (v !== null && typeof v === "object") stack.push(v);
    } else if (isObject(node)) {
      if (typeof node.pattern === "string") yield node.pattern;
      for (const [k, v] of Object.entries(node)) if (!DATA_KEYWORDS.has(k) && v !== null && typeof v === "object") stack.push(v);
    }
  }
}

function clone(v) {
  if (v instanceof Float) return new Float(v.value);
  if (Array.isArray(v)) return v.map(clone);
  if (!isObject(v)) return v;
  const out = {};
  for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: clone(v[k]), enumerable: true, writable: true, configurable: true });
  return out;
}

// --- input validation with Ajv ---------------------------------------------------------------

// Input and field names are identifiers, so `__proto__`, `constructor` and `toString` are
// legal names. Ajv skips a property named "__proto__" (a guard against prototype pollution)
// and reads inherited members such as `constructor` of ordinary objects as if given. So
// Ajv sees null-prototype copies (floats as numbers) in which every key "__proto__", and
// every "__proto__" listed in `required` or `dependentRequired`, is renamed to PROTO.
const PROTO = "\u0000__proto__";
const unproto = (key) => (key === PROTO ? "__proto__" : key);

function forAjv(v, schema) {
  if (v instanceof Float) return v.value;
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map((x) => forAjv(x, schema));
  if (!isObject(v)) return v;
  const out = Object.create(null);
  for (const [k, x] of Object.entries(v)) {
    const names = schema && (k === "required" || k === "dependentRequired") && Array.isArray(x);
    out[k === "__proto__" ? PROTO : k] = names ? x.map((n) => (n === "__proto__" ? PROTO : n)) : forAjv(x, schema);
  }
  return out;
}

// --- input errors: Ajv's errors as the Python runtime's InputIssues -----------------------

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function pointerParts(data, pointer) {
  const parts = [];
  let node = data;
  for (const raw of pointer ? pointer.slice(1).split("/") : []) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    parts.push(Array.isArray(node) ? Number(key) : unproto(key));
    node = node?.[key];
  }
  return parts;
}

/** `["history", 0, "text"]` → `history[0].text`; keys that are not identifiers are quoted. */
export function formatPath(parts) {
  let out = "";
  for (const part of parts) {
    if (typeof part === "number") out += `[${part}]`;
    else if (IDENTIFIER.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || "<inputs>";
}

function jsonPath(data, pointer) {
  return "$" + pointerParts(data, pointer).map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");
}

const BOUNDS = { maximum: "at most", minimum: "at least", exclusiveMaximum: "less than", exclusiveMinimum: "greater than" };

function describe(errors, data) {
  // An optional value (anyOf [T, null]) that fits neither branch is one problem, as in
  // Python's jsonschema: drop the branches' own errors and `if`'s echo of `then`.
  const groups = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf").map((e) => e.schemaPath + "/");
  const issues = [];
  const add = (parts, message) => {
    const path = formatPath(parts);
    if (!issues.some((i) => i.path === path && i.message === message)) issues.push({ path, message });
  };
  for (const e of errors) {
    if (e.keyword === "if" || groups.some((g) => e.schemaPath.startsWith(g))) continue;
    const where = pointerParts(data, e.instancePath);
    const value = e.data;
    switch (e.keyword) {
      case "additionalProperties": {
        const allowed = Object.keys(e.parentSchema.properties ?? {}).map(unproto).sort().join(", ") || "none";
        add([...where, unproto(e.params.additionalProperty)], `is not ${where.length ? "a field of this object" : "a declared input"}; allowed: ${allowed}`);
        break;
      }
      case "required":
        add([...where, unproto(e.params.missingProperty)], "is required but was not given");
        break;
      case "type": {
        const wanted = Array.isArray(e.schema) ? e.schema.join(" or ") : e.schema;
        add(where, `expected ${wanted}, got ${typeName(value)} ${show(value)}`);
        break;
      }
      case "enum":
        add(where, `${show(value)} is not allowed; expected one of: ${e.schema.map(show).join(", ")}`);
        break;
      case "const":
        add(where, `${show(value)} is not allowed; expected exactly ${show(e.schema)}`);
        break;
      case "maxLength":
      case "minLength":
        add(where, `is ${codePoints(value)} characters long; ${e.keyword === "maxLength" ? "at most" : "at least"} ${e.schema} allowed`);
        break;
      case "maxItems":
      case "minItems":
        add(where, `has ${value.length} items; ${e.keyword === "maxItems" ? "at most" : "at least"} ${e.schema} allowed`);
        break;
      case "maximum":
      case "minimum":
      case "exclusiveMaximum":
      case "exclusiveMinimum":
        add(where, `is ${show(value)}; must be ${BOUNDS[e.keyword]} ${show(e.schema)}`);
        break;
      case "pattern":
        add(where, `${show(value)} does not match the pattern ${e.schema}`);
        break;
      case "anyOf":
      case "oneOf":
        add(where, `${show(value)} is not valid under any of the given schemas`);
        break;
      default:
        add(where, e.message.length > 200 ? e.message.slice(0, 200) + "…" : e.message);
    }
  }
  return issues;
}
