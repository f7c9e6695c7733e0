/**
 * Pool: batch scoring and decisions on worker threads (Piscina), each worker
 * with its own Engine loaded once from the bundle bytes.
 *
 *   const pool = await Pool.create({ bundle: 'telco.nbb', threads: 2 });
 *   const scores = await pool.score(rows, n, { model: 'churn' }); // input order, bit-for-bit the single-thread result
 *   const decisions = await pool.decide(requests, { seed: 1 });    // per request { ok, decision } or { ok: false, error }
 *   await pool.close();
 *
 * How a call runs: the batch waits in a FIFO; a pump hands out chunks (row
 * ranges) while fewer than `threads + maxQueue` tasks are in flight, which is
 * the pool's whole memory bound (one copy per task in flight; callers keep
 * their own arrays). Chunk size adapts: workers report the engine time of
 * every chunk, the pool keeps a per-model estimate of ns per row and sizes
 * chunks to at least `targetTaskMs` of work, a quarter of an even share of
 * what is left while the call is big, shrinking towards its end so the last
 * tasks finish together (guided self-scheduling). A task whose worker dies is
 * retried (Piscina starts a replacement worker) up to `retries` times, then
 * the batch fails with WORKER_FAILED naming the rows; every range is accepted
 * exactly once, so no row is lost or duplicated.
 *
 * Hot reload: `pool.swap(bundle)` validates the new bundle here (the
 * engine's full load, limits included), has the workers load it, and only
 * then makes it current. A call is bound to the bundle current when it is
 * made: all its tasks, retries included, run on that bundle (a worker keeps
 * engines of its last few bundles and switches between tasks), and its
 * results say which (`bundle`, the sha256). A swap that fails leaves the
 * pool on the old bundle.
 */
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { NextbestError } from '../errors.js';
import { parseTrustedKeys } from '../bundle/sign.js';
import type { FeatureSchema } from '../runtime/features.js';
import { readBundleFile, type BundleInfo } from '../engine.js';
import { LoadedBundle } from '../runtime/loaded-bundle.js';
import { checkLimit, resolveLimits, type Limits } from '../limits.js';
import type { WasmVariant } from '../runtime/wasm.js';
import { defaultVariant } from '../runtime/wasm.js';
import { Batch, ScoreBatch, taskError } from './batch.js';
import {
  DecideBatch,
  DecideLinesBatch,
  resolveDecideOptions,
  type DecideLinesOptions,
  type PoolDecideOptions,
  type PoolDecideRequest,
  type PoolDecision,
} from './decide-batch.js';
import type { BundleRef, DecideLinesResult, PingResult, TaskFailure, WorkerFault, WorkerInit, WorkerTask } from './protocol.js';

export interface PoolOptions {
  /** The bundle: a path, or its bytes (an `.nbb` file's content or `Model.toBundle()`). Required. */
  bundle: string | Uint8Array;
  /** Worker threads, each with its own engine. Default: `os.availableParallelism()`. */
  threads?: number;
  /**
   * Tasks (chunks) waiting for a worker on top of the `threads` running ones.
   * With every slot taken, further work waits in its caller's pending call
   * without copies. Default: `threads` (each worker has its next chunk ready).
   */
  maxQueue?: number;
  /**
   * Target engine time per task, in ms: big enough to hide the per-task
   * overhead (~0.1 ms of messaging and thread wake-ups), small enough to
   * balance. Default 8.
   */
  targetTaskMs?: number;
  /** Upper bound on rows per task. Default 65536. */
  maxChunkRows?: number;
  /** How often a chunk whose worker died is retried on a replacement worker before the call fails. Default 1. */
  retries?: number;
  /** Which wasm build the workers run: 'release' (default; env NEXTBEST_WASM=debug changes it) or 'debug'. */
  wasm?: WasmVariant;
  /** Node's per-worker resource limits (heap sizes, stack); a worker that exceeds them dies and is replaced. */
  resourceLimits?: ResourceLimits;
  /**
   * PEM Ed25519 public keys. When given, only a bundle signed by one of them is
   * accepted (checked before the payload is decoded, here and in every worker).
   */
  trustedKeys?: string[];
  /** Limits on bundles and inputs, as the Engine option (src/limits.ts, docs/operations.md "Limits"); also the workers'. */
  limits?: Partial<Limits>;
  /**
   * @internal Testing only: make the worker that runs a task containing row
   * `row` die (`kind`) on the first `times` attempts (default: every attempt).
   */
  faults?: PoolFault[];
}

/** @internal */
export interface PoolFault {
  row: number;
  kind: WorkerFault;
  times?: number;
}

export interface PoolScoreOptions {
  /** Model id; may be omitted when the bundle holds exactly one model. */
  model?: string;
  /** Where to write the n * numOutputs values (must not be shared with another pending call). Default: a new array. */
  out?: Float32Array;
}

/** Options of pool.swap: what may change with a new bundle; the rest stays as the pool was created. */
export interface PoolSwapOptions {
  /** Replaces the trusted keys (the new bundle is verified against these, and so are later swaps). */
  trustedKeys?: string[];
  /** Replaces the limits. */
  limits?: Partial<Limits>;
}

/** What pool.swap did, for host logs. */
export interface PoolSwapEvent {
  /** 1 for the pool's first swap, then 2, ... */
  swap: number;
  previous: BundleInfo;
  current: BundleInfo;
  /** From the call to the switch (reading, validating, the workers loading the bundle), ms. */
  durationMs: number;
}

/** What the pool has done so far (for monitoring and tests). */
export interface PoolStats {
  threads: number;
  /** Calls accepted and not yet settled. */
  pendingCalls: number;
  /** Tasks handed to workers and not yet answered. */
  inFlightTasks: number;
  /** The largest inFlightTasks seen: never above threads + maxQueue. */
  peakInFlightTasks: number;
  tasksCompleted: number;
  /** Rows (items) whose results were accepted: every row of every finished call, exactly once. */
  rowsCompleted: number;
  /** Tasks re-run because their worker died. */
  tasksRetried: number;
  /** Workers that died, during a task or between tasks (each is replaced). */
  workersLost: number;
  /** Estimated engine time per row, by model id, in ns. */
  nsPerRow: Record<string, number>;
  /** Estimated worker time per decision (decide, building the result), in ns; absent before the first decide. */
  nsPerDecision?: number;
  /** Engine time the workers reported, summed over tasks, in ms (busy time, not wall time). */
  workerComputeMs: number;
}

interface ResolvedOptions {
  threads: number;
  maxQueue: number;
  targetTaskMs: number;
  maxChunkRows: number;
  retries: number;
  wasm: WasmVariant;
  resourceLimits: ResourceLimits | undefined;
  trustedKeys: string[] | undefined;
  limits: Readonly<Limits>;
  faults: PoolFault[];
}

/** Rows per task before a model's cost is known. */
const PROBE_ROWS = 256;
/** A task's input is at most this many bytes, whatever its row count. */
const MAX_TASK_BYTES = 16 << 20;
/** Weight of the newest measurement in the ns-per-row estimate. */
const EWMA = 0.3;

const OPTION_KEYS = ['bundle', 'threads', 'maxQueue', 'targetTaskMs', 'maxChunkRows', 'retries', 'wasm', 'resourceLimits', 'trustedKeys', 'limits', 'faults'];
const RESOURCE_LIMIT_KEYS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'];

function optionError(name: string, expected: string, got: unknown): NextbestError {
  const shown = typeof got === 'string' ? JSON.stringify(got.slice(0, 40)) : typeof got === 'object' ? (got === null ? 'null' : 'an object') : String(got);
  return new NextbestError('OPTION_INVALID', `Pool option ${name} must be ${expected}, got ${shown}`, { option: name });
}

function intOption(o: Record<string, unknown>, name: string, lo: number, hi: number, dflt: number): number {
  const v = o[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw optionError(name, `an integer from ${lo} to ${hi}`, v);
  return v;
}

function resolveOptions(opts: PoolOptions): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') throw new NextbestError('OPTION_INVALID', 'Pool.create takes an options object: { bundle, threads?, ... }');
  const o = opts as unknown as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!OPTION_KEYS.includes(k)) {
      throw new NextbestError('OPTION_INVALID', `unknown Pool option "${k.slice(0, 40)}"; known: ${OPTION_KEYS.slice(0, -1).join(', ')}`, { option: k });
    }
  }
  if (typeof o.bundle !== 'string' && !(o.bundle instanceof Uint8Array)) throw optionError('bundle', 'a path or a Uint8Array of bundle bytes', o.bundle);
  const threads = intOption(o, 'threads', 1, 256, Math.max(1, availableParallelism()));
  const maxQueue = intOption(o, 'maxQueue', 0, 1 << 16, threads);
  const maxChunkRows = intOption(o, 'maxChunkRows', 1, 1 << 24, 65536);
  const retries = intOption(o, 'retries', 0, 10, 1);
  let targetTaskMs = 8;
  if (o.targetTaskMs !== undefined) {
    const v = o.targetTaskMs;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0.01 || v > 10_000) throw optionError('targetTaskMs', 'a number of ms from 0.01 to 10000', v);
    targetTaskMs = v;
  }
  const wasm = o.wasm === undefined ? defaultVariant() : (o.wasm as WasmVariant);
  if (wasm !== 'release' && wasm !== 'debug') throw optionError('wasm', '"release" or "debug"', o.wasm);
  let resourceLimits: ResourceLimits | undefined;
  if (o.resourceLimits !== undefined) {
    const r = o.resourceLimits as Record<string, unknown>;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw optionError('resourceLimits', 'an object of Node worker resource limits', r);
    for (const [k, v] of Object.entries(r)) {
      if (!RESOURCE_LIMIT_KEYS.includes(k)) throw optionError(`resourceLimits.${k.slice(0, 40)}`, `one of ${RESOURCE_LIMIT_KEYS.join(', ')}`, k);
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw optionError(`resourceLimits.${k}`, 'a positive number', v);
    }
    resourceLimits = { ...(r as ResourceLimits) };
  }
  const trustedKeys = trustedKeysOption(o.trustedKeys);
  const limits = resolveLimits(o.limits as Partial<Limits> | undefined);
  let faults: PoolFault[] = [];
  if (o.faults !== undefined) {
    if (!Array.isArray(o.faults)) throw optionError('faults', 'an array', o.faults);
    faults = (o.faults as PoolFault[]).map((f, i) => {
      if (f === null || typeof f !== 'object' || !Number.isInteger(f.row) || !['exit', 'crash', 'oom'].includes(f.kind)) {
        throw optionError(`faults[${i}]`, '{ row, kind: "exit" | "crash" | "oom", times? }', f);
      }
      return { row: f.row, kind: f.kind, times: f.times ?? Infinity };
    });
  }
  return { threads, maxQueue, targetTaskMs, maxChunkRows, retries, wasm, resourceLimits, trustedKeys, limits, faults };
}

function trustedKeysOption(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((k) => typeof k !== 'string')) throw optionError('trustedKeys', 'an array of PEM public keys', v);
  const keys = [...(v as string[])];
  try {
    parseTrustedKeys(keys);
  } catch (e) {
    throw new NextbestError('OPTION_INVALID', `Pool option ${(e as Error).message}`, { option: 'trustedKeys' });
  }
  return keys;
}

/** A bundle as the pool serves it: what callers see of it, and the reference its tasks carry. */
interface PoolBundle {
  info: BundleInfo;
  schema: FeatureSchema;
  models: Map<string, PoolModel>;
  hasDecisions: boolean;
  ref: BundleRef;
}

/**
 * Loads a bundle the way every worker will (envelope, signature, every
 * section, the limits) so a bad bundle fails here with its own code, once,
 * not in N workers; keeps what the pool needs and the bytes in shared memory.
 */
function poolBundle(bytes: Uint8Array, opts: ResolvedOptions): PoolBundle {
  const b = new LoadedBundle(bytes, {
    wasm: opts.wasm,
    limits: opts.limits,
    ...(opts.trustedKeys ? { trustedKeys: opts.trustedKeys } : {}),
  });
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  shared.set(bytes);
  return {
    info: b.info,
    schema: b.schema,
    models: new Map([...b.models.values()].map((h) => [h.table.id, { id: h.table.id, nOutputs: h.table.nOutputs }])),
    hasDecisions: b.decisions !== undefined,
    ref: { sha256: b.info.sha256, bytes: shared, ...(opts.trustedKeys ? { trustedKeys: opts.trustedKeys } : {}), limits: opts.limits },
  };
}

/** Where the worker script is: next to the bundled code (dist/), or in dist/ of a source checkout (tests). */
export function locateWorker(): string {
  const url = import.meta.url;
  const here = dirname(fileURLToPath(url));
  const [mine, other] = url.endsWith('.cjs') ? ['worker.cjs', 'worker.js'] : ['worker.js', 'worker.cjs'];
  const candidates = [join(here, mine), join(here, other), join(here, '..', '..', 'dist', 'worker.js'), join(here, '..', 'dist', 'worker.js')];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new NextbestError(
    'WASM_NOT_FOUND',
    `cannot find the pool worker script; looked in ${candidates.join(', ')}. Run \`npm run build\` in a source checkout, or reinstall the package.`,
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyBatch = Batch<any, any>;

interface PoolModel {
  id: string;
  nOutputs: number;
}

interface Retry {
  batch: AnyBatch;
  start: number;
  end: number;
  attempt: number;
}

export class Pool {
  readonly threads: number;
  private opts: ResolvedOptions;
  private readonly piscina: Piscina;
  /** The bundle new calls run on (replaced by swap). */
  private current: PoolBundle;
  private swapChain: Promise<unknown> = Promise.resolve();
  private swaps = 0;
  private readonly capacity: number;
  private readonly waiting: AnyBatch[] = [];
  private readonly retryQueue: Retry[] = [];
  private readonly live = new Set<AnyBatch>();
  private readonly nsPerRow = new Map<string, number>();
  private readonly faultHits = new Map<PoolFault, number>();
  private inFlight = 0;
  private peakInFlight = 0;
  private completed = 0;
  private rowsDone = 0;
  private computeNs = 0;
  private retried = 0;
  private lost = 0;
  private state: 'open' | 'closing' | 'closed' | 'destroyed' = 'open';
  private closing: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  private constructor(bytes: Uint8Array, opts: ResolvedOptions) {
    // Validate in this thread first: a bad bundle fails here with its own code, not in N workers.
    this.current = poolBundle(bytes, opts);
    this.opts = opts;
    this.threads = opts.threads;
    this.capacity = opts.threads + opts.maxQueue;
    const workerData: WorkerInit = { bundle: bytes, wasm: opts.wasm, limits: opts.limits, ...(opts.trustedKeys ? { trustedKeys: opts.trustedKeys } : {}) };
    this.piscina = new Piscina({
      filename: locateWorker(),
      minThreads: opts.threads,
      maxThreads: opts.threads,
      idleTimeout: Infinity,
      // One task per worker: a worker that dies takes exactly one range with it, the one
      // it was running, so retries and WORKER_FAILED name the right rows. (Two posted
      // tasks would save the round trip between tasks, but a death would then also
      // reject a waiting, innocent range.) Guided chunking keeps tasks few.
      concurrentTasksPerWorker: 1,
      workerData,
      ...(opts.resourceLimits ? { resourceLimits: opts.resourceLimits } : {}),
      recordTiming: false,
    });
    // A worker that dies between tasks is only replaced; without a listener Piscina's 'error' would be thrown.
    this.piscina.on('error', () => {});
    this.piscina.on('workerDestroy', () => {
      if (this.state === 'open' || this.state === 'closing') this.lost++;
    });
  }

  /** Starts `threads` workers, each loading the bundle once; resolves when they all have. */
  static async create(options: PoolOptions): Promise<Pool> {
    const opts = resolveOptions(options);
    const bytes = typeof options.bundle === 'string' ? await readBundleFile(options.bundle, opts.limits) : options.bundle.slice();
    const pool = new Pool(bytes, opts);
    try {
      await pool.ready();
    } catch (e) {
      await pool.destroy();
      throw e;
    }
    return pool;
  }

  /** Identity of the bundle new calls run on. */
  get info(): BundleInfo {
    return this.current.info;
  }

  /** The current bundle's feature schema: rows given to score() are vectors in this order. */
  get schema(): FeatureSchema {
    return this.current.schema;
  }

  /** Whether the current bundle has actions to decide on (pool.decide). */
  get hasDecisions(): boolean {
    return this.current.hasDecisions;
  }

  /** The limits in force. */
  get limits(): Readonly<Limits> {
    return this.opts.limits;
  }

  /** Ids of the current bundle's models, in bundle order. */
  get modelIds(): string[] {
    return [...this.current.models.keys()];
  }

  /**
   * Replaces the bundle (a path or bytes) for new calls, atomically: the
   * bundle is read and fully validated here (with the pool's trusted keys
   * and limits, or `opts`'), every worker is asked to load it (a worker
   * that does not get the request loads it before its first task on it),
   * then new calls run on it. Calls made before finish on the bundle they
   * started with: no call fails or mixes bundles, and every pool.decide
   * result names its bundle (`bundle`). A bundle that fails any check
   * throws its typed error and the pool stays on the old bundle. Swaps run
   * one at a time, in call order.
   */
  swap(bundle: string | Uint8Array, opts: PoolSwapOptions = {}): Promise<PoolSwapEvent> {
    const run = this.swapChain.then(() => this.swapNow(bundle, opts));
    this.swapChain = run.catch(() => undefined);
    return run;
  }

  private async swapNow(bundle: string | Uint8Array, swapOpts: PoolSwapOptions): Promise<PoolSwapEvent> {
    const t0 = performance.now();
    this.checkOpen();
    if (swapOpts === null || typeof swapOpts !== 'object') throw new NextbestError('OPTION_INVALID', 'swap options must be an object { trustedKeys?, limits? }');
    for (const k of Object.keys(swapOpts)) {
      if (k !== 'trustedKeys' && k !== 'limits') throw new NextbestError('OPTION_INVALID', `unknown swap option "${k.slice(0, 40)}"; known: trustedKeys, limits (the rest stays as the pool was created)`, { option: k.slice(0, 40) });
    }
    const opts: ResolvedOptions = { ...this.opts };
    if (swapOpts.trustedKeys !== undefined) opts.trustedKeys = trustedKeysOption(swapOpts.trustedKeys);
    if (swapOpts.limits !== undefined) opts.limits = resolveLimits(swapOpts.limits);
    let bytes: Uint8Array;
    if (typeof bundle === 'string') bytes = await readBundleFile(bundle, opts.limits);
    else if (bundle instanceof Uint8Array) bytes = bundle.slice();
    else throw new NextbestError('ARGUMENT_INVALID', 'a bundle must be a path or a Uint8Array (or Buffer) of bytes');
    const next = poolBundle(bytes, opts);
    const { previous: _older, ...before } = this.current.ref;
    if (before.sha256 !== next.ref.sha256) next.ref.previous = before;
    // Every worker loads it now (best effort: Piscina picks the worker of each ping), so the first calls do not wait for it.
    const pings: Promise<unknown>[] = [];
    for (let i = 0; i < this.threads; i++) pings.push(this.piscina.run({ kind: 'ping', bundle: next.ref } satisfies WorkerTask));
    let answers: (PingResult | TaskFailure)[];
    try {
      answers = (await Promise.all(pings)) as (PingResult | TaskFailure)[];
    } catch (e) {
      this.checkOpen();
      throw new NextbestError('WORKER_FAILED', `a worker died while loading the new bundle (${(e as Error)?.message ?? String(e)}); the pool stays on bundle ${this.current.info.sha256.slice(0, 16)}...`, {}, { cause: e });
    }
    for (const r of answers) {
      if (!r.ok) throw taskError(r, 0, 0);
    }
    this.checkOpen();
    const previous = this.current.info;
    this.current = next; // the switch: calls made from here on run on the new bundle
    this.opts = opts;
    return { swap: ++this.swaps, previous, current: next.info, durationMs: performance.now() - t0 };
  }

  /** Values per row that score() returns for a model. */
  numOutputs(model?: string): number {
    return this.model(model).nOutputs;
  }

  /**
   * Scores n rows (Float32Array, schema order, row-major, NaN = missing) on the
   * workers: n * numOutputs values in input order, bit-for-bit what
   * `engine.scoreBatch` returns in one thread. `rows` is read while the call is
   * pending: do not modify it until the promise settles.
   */
  score(rows: Float32Array, n: number, options: PoolScoreOptions = {}): Promise<Float32Array> {
    try {
      this.checkOpen();
      if (options === null || typeof options !== 'object') throw new NextbestError('OPTION_INVALID', 'score options must be an object: { model?, out? }');
      for (const k of Object.keys(options)) {
        if (k !== 'model' && k !== 'out') throw new NextbestError('OPTION_INVALID', `unknown score option "${k.slice(0, 40)}"; known: model, out`, { option: k });
      }
      const pb = this.current;
      const m = this.model(options.model);
      const stride = pb.schema.size;
      if (!(rows instanceof Float32Array)) throw new NextbestError('ARGUMENT_INVALID', 'rows must be a Float32Array (row-major, one feature vector per row)');
      if (!Number.isInteger(n) || n < 0) throw new NextbestError('ARGUMENT_INVALID', `n must be a non-negative integer, got ${n}`);
      checkLimit(this.opts.limits, 'batchSize', n, 'rows in one pool.score call');
      if (rows.length < n * stride) {
        throw new NextbestError('ROWS_SHAPE', `rows holds ${rows.length} values but ${n} rows of ${stride} features need ${n * stride}`, {
          expected: n * stride,
          actual: rows.length,
        });
      }
      const out = options.out;
      if (out !== undefined && (!(out instanceof Float32Array) || out.length < n * m.nOutputs)) {
        throw new NextbestError('ROWS_SHAPE', `out must be a Float32Array of at least ${n * m.nOutputs} values`);
      }
      return this.submit(new ScoreBatch(m.id, rows, n, stride, m.nOutputs, out), pb);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Decides every request on the workers: one result per request, in input
   * order, `{ ok: true, decision }` or `{ ok: false, error }` (the
   * NextbestError engine.decide would have thrown for that request: a bad
   * feature, context or state fails its own item, never the batch). The
   * call itself rejects only for bad options, a closed pool, a bundle
   * without actions, or a worker that died on the same requests after its
   * retries (WORKER_FAILED naming them).
   *
   * Decisions are bit-for-bit those of `engine.decide` in one thread
   * (priorities, factors, explanations), given the same customer state and,
   * with adaptive propensities, the same seed (options.seed). Workers keep
   * no customer state: a request is decided on the `state` bytes it
   * carries, else as a customer without history; customerId is not used
   * and the workers' decision logs stay empty (nothing to record() against).
   * `requests` is read while the call is pending: do not modify it.
   */
  decide(requests: readonly PoolDecideRequest[], options?: PoolDecideOptions): Promise<PoolDecision[]> {
    try {
      this.checkOpen();
      if (!Array.isArray(requests)) throw new NextbestError('ARGUMENT_INVALID', `decide takes an array of requests { customerId?, features, context, state? }, got ${requests === null ? 'null' : typeof requests}`);
      checkLimit(this.opts.limits, 'batchSize', requests.length, 'requests in one pool.decide call');
      const opts = resolveDecideOptions(options, requests.length);
      const pb = this.current;
      if (!pb.hasDecisions) throw new NextbestError('DECISIONS_MISSING', `bundle ${pb.info.name} has no actions: add an actions section to its spec to decide`);
      return this.submit(new DecideBatch(requests, pb.schema, opts), pb);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * @internal `nextbest decide`: raw request lines, each parsed, decided and
   * formatted in a worker (src/cli/decide-lines.ts); resolves with each
   * line's output row and whether it is an error row, in input order.
   */
  decideLines(texts: readonly string[], lines: Float64Array, options: DecideLinesOptions): Promise<DecideLinesResult> {
    try {
      this.checkOpen();
      const pb = this.current;
      if (!pb.hasDecisions) throw new NextbestError('DECISIONS_MISSING', `bundle ${pb.info.name} has no actions: add an actions section to its spec to decide`);
      return this.submit(new DecideLinesBatch(texts, lines, options), pb);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Counters for monitoring. */
  stats(): PoolStats {
    const nsPerRow: Record<string, number> = {};
    for (const [k, v] of this.nsPerRow) if (k.startsWith('score:')) nsPerRow[k.slice(6)] = v;
    const nsPerDecision = this.nsPerRow.get('decide');
    return {
      threads: this.threads,
      pendingCalls: this.live.size,
      inFlightTasks: this.inFlight,
      peakInFlightTasks: this.peakInFlight,
      tasksCompleted: this.completed,
      rowsCompleted: this.rowsDone,
      workerComputeMs: this.computeNs / 1e6,
      tasksRetried: this.retried,
      workersLost: this.lost,
      nsPerRow,
      ...(nsPerDecision === undefined ? {} : { nsPerDecision }),
    };
  }

  /** Stops accepting work, finishes every call already made, then stops the workers. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.state === 'destroyed') return Promise.resolve();
    this.state = 'closing';
    this.closing = (async () => {
      if (this.live.size > 0) await new Promise<void>((res) => (this.drained = res));
      if ((this.state as string) === 'destroyed') return;
      this.state = 'closed';
      await this.piscina.destroy();
    })();
    return this.closing;
  }

  /** Stops now: pending calls reject with POOL_CLOSED, running tasks are abandoned, workers terminated. */
  async destroy(): Promise<void> {
    if (this.state === 'destroyed' || this.state === 'closed') return;
    this.state = 'destroyed';
    const err = new NextbestError('POOL_CLOSED', 'the pool was destroyed before this call finished');
    for (const b of this.live) b.fail(err);
    this.live.clear();
    this.waiting.length = 0;
    this.retryQueue.length = 0;
    this.drained?.();
    await this.piscina.destroy();
  }

  /** Waits until every worker has loaded the bundle (or reports why it could not). */
  private async ready(): Promise<void> {
    const pings: Promise<unknown>[] = [];
    for (let i = 0; i < this.threads; i++) pings.push(this.piscina.run({ kind: 'ping', bundle: this.current.ref } satisfies WorkerTask));
    for (const r of (await Promise.all(pings)) as (PingResult | TaskFailure)[]) {
      if (!r.ok) throw taskError(r, 0, 0);
    }
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new NextbestError('POOL_CLOSED', `the pool is ${this.state}: it accepts no new calls`);
  }

  private model(id: string | undefined): PoolModel {
    const models = this.current.models;
    if (id === undefined) {
      if (models.size === 1) return models.values().next().value!;
      throw new NextbestError(
        'MODEL_UNKNOWN',
        `the bundle holds ${models.size} models (${this.modelIds.join(', ') || 'none'}); pass { model } to pick one`,
      );
    }
    const m = typeof id === 'string' ? models.get(id) : undefined;
    if (!m) throw new NextbestError('MODEL_UNKNOWN', `no model "${String(id).slice(0, 64)}" in bundle ${this.info.name}; it has: ${this.modelIds.join(', ') || 'none'}`);
    return m;
  }

  private submit<R>(batch: Batch<R, any>, pb: PoolBundle): Promise<R> {
    batch.bundle = pb.ref;
    if (!batch.maybeFinish()) {
      this.live.add(batch);
      this.waiting.push(batch);
      this.pump();
    }
    return batch.promise;
  }

  /**
   * Rows for the next task of `b` (guided self-scheduling): a quarter of an
   * even share of what is left, but at least ~targetTaskMs of work, so a big
   * call runs in few tasks and its last tasks are small enough to finish
   * together; never more than an even share, nor less than 1/8 of the target.
   */
  private chunkRows(b: AnyBatch): number {
    const remaining = b.n - b.next;
    const est = this.nsPerRow.get(b.costKey);
    const target = est === undefined ? PROBE_ROWS : Math.max(1, Math.round((this.opts.targetTaskMs * 1e6) / Math.max(est, 0.01)));
    const share = Math.ceil(remaining / this.threads);
    let rows = est === undefined ? target : Math.max(target, Math.ceil(share / 4));
    if (share < rows) rows = Math.max(share, Math.ceil(target / 8));
    rows = Math.min(rows, this.opts.maxChunkRows, Math.max(1, Math.floor(MAX_TASK_BYTES / Math.max(1, b.itemBytes))));
    return Math.min(rows, remaining);
  }

  /** Hands out tasks while there is room: retries first, then the oldest waiting call. */
  private pump(): void {
    while (this.inFlight < this.capacity && this.state !== 'destroyed') {
      const retry = this.retryQueue.shift();
      if (retry) {
        if (!retry.batch.settled) this.dispatch(retry.batch, retry.start, retry.end, retry.attempt);
        continue;
      }
      const b = this.waiting[0];
      if (b === undefined) break;
      if (b.settled || b.dispatchedAll) {
        this.waiting.shift();
        continue;
      }
      const start = b.next;
      const end = start + this.chunkRows(b);
      b.next = end;
      b.outstanding++;
      if (b.dispatchedAll) this.waiting.shift();
      this.dispatch(b, start, end, 0);
    }
  }

  private faultFor(start: number, end: number): WorkerFault | undefined {
    for (const f of this.opts.faults) {
      if (f.row < start || f.row >= end) continue;
      const hits = this.faultHits.get(f) ?? 0;
      if (hits >= (f.times ?? Infinity)) continue;
      this.faultHits.set(f, hits + 1);
      return f.kind;
    }
    return undefined;
  }

  private dispatch(b: AnyBatch, start: number, end: number, attempt: number): void {
    let made: { task: WorkerTask; transfer: ArrayBuffer[] };
    try {
      made = b.makeTask(start, end);
    } catch (e) {
      this.settle(b, e);
      return;
    }
    made.task.bundle = b.bundle;
    if (this.opts.faults.length > 0) {
      const fault = this.faultFor(start, end);
      if (fault !== undefined) made.task.fault = fault;
    }
    this.inFlight++;
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    this.piscina.run(made.task, { transferList: made.transfer }).then(
      (res: { ok: boolean; computeNs: number } | TaskFailure) => this.onAnswer(b, start, end, res),
      (err: unknown) => this.onLost(b, start, end, attempt, err),
    );
  }

  private onAnswer(b: AnyBatch, start: number, end: number, res: { ok: boolean; computeNs: number } | TaskFailure): void {
    this.inFlight--;
    this.completed++;
    if (this.state === 'destroyed') return;
    if (!res.ok) {
      this.settle(b, taskError(res as TaskFailure, start, end));
    } else if ((res as { bundle?: string }).bundle !== b.bundleSha) {
      this.settle(b, new NextbestError('WORKER_FAILED', `a worker answered rows ${start}..${end - 1} from bundle ${String((res as { bundle?: string }).bundle).slice(0, 16)}..., the call runs on ${b.bundleSha.slice(0, 16)}...`));
    } else {
      this.computeNs += (res as { computeNs: number }).computeNs;
      const ns = (res as { computeNs: number }).computeNs / (end - start);
      const prev = this.nsPerRow.get(b.costKey);
      this.nsPerRow.set(b.costKey, prev === undefined ? ns : prev + EWMA * (ns - prev));
      if (!b.settled) {
        b.outstanding--;
        try {
          b.accept(start, end, res);
          this.rowsDone += end - start;
          if (b.maybeFinish()) this.forget(b);
        } catch (e) {
          this.settle(b, e);
        }
      }
    }
    this.pump();
  }

  private onLost(b: AnyBatch, start: number, end: number, attempt: number, err: unknown): void {
    this.inFlight--;
    if (this.state === 'destroyed') return;
    const cause = (err as Error)?.message ?? String(err);
    if (b.settled) {
      // nothing to retry for a call that already failed
    } else if (attempt < this.opts.retries) {
      this.retried++;
      this.retryQueue.push({ batch: b, start, end, attempt: attempt + 1 });
    } else {
      this.settle(
        b,
        new NextbestError(
          'WORKER_FAILED',
          `the call failed: rows ${start}..${end - 1} of the batch could not be processed, their worker died ${attempt + 1} time(s) (last: ${cause}); check the workers' resource limits, or split out these rows`,
          { rowStart: start, rowEnd: end, attempts: attempt + 1, cause },
          { cause: err },
        ),
      );
    }
    this.pump();
  }

  private settle(b: AnyBatch, e: unknown): void {
    b.fail(e);
    this.forget(b);
  }

  private forget(b: AnyBatch): void {
    this.live.delete(b);
    if (this.live.size === 0 && this.drained) {
      const d = this.drained;
      this.drained = null;
      d();
    }
  }
}
