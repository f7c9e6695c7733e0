/**
 * A pool worker (built to dist/worker.js and dist/worker.cjs). Piscina loads
 * this module in each worker thread; the default export is a promise of the
 * task handler, so the engine is loaded from the bundle bytes in workerData
 * once, before the worker takes its first task. A bundle the engine refuses is
 * reported by every task (the pool validated it already, so this means a
 * version mismatch between the pool and the worker build), never thrown:
 * a throwing worker would be replaced and fail again, forever.
 */
import { workerData, threadId } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { Engine } from '../engine.js';
import { NextbestError } from '../errors.js';
import type { DecideOptions, DecisionRequest } from '../decide/types.js';
import { decideLines } from '../cli/decide-lines.js';
import type { DecideItem, DecideResult, DecideTask, PingResult, ScoreResult, ScoreTask, TaskFailure, WorkerFault, WorkerInit, WorkerTask } from './protocol.js';

/** A result whose typed arrays are transferred back, not copied (Piscina's transferable protocol). */
class Transfer<T> {
  private readonly value: T;
  private readonly buffers: ArrayBufferLike[];
  constructor(value: T, buffers: ArrayBufferLike[]) {
    this.value = value;
    this.buffers = buffers;
  }
  get [transferableSymbol](): ArrayBufferLike[] {
    return this.buffers;
  }
  get [valueSymbol](): T {
    return this.value;
  }
}

function failure(e: unknown): TaskFailure {
  if (e instanceof NextbestError) {
    return { ok: false, code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  }
  const err = e as Error;
  return {
    ok: false,
    code: 'WORKER_FAILED',
    message: `unexpected error in a pool worker: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`,
    details: { stack: err?.stack },
  };
}

/** Test hook (PoolOptions.faults): the worker dies the way a real one would. */
function injectFault(fault: WorkerFault): Promise<never> {
  if (fault === 'exit') process.exit(70);
  if (fault === 'oom' && getHeapStatistics().heap_size_limit <= 512 * 1024 * 1024) {
    // Only under a small resourceLimits heap: a worker without limits would eat the machine's memory.
    const hog: number[][] = [];
    for (;;) hog.push(new Array<number>(1 << 16).fill(hog.length + 0.5));
  }
  queueMicrotask(() => {
    throw new Error(`injected ${fault} fault`);
  });
  return new Promise<never>(() => {});
}

function score(engine: Engine, task: ScoreTask): Transfer<ScoreResult> | TaskFailure {
  try {
    const t0 = performance.now();
    const output = engine.scoreBatch(task.model, task.rows, task.n);
    const computeNs = Math.round((performance.now() - t0) * 1e6);
    return move(new Transfer<ScoreResult>({ ok: true, output, computeNs }, [output.buffer])) as Transfer<ScoreResult>;
  } catch (e) {
    return failure(e);
  }
}

/**
 * Decides every request of the task. A request the engine refuses (bad
 * context, state of another bundle) becomes that item's failure; anything
 * else is a bug and fails the task. Requests carry no customerId: the
 * worker's store is never read and its decision log never written, so a
 * long batch run holds no per-customer memory (pool.decide is stateless).
 */
function decide(engine: Engine, task: DecideTask): DecideResult | TaskFailure {
  const t0 = performance.now();
  const stride = engine.schema.size;
  const opts: DecideOptions = {};
  if (task.limit !== undefined) opts.limit = task.limit;
  if (task.explain === true) opts.explain = true;
  const items: DecideItem[] = new Array(task.n);
  try {
    for (let k = 0; k < task.n; k++) {
      const req: DecisionRequest = { features: task.rows.subarray(k * stride, (k + 1) * stride), context: task.contexts[k] as DecisionRequest['context'] };
      if (task.seeds !== null) opts.seed = task.seeds[k];
      const state = task.states === null ? null : task.states[k];
      try {
        const decision = state === null || state === undefined ? engine.decide(req, opts) : engine.decideState(state, req, opts).decision;
        items[k] = { ok: true, decision };
      } catch (e) {
        if (!(e instanceof NextbestError)) throw e;
        items[k] = failure(e);
      }
    }
  } catch (e) {
    return failure(e);
  }
  return { ok: true, items, computeNs: Math.round((performance.now() - t0) * 1e6) };
}

async function start(): Promise<(task: WorkerTask) => unknown> {
  const init = workerData as WorkerInit;
  let engine: Engine | null = null;
  let loadError: TaskFailure | null = null;
  try {
    engine = await Engine.load(init.bundle, { wasm: init.wasm, ...(init.trustedKeys ? { trustedKeys: init.trustedKeys } : {}) });
  } catch (e) {
    loadError = failure(e);
  }
  return function runTask(task: WorkerTask) {
    if (task.fault !== undefined) return injectFault(task.fault);
    if (engine === null) return loadError!;
    switch (task.kind) {
      case 'ping':
        return { ok: true, threadId, computeNs: 0 } satisfies PingResult;
      case 'score':
        return score(engine, task);
      case 'decide':
        return decide(engine, task);
      case 'decideLines':
        try {
          return decideLines(engine, task);
        } catch (e) {
          return failure(e);
        }
      default:
        return failure(new NextbestError('ARGUMENT_INVALID', `unknown pool task kind ${JSON.stringify((task as { kind: unknown }).kind)}`));
    }
  };
}

export default start();
