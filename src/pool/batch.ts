/**
 * One caller's call on the pool, split into chunks that run as worker tasks.
 *
 * A Batch hands out tasks for row ranges [start, end) and accepts each range's
 * result exactly once; the pool decides the ranges, dispatches them, retries a
 * range whose worker died, and settles the batch. Ranges are sliced from the
 * caller's input only when dispatched, so a waiting batch holds no copies.
 *
 * `ScoreBatch` is the Float32Array kind. A decide batch (requests in, decisions
 * out) is another subclass: makeTask slices the request array (structured
 * clone, nothing to transfer), accept copies decisions into their slots.
 */
import { NextbestError, type ErrorCode, ErrorCodes } from '../errors.js';
import type { BundleRef, ScoreResult, ScoreTask, TaskFailure, WorkerTask } from './protocol.js';

export abstract class Batch<R, Done> {
  /** Items (rows, requests) in the batch. */
  readonly n: number;
  /** Chunks are sized per cost key (the per-row cost of one model). */
  readonly costKey: string;
  /** First item not yet handed to a worker. */
  next = 0;
  /** Ranges dispatched or waiting for a retry, not yet accepted. */
  outstanding = 0;
  settled = false;
  /**
   * The bundle the whole call runs on, bound by the pool when the call is
   * made (pool.swap never changes it): every task carries it, every answer
   * must come from it.
   */
  bundle!: BundleRef;
  readonly promise: Promise<R>;
  private resolveFn!: (r: R) => void;
  private rejectFn!: (e: unknown) => void;

  constructor(n: number, costKey: string) {
    this.n = n;
    this.costKey = costKey;
    this.promise = new Promise<R>((res, rej) => {
      this.resolveFn = res;
      this.rejectFn = rej;
    });
  }

  /** Bytes of input per item, to cap a chunk's size. */
  abstract get itemBytes(): number;
  /** The task for items [start, end) and the buffers it moves to the worker. */
  abstract makeTask(start: number, end: number): { task: WorkerTask; transfer: ArrayBuffer[] };
  /** Stores the result of items [start, end). */
  abstract accept(start: number, end: number, done: Done): void;
  /** The value the caller gets once every range is accepted. */
  protected abstract result(): R;

  /** sha256 of the call's bundle. */
  get bundleSha(): string {
    return this.bundle.sha256;
  }

  get dispatchedAll(): boolean {
    return this.next >= this.n;
  }

  /** Resolves when every item is dispatched and every range accepted. */
  maybeFinish(): boolean {
    if (this.settled || this.next < this.n || this.outstanding > 0) return false;
    this.settled = true;
    this.resolveFn(this.result());
    return true;
  }

  fail(e: unknown): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.rejectFn(e);
    return true;
  }
}

/** The error a worker reported for items [start, end), as a NextbestError on this side. */
export function taskError(f: TaskFailure, start: number, end: number): NextbestError {
  const code = (Object.prototype.hasOwnProperty.call(ErrorCodes, f.code) ? f.code : 'WORKER_FAILED') as ErrorCode;
  return new NextbestError(code, `${f.message} (in rows ${start}..${end - 1} of the batch)`, {
    ...(f.details ?? {}),
    rowStart: start,
    rowEnd: end,
  });
}

/** pool.score: n rows of `stride` features in, n * width outputs back, in input order. */
export class ScoreBatch extends Batch<Float32Array, ScoreResult> {
  readonly model: string;
  private readonly rows: Float32Array;
  private readonly stride: number;
  private readonly width: number;
  private out: Float32Array | null;

  constructor(model: string, rows: Float32Array, n: number, stride: number, width: number, out: Float32Array | undefined) {
    super(n, `score:${model}`);
    this.model = model;
    this.rows = rows;
    this.stride = stride;
    this.width = width;
    this.out = out ?? null;
  }

  get itemBytes(): number {
    return this.stride * 4;
  }

  makeTask(start: number, end: number): { task: ScoreTask; transfer: ArrayBuffer[] } {
    // A copy of the range, owned by the task and moved (not cloned) to the worker.
    const rows = this.rows.slice(start * this.stride, end * this.stride);
    return { task: { kind: 'score', model: this.model, rows, n: end - start }, transfer: [rows.buffer] };
  }

  accept(start: number, end: number, done: ScoreResult): void {
    // The output is allocated when the first range arrives, so a queued batch costs nothing.
    if (this.out === null) this.out = new Float32Array(this.n * this.width);
    const expected = (end - start) * this.width;
    if (done.output.length !== expected) {
      throw new NextbestError('WORKER_FAILED', `a worker returned ${done.output.length} values for rows ${start}..${end - 1}, expected ${expected}`);
    }
    this.out.set(done.output, start * this.width);
  }

  protected result(): Float32Array {
    return this.out ?? new Float32Array(this.n * this.width);
  }
}
