/**
 * What the pool (main thread) and its workers say to each other.
 *
 * A worker gets its bundle once, at start (`WorkerInit` as workerData), loads
 * one Engine from it, and then only runs tasks. A task is a chunk of one
 * caller's batch: its rows travel as a transferred ArrayBuffer and its
 * outputs come back the same way. A task never throws: failures of the work
 * itself come back as a `TaskFailure` (code, message, details of the
 * NextbestError), so a rejected task always means the worker itself was lost
 * (exit, crash, out of memory, terminated), which the pool retries.
 *
 * Adding a task kind (decide): a `XTask` interface here, a member of
 * `WorkerTask`, a handler in worker.ts and a Batch subclass in batch.ts.
 */
import type { WasmVariant } from '../runtime/wasm.js';
import type { Decision } from '../decide/types.js';
import type { Limits } from '../limits.js';

/** workerData of every worker: the bundle bytes, handed over once per worker start. */
export interface WorkerInit {
  bundle: Uint8Array;
  wasm: WasmVariant;
  /** PEM public keys: the worker's engine verifies the signature too. */
  trustedKeys?: string[];
  /** The pool's limits (resolved). */
  limits?: Readonly<Limits>;
}

/**
 * The bundle a task must run on (pool.swap): its sha256 and its bytes in a
 * SharedArrayBuffer, so that every task can name it without a copy. A
 * worker keeps engines of the few bundles it used last; a task whose
 * bundle it has not loaded yet loads it first (from these bytes, with the
 * task's trusted keys and limits), so no task depends on which worker
 * runs it or on what that worker ran before.
 */
export interface BundleRef {
  sha256: string;
  bytes: Uint8Array;
  /** The keys and limits the pool checked the bundle with (key rotation and limits change with swaps). */
  trustedKeys?: string[];
  limits?: Readonly<Limits>;
  /**
   * The bundle the pool served before this one (one level: its own
   * `previous` is left out): customer state written under it, carried by
   * requests, is migrated as an engine that swapped would.
   */
  previous?: BundleRef;
}

/** What every task carries: its bundle (absent: the worker's initial bundle). */
interface TaskBase {
  bundle?: BundleRef;
  fault?: WorkerFault;
}

/** Test hook: make the worker die while it runs a task. */
export type WorkerFault = 'exit' | 'crash' | 'oom';

/** Answers with the worker's engine status; used to wait until every worker has loaded its bundle. */
export interface PingTask extends TaskBase {
  kind: 'ping';
}

/** Scores `n` rows (schema order, row-major) with one model: transformed outputs, n * nOutputs values. */
export interface ScoreTask extends TaskBase {
  kind: 'score';
  model: string;
  rows: Float32Array;
  n: number;
}

/**
 * Decides `n` requests (src/pool/decide-batch.ts prepares them). Features
 * travel encoded, `stride` values per request in schema order, in one
 * transferred Float32Array; contexts are plain objects of primitives. A
 * request is decided on the state it carries, else as a customer without
 * history: workers keep no customer state.
 */
export interface DecideTask extends TaskBase {
  kind: 'decide';
  n: number;
  rows: Float32Array;
  contexts: Record<string, unknown>[];
  /** Per request: its customer state bytes, or null. */
  states: (Uint8Array | null)[] | null;
  /** Per request: the seed of its exploration stream; null: the worker engine's own stream. */
  seeds: Float64Array | null;
  limit?: number;
  explain?: boolean;
}

/**
 * `nextbest decide`: raw NDJSON request lines, parsed, checked, decided and
 * formatted in the worker (src/cli/decide-lines.ts), so the CLI's main
 * thread only moves text. Each line becomes its whole output row.
 */
export interface DecideLinesTask extends TaskBase {
  kind: 'decideLines';
  texts: string[];
  /** The input line number of each text (output rows name it; seeds add it). */
  lines: Float64Array;
  /** The key copied to each output row as its id, and the carried keys. */
  idKey: string;
  carry: string[];
  ignoreUnknown: boolean;
  unknownCategory: 'error' | 'missing';
  limit?: number;
  explain?: boolean;
  /** Exploration seed: the request on line L uses seed + L. */
  seed?: number;
}

export type WorkerTask = PingTask | ScoreTask | DecideTask | DecideLinesTask;

export interface PingResult {
  ok: true;
  threadId: number;
  computeNs: number;
  /** sha256 of the bundle the worker's engine for this task runs (every result says it). */
  bundle: string;
}

export interface ScoreResult {
  ok: true;
  bundle: string;
  output: Float32Array;
  /** Time the engine spent on the rows, in the worker: the pool sizes chunks from it. */
  computeNs: number;
}

/** One request's outcome: its decision, or why the engine refused it. */
export type DecideItem = { ok: true; decision: Decision } | TaskFailure;

export interface DecideResult {
  ok: true;
  bundle: string;
  /** One item per request of the task, in order. */
  items: DecideItem[];
  computeNs: number;
}

export interface DecideLinesResult {
  ok: true;
  bundle: string;
  /** Each line's output row, newline included. */
  out: string[];
  /** 1 where the row is an error row. */
  failed: Uint8Array;
  computeNs: number;
}

export interface TaskFailure {
  ok: false;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export type TaskResult<T> = T | TaskFailure;
