// A client that serves prompts from an OCI registry by environment label (docs/oci.md):
//
//   const client = new Client({ registry: "oci://127.0.0.1:5000/prompts", env: "prod", ttlMs: 30000 });
//   const { messages, trace } = await client.render("support.answer", inputs, { key: userId });
//
// A label is the tag `<env>` of the repository `<registry>/<prompt>`. Its manifest names the
// stable bundle and, while a rollout is in flight, carries the rollout (salt, arms with their
// weights, bundle hashes and manifest digests) in the `dev.promptc.rollout` annotation; the
// key is bucketed with the published function (bucketing.mjs) to pick an arm. Bundles are
// fetched by digest, checked blob by blob against their digests and loaded with `load`,
// which verifies the bundle hash, then cached by hash for good (content never changes under
// a hash). Label resolutions are cached for `ttlMs`, so a moved label is seen within that
// time. When the registry cannot be reached, the client keeps serving the last verified
// bundle and says so in the trace (`stale: true`, `error`).
//
// Captured cases: `capture(trace, {output, kind, note})` builds the case of a served response
// that went wrong (the inputs of this client's render of it, the bundle hash, version,
// environment and arm), runs the `redact` hook on it, and hands it to the `capture` sink: a
// function, or a file path to append JSON lines to for `promptc eval ingest FILE`, which
// stores them in the SQLite or PostgreSQL registry. Inputs are kept only for bundles whose
// front matter says `capture: {inputs: true}`.
//
// A first release (no stable version yet) is a canary whose other arm is `off`, with no
// bundle (hash null): the tag then holds the candidate's bundle, and keys bucketed into
// `off`, renders without a key, every key of a frozen first release, and a label marked
// `dev.promptc.served: none` (a first release rolled back) throw `NotServed`.

import { createHash, randomUUID } from "node:crypto";
import { appendFile } from "node:fs/promises";
import { load } from "./bundle.mjs";
import { bucket, chooseArm } from "./bucketing.mjs";
import { NotServed, PromptcRuntimeError } from "./errors.mjs";
import { parseJson } from "./json.mjs";
import { Float } from "./values.mjs";

export const BUNDLE_MEDIA_TYPE = "application/vnd.promptc.bundle.v1+json";
export const CONFIG_MEDIA_TYPE = "application/vnd.promptc.bundle.config.v1+json";
export const MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
export const ROLLOUT_ANNOTATION = "dev.promptc.rollout";
export const SERVED_ANNOTATION = "dev.promptc.served";
const CONFIG_KEYS = ["format", "name", "version", "hash", "meta", "provenance", "tokens"];
const LOCAL = new Set(["localhost", "127.0.0.1", "[::1]"]);
export const CAPTURE_FORMAT = "promptc.capture/v1";
/** Kinds of failure the docs name; any other kebab-case kind is accepted too. */
export const CAPTURE_KINDS = ["unexpected-refusal", "wrong-tool-sequence", "hallucinated-field", "verbosity", "format-error"];
const KIND = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
// As promptc.registry.captures: why a case carries no inputs.
const NOT_ALLOWED = "not stored: the prompt's front matter does not set `capture: {inputs: true}`";
const UNKNOWN = "not stored: the client that captured the case did not render it and was given no inputs";
const REDACTED = "not stored: the redaction hook removed them";
const KEPT_INPUTS = 10_000;

/** The registry refused a request, or answered with something that is not a promptc bundle. */
export class RegistryError extends PromptcRuntimeError {}

/** The registry could not be reached (network, timeout, 5xx): the client may serve stale. */
export class RegistryUnavailable extends RegistryError {}

const sha256 = (bytes) => "sha256:" + createHash("sha256").update(bytes).digest("hex");

/** `oci://host[:port]/repo` → {base, repo}; plain http for localhost, `oci+http://` or `insecure`. */
export function parseRegistry(url, insecure = false) {
  const m = /^(oci|oci\+http|oci\+https):\/\/([^/]+)\/([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)\/?$/.exec(url ?? "");
  if (!m) throw new RegistryError(`\`${url}\` is not an OCI repository; write it as oci://HOST[:PORT]/REPO, such as oci://127.0.0.1:5000/prompts`);
  const [, scheme, host, repo] = m;
  const hostname = host.replace(/:\d+$/, "");
  const http = scheme === "oci+http" || (scheme === "oci" && (insecure || LOCAL.has(hostname)));
  return { base: `${http ? "http" : "https"}://${host}`, host, repo };
}

/** Inputs as plain JSON values (a `Float` becomes its number). */
function toPlainInputs(v) {
  if (v instanceof Float) return v.value;
  if (Array.isArray(v)) return v.map(toPlainInputs);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlainInputs(x)]));
  return v;
}

/** Canonical JSON writes every integral double as an integer and never an integer beyond
 * ±(2**53 - 1): a number that large in a spec layer was a float. */
function restoreFloats(v) {
  if (typeof v === "bigint") return new Float(Number(v));
  if (Array.isArray(v)) return v.map(restoreFloats);
  if (v !== null && typeof v === "object" && !(v instanceof Float)) {
    for (const k of Object.keys(v)) v[k] = restoreFloats(v[k]);
  }
  return v;
}

export class Client {
  #registry;
  #env;
  #ttlMs;
  #timeoutMs;
  #fetch;
  #now;
  #authorization;
  #labels = new Map(); // name → {manifest, digest, checkedAt, stale, error}
  #pending = new Map(); // name → promise of a label refresh
  #bundles = new Map(); // hash → verified Bundle
  #inputs = new Map(); // response_id → the inputs it was rendered with, for capture()
  #sink;
  #redact;

  /**
   * @param {object} options
   * @param {string} options.registry  oci://HOST[:PORT]/REPO, the repository a push wrote to
   * @param {string} options.env       the environment whose label to serve (a tag)
   * @param {number} [options.ttlMs]   how long a label resolution is trusted (default 30 s)
   * @param {number} [options.timeoutMs] per request (default 5 s)
   * @param {boolean} [options.insecure] plain http for a non-local host
   * @param {{username: string, password: string}|{token: string}} [options.auth]
   * @param {string|function} [options.capture] where `capture()` sends cases: a JSON Lines file
   *   (for `promptc eval ingest`), or a function given each case (it may return a promise)
   * @param {function} [options.redact] `(inputs, output) => ({inputs, output})`, or null to store
   *   nothing; runs before a case leaves the client
   */
  constructor({ registry, env, ttlMs = 30_000, timeoutMs = 5_000, insecure = false, auth, fetch = globalThis.fetch, now = Date.now, capture, redact } = {}) {
    this.#registry = parseRegistry(registry, insecure);
    if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(env ?? "")) throw new RegistryError(`\`${env}\` is not an environment name`);
    this.#env = env;
    this.#ttlMs = ttlMs;
    this.#timeoutMs = timeoutMs;
    this.#fetch = fetch;
    this.#now = now;
    if (capture !== undefined && typeof capture !== "string" && typeof capture !== "function") {
      throw new TypeError("`capture` is a file path (JSON Lines) or a function given each captured case");
    }
    this.#sink = typeof capture === "string" ? (c) => appendFile(capture, JSON.stringify(c) + "\n", "utf8") : capture;
    if (redact !== undefined && redact !== null && typeof redact !== "function") throw new TypeError("`redact` must be a function");
    this.#redact = redact ?? null;
    if (auth?.token) this.#authorization = `Bearer ${auth.token}`;
    else if (auth?.username) this.#authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ""}`).toString("base64")}`;
  }

  /** Resolve `name` for `key`, render it and return the messages with the trace. Without a
   * key, a rollout in flight serves its stable bundle (no assignment is made). */
  async render(name, inputs = {}, { key } = {}) {
    const { bundle, trace } = await this.resolve(name, { key });
    const rendered = bundle.render(inputs);
    const responseId = randomUUID().replaceAll("-", "");
    if (this.#sink) {
      this.#inputs.set(responseId, structuredClone(toPlainInputs(inputs)));
      if (this.#inputs.size > KEPT_INPUTS) this.#inputs.delete(this.#inputs.keys().next().value);
    }
    return { ...rendered, trace: { ...rendered.trace, ...trace, response_id: responseId } };
  }

  /**
   * Record a served response that went wrong, for `promptc eval ingest` and `eval pull`.
   * `kind`: "unexpected-refusal", "wrong-tool-sequence", "hallucinated-field", "verbosity",
   * "format-error" or another kebab-case name. The inputs are those of this client's render
   * of `trace` (`inputs` gives them for a trace rendered elsewhere). The `redact` hook runs
   * first; inputs are kept only when the bundle's front matter says `capture: {inputs: true}`.
   * Resolves to the case handed to the sink, or null when the hook dropped it.
   */
  async capture(trace, { output, kind, note = "", inputs } = {}) {
    if (!this.#sink) throw new PromptcRuntimeError("this client has no `capture` sink: pass `capture` (a file path or a function) to new Client()");
    if (typeof kind !== "string" || !KIND.test(kind) || kind.length > 64) {
      throw new PromptcRuntimeError(`\`${kind}\` is not a kind of failure: write it in kebab-case (at most 64 characters), such as ${CAPTURE_KINDS.join(", ")}`);
    }
    if (typeof note !== "string") throw new PromptcRuntimeError("`note` must be text");
    const bundle = trace?.hash ? this.#bundles.get(trace.hash) : undefined;
    if (!bundle) throw new PromptcRuntimeError("the trace names no bundle this client served: capture takes the trace of a render it returned, not of `NotServed`");
    const known = inputs !== undefined || this.#inputs.has(trace.response_id);
    let kept = structuredClone(inputs !== undefined ? toPlainInputs(inputs) : this.#inputs.get(trace.response_id) ?? null);
    let out = structuredClone(output ?? null);
    let withheld = known ? null : UNKNOWN;
    if (this.#redact) {
      const redacted = await this.#redact(kept, out);
      if (redacted === null || redacted === undefined) return null;
      kept = redacted.inputs ?? null;
      out = redacted.output ?? null;
      if (kept === null && known) withheld = REDACTED;
    }
    if (bundle.meta?.capture?.inputs !== true) {
      kept = null;
      withheld = NOT_ALLOWED;
    }
    const record = {
      format: CAPTURE_FORMAT, at: new Date(this.#now()).toISOString(), name: bundle.name, version: bundle.version,
      hash: bundle.hash, env: this.#env, variant: trace.variant ?? "stable", response_id: trace.response_id ?? null,
      kind, note, inputs: kept, output: out,
    };
    if (kept === null) record.withheld = withheld;
    await this.#sink(record);
    return record;
  }

  /** The verified bundle `name` serves to `key` in this environment, and the trace fields. */
  async resolve(name, { key } = {}) {
    const label = await this.#label(name);
    // As promptc.runtime.Client: only an active rollout assigns, over its arms with weight.
    const rollout = label.rollout?.status === "active" ? label.rollout : null;
    const arms = rollout ? rollout.arms.filter((a) => a.weight > 0) : [];
    const stableHash = label.manifest.layers[0].digest;
    // A first release has an arm without a bundle, and no stable version at all.
    const firstRelease = label.notServed || Boolean(label.rollout?.arms?.some((a) => a.hash == null));
    const notServed = (position, why) => {
      const trace = { name, version: null, hash: null, env: this.#env, variant: "off", bucket: position,
        rollout: label.rollout?.id ?? null, response_id: null, stale: label.stale };
      if (label.stale) trace.error = label.error;
      return new NotServed(`${this.#env} does not serve ${name} here: ${why}`, trace);
    };
    if (firstRelease && !rollout) throw notServed(null, "no version is served (a first release that was frozen, rolled back or aborted)");
    let arm = null;
    let position = null;
    if (arms.length > 1 && key !== undefined && key !== null) {
      arm = arms[chooseArm(arms.map((a) => a.weight), rollout.salt, name, String(key))];
      position = bucket(rollout.salt, name, String(key));
      if (arm.hash == null) throw notServed(position, "the key falls in the share a first release does not serve yet");
    } else if (arms.length > 1 && firstRelease) {
      throw notServed(null, "a first release serves only keyed renders (there is no stable version for a render without a key)");
    } else if (arms.length === 1) {
      arm = arms[0];
    } else if (rollout?.kind === "split") {
      // No key: the stable bundle, named by its arm of the split (else the first arm).
      arm = rollout.arms.find((a) => a.hash === stableHash) ?? arms[0];
    }
    let bundle;
    let stale = label.stale;
    let error = label.error;
    try {
      bundle = arm && arm.hash !== stableHash
        ? await this.#bundle(name, arm.hash, arm.manifest, null)
        : await this.#bundle(name, stableHash, label.digest, label.manifest);
    } catch (err) {
      if (!(err instanceof RegistryUnavailable) || firstRelease) throw err;
      // The arm's bundle was never fetched and the registry is down: the stable one, if known.
      bundle = this.#bundles.get(stableHash);
      if (!bundle) throw err;
      arm = null;
      position = null;
      stale = true;
      error = err.message;
    }
    const trace = {
      name: bundle.name, version: bundle.version, hash: bundle.hash, env: this.#env,
      variant: arm && bundle.hash === arm.hash ? arm.variant : "stable", bucket: position, rollout: rollout?.id ?? null, stale,
    };
    if (stale) trace.error = error;
    return { bundle, trace };
  }

  /** Forget every label resolution (bundles stay: a hash never changes its content). */
  invalidate() {
    this.#labels.clear();
  }

  async #label(name) {
    const cached = this.#labels.get(name);
    if (cached && this.#now() - cached.checkedAt < this.#ttlMs) return cached;
    if (!this.#pending.has(name)) {
      const refresh = this.#refreshLabel(name, cached).finally(() => this.#pending.delete(name));
      this.#pending.set(name, refresh);
    }
    return this.#pending.get(name);
  }

  async #refreshLabel(name, cached) {
    const repo = this.#repo(name);
    try {
      const { manifest, digest } = await this.#manifest(repo, this.#env, `${name} in ${this.#env}`);
      const text = manifest.annotations?.[ROLLOUT_ANNOTATION];
      const notServed = manifest.annotations?.[SERVED_ANNOTATION] === "none";
      const label = { manifest, digest, rollout: text && !notServed ? JSON.parse(text) : null, notServed, checkedAt: this.#now(), stale: false, error: null };
      this.#labels.set(name, label);
      return label;
    } catch (err) {
      if (!(err instanceof RegistryUnavailable) || !cached) throw err;
      // Keep serving what was verified last; try the registry again after another TTL.
      const label = { ...cached, checkedAt: this.#now(), stale: true, error: err.message };
      this.#labels.set(name, label);
      return label;
    }
  }

  async #bundle(name, hash, manifestDigest, manifest) {
    const known = this.#bundles.get(hash);
    if (known) return known;
    const repo = this.#repo(name);
    const origin = `${this.#registry.host}/${repo}@${manifestDigest}`;
    if (!manifest) {
      const fetched = await this.#manifest(repo, manifestDigest, origin);
      if (fetched.digest !== manifestDigest) throw new RegistryError(`${origin}: refused: the manifest hashes to ${fetched.digest}`);
      manifest = fetched.manifest;
    }
    if (manifest.layers[0].digest !== hash) throw new RegistryError(`${origin}: refused: its layer is ${manifest.layers[0].digest}, not the bundle ${hash}`);
    const [configBytes, layerBytes] = await Promise.all([
      this.#blob(repo, manifest.config.digest, origin),
      this.#blob(repo, hash, origin),
    ]);
    const text = (bytes) => new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    let config;
    let spec;
    try {
      config = parseJson(text(configBytes));
      spec = restoreFloats(parseJson(text(layerBytes)));
    } catch (err) {
      throw new RegistryError(`${origin}: refused: the bundle's config or layer is not JSON (${err.message})`);
    }
    if (config === null || typeof config !== "object" || config.hash !== hash) {
      throw new RegistryError(`${origin}: refused: the config does not describe the bundle ${hash}`);
    }
    const document = { format: config.format, name: config.name, version: config.version, hash: config.hash, spec };
    for (const k of CONFIG_KEYS.slice(4)) document[k] = config[k];
    const bundle = load(document); // BundleFormatError / IntegrityError on anything altered
    if (bundle.name !== name) throw new RegistryError(`${origin}: refused: it holds ${bundle.name}, not ${name}`);
    this.#bundles.set(hash, bundle);
    return bundle;
  }

  #repo(name) {
    return `${this.#registry.repo}/${String(name).toLowerCase()}`;
  }

  async #request(path, accept, origin) {
    const url = this.#registry.base + path;
    const headers = { Accept: accept };
    if (this.#authorization) headers.Authorization = this.#authorization;
    let response;
    try {
      response = await this.#fetch(url, { headers, signal: AbortSignal.timeout(this.#timeoutMs), redirect: "follow" });
      if (response.status === 401 && !this.#authorization?.startsWith("Bearer ") && (await this.#token(response))) {
        headers.Authorization = this.#authorization;
        response = await this.#fetch(url, { headers, signal: AbortSignal.timeout(this.#timeoutMs), redirect: "follow" });
      }
    } catch (err) {
      const reason = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(err);
      throw new RegistryUnavailable(`cannot reach the OCI registry at ${this.#registry.base}/v2/ (${origin}): ${reason}`);
    }
    if (response.status >= 500 || response.status === 429) {
      throw new RegistryUnavailable(`the OCI registry at ${this.#registry.base} answered HTTP ${response.status} for ${origin}`);
    }
    if (response.status === 404) {
      throw new RegistryError(`${this.#registry.base}: no ${origin} (HTTP 404): push it with \`promptc push --env ${this.#env} oci://${this.#registry.host}/${this.#registry.repo}\``);
    }
    if (response.status !== 200) throw new RegistryError(`${this.#registry.base}: HTTP ${response.status} for ${origin}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  async #token(response) {
    // A Bearer challenge: fetch a token (anonymously, or with basic credentials given).
    const challenge = response.headers.get("www-authenticate") ?? "";
    if (!/^bearer /i.test(challenge)) return false;
    const fields = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!fields.realm) return false;
    const query = new URLSearchParams({ ...(fields.service ? { service: fields.service } : {}), scope: fields.scope ?? `repository:${this.#registry.repo}:pull` });
    const headers = this.#authorization ? { Authorization: this.#authorization } : {};
    const reply = await this.#fetch(`${fields.realm}?${query}`, { headers, signal: AbortSignal.timeout(this.#timeoutMs) });
    if (reply.status !== 200) return false;
    const body = await reply.json();
    const token = body.token ?? body.access_token;
    if (!token) return false;
    this.#authorization = `Bearer ${token}`;
    return true;
  }

  async #manifest(repo, reference, origin) {
    const bytes = await this.#request(`/v2/${repo}/manifests/${reference}`, MANIFEST_MEDIA_TYPE, origin);
    let manifest;
    try {
      manifest = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new RegistryError(`${origin}: the registry returned a manifest that is not JSON`);
    }
    const layer = manifest?.layers?.[0];
    if (manifest?.config?.mediaType !== CONFIG_MEDIA_TYPE || manifest.layers.length !== 1 || layer?.mediaType !== BUNDLE_MEDIA_TYPE) {
      throw new RegistryError(`${origin} is not a promptc bundle (expected a ${CONFIG_MEDIA_TYPE} config and one ${BUNDLE_MEDIA_TYPE} layer)`);
    }
    return { manifest, digest: sha256(bytes) };
  }

  async #blob(repo, digest, origin) {
    const bytes = await this.#request(`/v2/${repo}/blobs/${digest}`, "*/*", origin);
    const actual = sha256(bytes);
    if (actual !== digest) throw new RegistryError(`${origin}: refused: the blob ${digest} does not match its digest (got ${actual}); it was altered`);
    return bytes;
  }
}
