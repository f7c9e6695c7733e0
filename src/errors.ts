/**
 * Every failure nextbest reports is a NextbestError with a stable `code`.
 * Codes are part of the public contract: hosts switch on them, logs group by
 * them. Messages say what to fix; `details` carries machine-readable context
 * (file, line, column, row, feature, ...).
 */
export const ErrorCodes = {
  // options and arguments
  OPTION_INVALID: 'An option passed to a constructor or call is invalid.',
  ARGUMENT_INVALID: 'An argument to a call has the wrong type or shape.',
  // bundle container
  BUNDLE_MAGIC: 'The bytes are not a nextbest bundle (wrong magic).',
  BUNDLE_VERSION: 'The bundle format major version is not supported by this engine.',
  BUNDLE_CHECKSUM: 'The bundle payload does not match its sha256.',
  BUNDLE_TRUNCATED: 'The bundle ended before its data did.',
  BUNDLE_DECODE: 'The bundle bytes are not valid msgpack or not the expected envelope.',
  BUNDLE_INVALID: 'A bundle table failed validation.',
  BUNDLE_UNSIGNED: 'The engine requires a signed bundle and this one is not signed.',
  BUNDLE_SIGNATURE: 'The bundle signature does not verify with any trusted key.',
  LIMIT_EXCEEDED: 'An input or bundle exceeds a configured limit.',
  // features and rows
  FEATURE_UNKNOWN: 'A feature name is not in the schema.',
  FEATURE_TYPE: 'A feature value has the wrong type.',
  FEATURE_CATEGORY: 'A categorical value is not in the feature dictionary.',
  ROWS_SHAPE: 'A batch of rows does not have the expected length.',
  // models
  MODEL_PARSE: 'A model file could not be parsed.',
  MODEL_INVALID: 'A model is malformed (indices out of range, cycles, inconsistent arrays).',
  MODEL_UNSUPPORTED: 'A model uses a feature nextbest does not support.',
  MODEL_UNKNOWN: 'A model id is not in the bundle.',
  MODEL_KIND: 'The operation is not available for this kind of model.',
  // specs (the readable source of a bundle)
  SPEC_PARSE: 'A spec file is not valid YAML/JSON.',
  SPEC_INVALID: 'A spec is well-formed but wrong (a missing field, a bad value, an unknown name).',
  // engine and state
  STATE_INVALID: 'Customer state bytes do not belong to this bundle or are corrupted.',
  // decisions
  DECISIONS_MISSING: 'The bundle has no actions to decide on.',
  CONTEXT_INVALID: 'A decision context has an unknown field or a value of the wrong type.',
  CHANNEL_UNKNOWN: 'A channel is not one of the bundle\'s channels.',
  TIME_INVALID: 'A time (`now`, `at`) is missing, not a finite number, or out of range.',
  ACTION_UNKNOWN: 'An action id is not in the bundle.',
  // wasm
  WASM_NOT_FOUND: 'The nextbest wasm binary could not be found.',
  WASM_ABORT: 'A kernel aborted (an internal invariant failed).',
  WASM_TRAP: 'A kernel trapped (an internal bug: please report it with the bundle).',
  // expressions (details: { line, column, file? })
  EXPR_PARSE: 'An expression has a syntax error.',
  EXPR_TYPE: 'An expression mixes types (number, bool, category, string) in a way the language does not allow.',
  EXPR_NAME: 'An expression uses an unknown name or function.',
  EXPR_LIMIT: 'An expression exceeds a size limit (source length, nesting depth, program length, stack depth).',
  // journey events (details: { type?, attribute? })
  EVENT_TYPE: 'An event has no type or a type the bundle does not declare.',
  EVENT_TIME: 'An event time is missing, not a finite integer number of epoch milliseconds, or out of range.',
  EVENT_ATTRIBUTE: 'An event attribute has the wrong type, an unknown category, or a required attribute is missing.',
  // worker pool
  POOL_CLOSED: 'The pool is closed or destroyed: it accepts no new work, and work it had not finished was cancelled.',
  WORKER_FAILED: 'A worker died (exit, crash, out of memory) on the same rows again after its retries, or failed unexpectedly; details name the rows.',
  // streaming input (CLI score/decide)
  INPUT_PARSE: 'An input line could not be parsed (broken JSON, bad CSV quoting, not an object).',
  INPUT_COLUMNS: 'A CSV row has a different number of fields than its header, or the header is unusable.',
  IO_FAILED: 'Reading an input or writing an output failed (missing file, no permission, disk full, closed pipe).',
  // adaptive learning and offline evaluation
  LEARNING_INVALID: 'Learning state bytes (a snapshot or delta) are malformed, corrupted or inconsistent.',
  LEARNING_INCOMPATIBLE: 'Learning state belongs to a model this bundle lacks or bins differently.',
  LOG_INVALID: 'A logged decision (offline evaluation input) is malformed.',
  POLICY_UNAVAILABLE: 'The bundle cannot act as a policy for offline evaluation (no decision engine or no actions).',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class NextbestError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NextbestError';
    this.code = code;
    this.details = details;
  }
}

/** True when `e` is a NextbestError, optionally with the given code. */
export function isNextbestError(e: unknown, code?: ErrorCode): e is NextbestError {
  return e instanceof NextbestError && (code === undefined || e.code === code);
}
