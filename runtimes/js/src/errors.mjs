// Errors thrown by the runtime; the same classes and messages as promptc.runtime.errors.

/** Base class of every error the runtime throws on purpose. */
export class PromptcRuntimeError extends Error {
  get name() {
    return this.constructor.name;
  }
}

/** The document is not a `promptc.bundle/v1` bundle: not JSON, wrong format or shape. */
export class BundleFormatError extends PromptcRuntimeError {}

/** The bundle's `spec` no longer hashes to its recorded `hash`: it was edited after it was built. */
export class IntegrityError extends PromptcRuntimeError {
  constructor(bundle, expected, actual) {
    super(
      `bundle '${bundle}' failed its integrity check: it records hash ${expected} but its spec ` +
        `hashes to ${actual}. The bundle was modified after it was built; rebuild it with ` +
        "promptc instead of editing it by hand.",
    );
    this.bundle = bundle;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The inputs passed to `render` do not match the bundle's input schema. `errors` holds
 * every problem as `{path, message}`, not only the first. */
export class InputError extends PromptcRuntimeError {
  constructor(bundle, errors) {
    const n = errors.length;
    const lines = errors.map((e) => `  - ${e.path}: ${e.message}`).join("\n");
    super(`invalid inputs for ${bundle} (${n} problem${n === 1 ? "" : "s"}):\n${lines}`);
    this.bundle = bundle;
    this.errors = errors;
  }
}

/** An expression met a value its operation does not accept (e.g. `<` between a number and
 * a string). The compiler's type checker rules these out. */
export class RenderError extends PromptcRuntimeError {}

/** The environment deliberately serves no version of the prompt to this request: a first
 * release's `off` share, a render without a key during a first release, or a first release
 * that was frozen or rolled back (there is no earlier version to fall back on). The caller
 * runs its path without the prompt. `trace` carries name, env, variant "off", bucket and
 * rollout (version, hash and response_id are null). As promptc.runtime.NotServed. */
export class NotServed extends PromptcRuntimeError {
  constructor(message, trace) {
    super(message);
    this.trace = trace;
  }
}
