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

/** workerData of every worker: the bundle bytes, handed over once per worker start. */
export interface WorkerInit {
  bundle: Uint8Array;
  wasm: WasmVariant;
  /** PEM public keys: the worker's engine verifies the signature too. */
  trustedKeys?: string[];
}

/** Test hook: make the worker die while it runs a task. */
export type WorkerFault = 'exit' | 'crash' | 'oom';

/** Answers with the worker's engine status; used to wait until every worker has loaded its bundle. */
export interface PingTask {
  kind: 'ping';
  fault?: WorkerFault;
}

/** Scores `n` rows (schema order, row-major) with one model: transformed outputs, n * nOutputs values. */
export interface ScoreTask {
  kind: 'score';
  model: string;
  rows: Float32Array;
  n: number;
  fault?: WorkerFault;
}

export type WorkerTask = PingTask | ScoreTask;

export interface PingResult {
  ok: true;
  threadId: number;
  computeNs: number;
}

export interface ScoreResult {
  ok: true;
  output: Float32Array;
  /** Time the engine spent on the rows, in the worker: the pool sizes chunks from it. */
  computeNs: number;
}

export interface TaskFailure {
  ok: false;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export type TaskResult<T> = T | TaskFailure;
