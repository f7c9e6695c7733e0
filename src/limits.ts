/**
 * Limits: the one place that says how big a bundle, a request or a batch may
 * be. Engines, pools, the spec compiler and the CLI take a `limits` option
 * (any subset of `Limits`); what is not given keeps its default. A value
 * over a limit is refused with LIMIT_EXCEEDED, `details.limit` naming the
 * limit and the message naming the option to raise (`limits.<name>`).
 *
 * Two numbers per limit:
 * - the default, chosen for production hosts: generous for real bundles and
 *   requests, small enough that a hostile or broken input cannot make a
 *   service spend unbounded memory or time;
 * - the ceiling, what the formats and kernels can represent at all (a count
 *   kept in one byte, a 64-bit channel mask, ...). A limit cannot be raised
 *   past its ceiling; the bundle validators enforce the ceilings whatever the
 *   options say.
 *
 * Bundle limits are checked when a bundle is loaded (Engine.load, swap,
 * Pool.create, Model.fromBundle) after its sections validated, and by the
 * spec compiler while it builds; input limits on every call.
 */
import { NextbestError } from './errors.js';

export interface Limits {
  // ---- bundles (checked at load and by the spec compiler)
  /** Bytes of a bundle file. */
  bundleBytes: number;
  /** Models in a bundle. */
  models: number;
  /** Features of the schema; also fields of the request context. */
  features: number;
  /** Values of one category dictionary (a feature, a context field, an event attribute, the channels). */
  categories: number;
  /** Characters of one string: a dictionary value, a name, an id in a bundle; a string value, id or name in a request. */
  stringLength: number;
  /** Trees of one tree-ensemble model. */
  trees: number;
  /** Nodes of one tree. */
  treeNodes: number;
  /** Tree nodes of all models of a bundle together. */
  nodes: number;
  /** Depth of a tree (the root is depth 0). */
  treeDepth: number;
  /** Actions of a bundle. */
  actions: number;
  /** Rules (eligibility, applicability, suitability) of one action, its group's included. */
  rules: number;
  /** Contact policies of a bundle. */
  policies: number;
  /** Characters of one expression's source. */
  exprSourceLength: number;
  /** Nesting depth of one expression's syntax tree (compiler; parentheses count). */
  exprDepth: number;
  /** Elements of one `in [...]` list. */
  exprListLength: number;
  /** Bytecode words of one compiled expression (program size). */
  exprCodeWords: number;
  /** Constants of one compiled expression. */
  exprConsts: number;
  /** Operand stack entries one compiled expression needs. */
  exprStack: number;
  /** Journey patterns of a bundle. */
  journeyPatterns: number;
  /** Windowed aggregates of a bundle. */
  aggregates: number;
  /** Event types of a bundle. */
  eventTypes: number;
  /** Attributes declared by one event type. */
  eventAttributes: number;
  /** Steps (automaton states) of one journey pattern, absences not counted. */
  patternStates: number;
  /** Partial matches one pattern keeps per customer (its maxPartialMatches). */
  partialMatches: number;
  /** Bytes of one customer's state. */
  stateBytes: number;
  // ---- inputs (checked on every call)
  /** Rows of one scoreBatch or pool.score call, requests of one pool.decide call. */
  batchSize: number;
  /** Bytes of one input line of the CLI (`--max-line-bytes`); also bounds a CSV record. */
  lineBytes: number;
}

export type LimitName = keyof Limits;

/** What the formats and kernels can represent: no option raises a limit past these. */
export const LIMIT_CEILINGS: Readonly<Limits> = Object.freeze({
  bundleBytes: 2 ** 31 - 1, // wasm memory the kernels address
  models: 65_536,
  features: 65_536,
  categories: 1 << 24, // category codes are exact in float32 below 2^24
  stringLength: 1 << 24,
  trees: 1 << 20,
  treeNodes: 1 << 25,
  nodes: 1 << 25,
  treeDepth: 256,
  actions: 4096,
  rules: 1024,
  policies: 1024,
  exprSourceLength: 1 << 24,
  exprDepth: 1000,
  exprListLength: 1 << 16,
  exprCodeWords: 1 << 20,
  exprConsts: 1 << 20,
  exprStack: 256, // the rule VM's static operand stack
  journeyPatterns: 1024,
  aggregates: 256,
  eventTypes: 1024,
  eventAttributes: 64,
  patternStates: 16,
  partialMatches: 8, // run slots per pattern in the state
  stateBytes: 1 << 20,
  batchSize: 2 ** 31 - 1,
  lineBytes: 1 << 30,
});

/** The defaults (docs/operations.md "Limits" lists them with what each bounds). */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  bundleBytes: 256 << 20,
  models: 1024,
  features: 65_536,
  categories: 65_536,
  stringLength: 4096,
  trees: 1 << 20,
  treeNodes: 1 << 20,
  nodes: 1 << 25,
  treeDepth: 256,
  actions: 4096,
  rules: 1024,
  policies: 1024,
  exprSourceLength: 16_384,
  exprDepth: 100,
  exprListLength: 1024,
  exprCodeWords: 16_384,
  exprConsts: 4096,
  exprStack: 64,
  journeyPatterns: 1024,
  aggregates: 256,
  eventTypes: 1024,
  eventAttributes: 64,
  patternStates: 16,
  partialMatches: 8,
  stateBytes: 65_536,
  batchSize: 1 << 24,
  lineBytes: 1 << 20,
});

export const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as LimitName[];

/**
 * The limits an option object asks for: defaults for what it leaves out.
 * OPTION_INVALID names the option for an unknown name or a value that is not
 * an integer from 1 to the limit's ceiling.
 */
export function resolveLimits(partial: Partial<Limits> | undefined, option = 'limits'): Readonly<Limits> {
  if (partial === undefined) return DEFAULT_LIMITS;
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw new NextbestError('OPTION_INVALID', `option ${option} must be an object such as { actions: 100 }`, { option });
  }
  if (isResolved(partial)) return partial;
  const out: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(partial)) {
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_LIMITS, key)) {
      throw new NextbestError('OPTION_INVALID', `unknown limit ${option}.${key.slice(0, 40)}; known: ${LIMIT_NAMES.join(', ')}`, { option: `${option}.${key.slice(0, 40)}` });
    }
    const v = (partial as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const ceiling = LIMIT_CEILINGS[key as LimitName];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > ceiling) {
      throw new NextbestError('OPTION_INVALID', `option ${option}.${key} must be an integer from 1 to ${ceiling}, got ${typeof v === 'number' ? v : typeof v}`, {
        option: `${option}.${key}`,
      });
    }
    out[key as LimitName] = v;
  }
  resolved.add(out);
  return Object.freeze(out);
}

/** Limit objects made by resolveLimits (frozen, complete): passed on without re-checking. */
const resolved = new WeakSet<object>();
resolved.add(DEFAULT_LIMITS);
function isResolved(o: object): o is Readonly<Limits> {
  return resolved.has(o);
}

/** The LIMIT_EXCEEDED error for `value` over limit `name`: what was too big, the limit, and the option that raises it. */
export function limitError(limits: Readonly<Limits>, name: LimitName, value: number, what: string): NextbestError {
  const max = limits[name];
  const raise =
    max < LIMIT_CEILINGS[name]
      ? `raise the option limits.${name} (up to ${LIMIT_CEILINGS[name]}) if this is intended`
      : `this is the most the format allows (limits.${name} cannot go higher)`;
  return new NextbestError('LIMIT_EXCEEDED', `${what}: ${value} is more than limits.${name} (${max}); ${raise}`, { limit: name, value, max });
}

/** Throws limitError when value > limits[name]. */
export function checkLimit(limits: Readonly<Limits>, name: LimitName, value: number, what: string): void {
  if (value > limits[name]) throw limitError(limits, name, value, what);
}

/**
 * LIMIT_EXCEEDED for a string of a caller's input (a category value, an id,
 * an event type) longer than limits.stringLength. Called where the string
 * matched nothing: a bundle's own strings are within the limit, so a known
 * value never pays for the check, and an unknown one is refused before it is
 * compared for suggestions or kept.
 */
export function checkInputString(limits: Readonly<Limits>, s: unknown, what: string): void {
  if (typeof s === 'string' && s.length > limits.stringLength) throw limitError(limits, 'stringLength', s.length, `characters of ${what}`);
}

/** LIMIT_EXCEEDED at a hard ceiling (a format bound no option raises), for validators that know no options. */
export function ceilingError(name: LimitName, value: number, what: string): NextbestError {
  return limitError(LIMIT_CEILINGS, name, value, what);
}
