/**
 * pool.decide: a batch of decision requests, split into chunks that run as
 * worker tasks (the score path's Batch, with requests in and decisions out).
 *
 * A chunk is prepared on this side when it is dispatched: each request's
 * features are encoded into one Float32Array (schema order, the same
 * encoder the engine uses, so the same errors) that moves to the worker
 * without a copy, its context is copied to a plain object of primitives
 * (the only values a context holds), its state bytes are sliced and moved.
 * Encoding by name costs about what cloning the feature object would, and
 * anything a worker could not receive is caught here, per request.
 *
 * Results are per request, in input order: `{ ok: true, decision }` or
 * `{ ok: false, error }` with the NextbestError the engine (or the
 * preparation) raised for that request alone. A request that fails never
 * fails its batch; a worker that dies does (after its retries), like score.
 *
 * Customer state: workers keep none. A request is decided on the state
 * bytes it carries (`state`, e.g. from an external store, or from
 * `engine.observeState` / `recordState`), else as a customer without
 * history (no contact history, no journeys). `customerId` is not sent.
 */
import { NextbestError, type ErrorCode, ErrorCodes } from '../errors.js';
import { describe } from '../bundle/binary.js';
import type { EncodeOptions, FeatureSchema } from '../runtime/features.js';
import type { Decision, DecisionRequest } from '../decide/types.js';
import { Batch } from './batch.js';
import type { DecideLinesResult, DecideLinesTask, DecideResult, DecideTask, TaskFailure } from './protocol.js';

/** A request of pool.decide: an engine request, optionally with the customer's state bytes. */
export interface PoolDecideRequest extends DecisionRequest {
  /** The customer's state (contact history, journeys) to decide on; omitted: a customer without history. */
  state?: Uint8Array;
}

export interface PoolDecideOptions {
  /** Actions per channel (default: the bundle's arbitration.limit). */
  limit?: number;
  /** Explain every decision (as engine.decide with { explain: true }). */
  explain?: boolean;
  /**
   * Exploration seeds (adaptive propensities): a number (request i uses
   * seed + i) or one seed per request. With seeds a decision is the same
   * whatever worker makes it; without, each worker draws from its engine's
   * own stream and results depend on how the batch was split.
   */
  seed?: number | ArrayLike<number>;
  /** How feature objects are encoded (unknown names, unknown categories), as the Engine option. */
  encode?: EncodeOptions;
}

/**
 * One request's outcome, at the request's index, with the sha256 of the
 * bundle that decided it (`bundle`: the same for every item of a call; the
 * bundle current when the call was made, whatever swaps happen meanwhile).
 */
export type PoolDecision = { ok: true; decision: Decision; bundle: string } | { ok: false; error: NextbestError; bundle: string };

const OPTION_KEYS = ['limit', 'explain', 'seed', 'encode'];

export interface ResolvedDecideOptions {
  limit: number | undefined;
  explain: boolean;
  seedBase: number | undefined;
  seeds: ArrayLike<number> | undefined;
  encode: EncodeOptions | undefined;
}

/** Checks pool.decide's options (the engine's rules for limit and seeds). */
export function resolveDecideOptions(o: PoolDecideOptions | undefined, n: number): ResolvedDecideOptions {
  const r: ResolvedDecideOptions = { limit: undefined, explain: false, seedBase: undefined, seeds: undefined, encode: undefined };
  if (o === undefined) return r;
  if (o === null || typeof o !== 'object') throw new NextbestError('OPTION_INVALID', `decide options must be an object { limit?, explain?, seed?, encode? }, got ${describe(o)}`);
  for (const k of Object.keys(o)) {
    if (!OPTION_KEYS.includes(k)) throw new NextbestError('OPTION_INVALID', `unknown decide option "${k.slice(0, 64)}"; known: ${OPTION_KEYS.join(', ')}`, { option: k.slice(0, 64) });
  }
  if (o.limit !== undefined) {
    if (typeof o.limit !== 'number' || !Number.isInteger(o.limit) || o.limit < 0) {
      throw new NextbestError('OPTION_INVALID', `limit must be a non-negative integer (actions per channel), got ${describe(o.limit)}`);
    }
    r.limit = Math.min(o.limit, 0x7fffffff);
  }
  if (o.explain !== undefined && typeof o.explain !== 'boolean') throw new NextbestError('OPTION_INVALID', `explain must be true or false, got ${describe(o.explain)}`);
  r.explain = o.explain === true;
  const seed = o.seed;
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed) || seed < 0 || !Number.isSafeInteger(seed + Math.max(0, n - 1))) {
      throw new NextbestError('OPTION_INVALID', `seed must be a non-negative integer such that seed + ${Math.max(0, n - 1)} (the last request's seed) is a safe integer, got ${describe(seed)}`);
    }
    r.seedBase = seed;
  } else if (seed !== undefined) {
    if (seed === null || typeof seed !== 'object' || typeof (seed as ArrayLike<number>).length !== 'number' || (seed as ArrayLike<number>).length !== n) {
      throw new NextbestError('OPTION_INVALID', `seed must be a number or one seed per request (${n}), got ${describe(seed)}`);
    }
    for (let i = 0; i < n; i++) {
      const s = seed[i];
      if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw new NextbestError('OPTION_INVALID', `seed[${i}] must be a non-negative safe integer, got ${describe(s)}`);
    }
    r.seeds = seed;
  }
  if (o.encode !== undefined) {
    const e = o.encode;
    if (e === null || typeof e !== 'object') throw new NextbestError('OPTION_INVALID', `encode must be an object { ignoreUnknown?, unknownCategory? }, got ${describe(e)}`);
    if (e.unknownCategory !== undefined && e.unknownCategory !== 'error' && e.unknownCategory !== 'missing') {
      throw new NextbestError('OPTION_INVALID', `encode.unknownCategory must be "error" or "missing", got ${describe(e.unknownCategory)}`);
    }
    r.encode = { ...e };
  }
  return r;
}

/**
 * A request's context as a plain object of primitives (what a worker can
 * receive); CONTEXT_INVALID for anything a context never holds.
 */
export function plainContext(ctx: unknown): Record<string, unknown> {
  if (ctx === null || typeof ctx !== 'object' || Array.isArray(ctx)) {
    throw new NextbestError('CONTEXT_INVALID', `context must be an object { now, channel?, ... }, got ${describe(ctx)}`);
  }
  const out: Record<string, unknown> = {};
  const src = ctx as Record<string, unknown>;
  for (const key in src) {
    if (!Object.prototype.hasOwnProperty.call(src, key)) continue;
    const v = src[key];
    if (key === '__proto__') throw new NextbestError('CONTEXT_INVALID', 'unknown context field "__proto__"', { field: key });
    if (v === undefined) continue;
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') {
      out[key] = v;
    } else if (Array.isArray(v) && v.every((x) => x === null || typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean')) {
      out[key] = v.slice(); // the engine says what is wrong with a list (only channel takes one)
    } else {
      throw new NextbestError('CONTEXT_INVALID', `context.${key.slice(0, 64)}: expected a number, a string, a boolean or null${key === 'channel' ? ' (or a list of channel names)' : ''}, got ${describe(v)}`, {
        field: key.slice(0, 64),
      });
    }
  }
  return out;
}

/** The error a worker reported for one request, as a NextbestError here. */
function itemError(f: TaskFailure): NextbestError {
  const code = (Object.prototype.hasOwnProperty.call(ErrorCodes, f.code) ? f.code : 'WORKER_FAILED') as ErrorCode;
  return new NextbestError(code, f.message, f.details);
}

export class DecideBatch extends Batch<PoolDecision[], DecideResult> {
  private readonly requests: readonly PoolDecideRequest[];
  private readonly schema: FeatureSchema;
  private readonly opts: ResolvedDecideOptions;
  /** Results by request index; requests refused while preparing are filled in by makeTask. */
  private readonly out: (PoolDecision | undefined)[];

  constructor(requests: readonly PoolDecideRequest[], schema: FeatureSchema, opts: ResolvedDecideOptions) {
    super(requests.length, 'decide');
    this.requests = requests;
    this.schema = schema;
    this.opts = opts;
    this.out = new Array(requests.length);
  }

  get itemBytes(): number {
    return this.schema.size * 4 + 256;
  }

  makeTask(start: number, end: number): { task: DecideTask; transfer: ArrayBuffer[] } {
    const stride = this.schema.size;
    const rows = new Float32Array(Math.max(1, (end - start) * stride));
    const contexts: Record<string, unknown>[] = [];
    let states: (Uint8Array | null)[] | null = null;
    const seeds: number[] | null = this.opts.seedBase !== undefined || this.opts.seeds !== undefined ? [] : null;
    const transfer: ArrayBuffer[] = [rows.buffer];
    let k = 0;
    for (let i = start; i < end; i++) {
      const req = this.requests[i];
      let context: Record<string, unknown>;
      let state: Uint8Array | null = null;
      try {
        if (req === null || typeof req !== 'object') {
          throw new NextbestError('ARGUMENT_INVALID', `a decision request is an object { customerId?, features, context, state? }, got ${describe(req)}`);
        }
        const id = req.customerId;
        if (id !== undefined && (typeof id !== 'string' || id.length === 0)) {
          throw new NextbestError('ARGUMENT_INVALID', `customerId must be a non-empty string, got ${JSON.stringify(id)?.slice(0, 64)}`);
        }
        const f = req.features;
        if (f instanceof Float32Array) {
          if (f.length !== stride) {
            throw new NextbestError('ROWS_SHAPE', `features: a Float32Array must hold the ${stride} features in schema order, got ${f.length}`, { expected: stride, actual: f.length });
          }
          rows.set(f, k * stride);
        } else {
          this.schema.encodeInto(f, rows, k * stride, this.opts.encode);
        }
        context = plainContext(req.context);
        if (req.state !== undefined && req.state !== null) {
          if (!(req.state instanceof Uint8Array)) throw new NextbestError('STATE_INVALID', `state must be the customer's state bytes (a Uint8Array), got ${describe(req.state)}`);
          state = req.state.slice();
        }
      } catch (e) {
        if (!(e instanceof NextbestError)) throw e;
        this.out[i] = { ok: false, error: e, bundle: this.bundleSha };
        continue;
      }
      contexts.push(context);
      if (state !== null) {
        if (states === null) states = new Array<Uint8Array | null>(k).fill(null);
        states.push(state);
        transfer.push(state.buffer as ArrayBuffer);
      } else if (states !== null) {
        states.push(null);
      }
      if (seeds !== null) seeds.push(this.opts.seeds !== undefined ? this.opts.seeds[i]! : this.opts.seedBase! + i);
      k++;
    }
    const task: DecideTask = {
      kind: 'decide',
      n: k,
      rows,
      contexts,
      states,
      seeds: seeds === null ? null : Float64Array.from(seeds),
      ...(this.opts.limit !== undefined ? { limit: this.opts.limit } : {}),
      ...(this.opts.explain ? { explain: true } : {}),
    };
    if (task.seeds !== null) transfer.push(task.seeds.buffer as ArrayBuffer);
    return { task, transfer };
  }

  accept(start: number, end: number, done: DecideResult): void {
    let k = 0;
    for (let i = start; i < end; i++) {
      if (this.out[i] !== undefined) continue; // refused while preparing: not sent
      const item = done.items[k++];
      if (item === undefined) throw new NextbestError('WORKER_FAILED', `a worker returned ${done.items.length} decisions for requests ${start}..${end - 1}, fewer than it was sent`);
      this.out[i] = item.ok ? { ok: true, decision: item.decision, bundle: this.bundleSha } : { ok: false, error: itemError(item), bundle: this.bundleSha };
    }
    if (k !== done.items.length) throw new NextbestError('WORKER_FAILED', `a worker returned ${done.items.length} decisions for requests ${start}..${end - 1}, it was sent ${k}`);
  }

  protected result(): PoolDecision[] {
    return this.out as PoolDecision[];
  }
}

/** What `nextbest decide` asks of its workers besides the lines (DecideLinesTask). */
export type DecideLinesOptions = Omit<DecideLinesTask, 'kind' | 'texts' | 'lines' | 'fault'>;

/**
 * The CLI's batch: raw request lines in, each line's whole output row back
 * (src/cli/decide-lines.ts runs in the worker). Chunks slice the text array.
 */
export class DecideLinesBatch extends Batch<DecideLinesResult, DecideLinesResult> {
  private readonly texts: readonly string[];
  private readonly lines: Float64Array;
  private readonly opts: DecideLinesOptions;
  private readonly out: string[];
  private readonly failed: Uint8Array;
  private readonly bytes: number;

  constructor(texts: readonly string[], lines: Float64Array, opts: DecideLinesOptions) {
    super(texts.length, 'decide');
    this.texts = texts;
    this.lines = lines;
    this.opts = opts;
    this.out = new Array(texts.length);
    this.failed = new Uint8Array(texts.length);
    let chars = 0;
    for (const t of texts) chars += t.length;
    this.bytes = texts.length > 0 ? Math.ceil((chars * 2) / texts.length) : 0;
  }

  get itemBytes(): number {
    return this.bytes;
  }

  makeTask(start: number, end: number): { task: DecideLinesTask; transfer: ArrayBuffer[] } {
    const lines = this.lines.slice(start, end);
    return { task: { kind: 'decideLines', ...this.opts, texts: this.texts.slice(start, end), lines }, transfer: [lines.buffer] };
  }

  accept(start: number, end: number, done: DecideLinesResult): void {
    if (done.out.length !== end - start || done.failed.length !== end - start) {
      throw new NextbestError('WORKER_FAILED', `a worker returned ${done.out.length} rows for lines ${start}..${end - 1} of the batch, expected ${end - start}`);
    }
    for (let k = 0; k < done.out.length; k++) this.out[start + k] = done.out[k]!;
    this.failed.set(done.failed, start);
  }

  protected result(): DecideLinesResult {
    return { ok: true, bundle: this.bundleSha, out: this.out, failed: this.failed, computeNs: 0 };
  }
}
