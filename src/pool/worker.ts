/**
 * A pool worker (built to dist/worker.js and dist/worker.cjs). Piscina loads
 * this module in each worker thread; the default export is a promise of the
 * task handler, so the engine is loaded from the bundle bytes in workerData
 * once, before the worker takes its first task. A bundle the engine refuses is
 * reported by every task (the pool validated it already, so this means a
 * version mismatch between the pool and the worker build), never thrown:
 * a throwing worker would be replaced and fail again, forever.
 *
 * Hot reload (pool.swap): every task names the bundle it must run on
 * (protocol.ts BundleRef). The worker keeps engines of the last few bundles
 * it ran (ENGINES); a task for another bundle loads that bundle first, so a
 * worker switches between two tasks, never within one, and every result
 * says which bundle computed it.
 */
import { workerData, threadId } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { Engine } from '../engine.js';
import { LoadedBundle } from '../runtime/loaded-bundle.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { NextbestError } from '../errors.js';
import type { DecideOptions, DecisionRequest } from '../decide/types.js';
import { decideLines } from '../cli/decide-lines.js';
import type { BundleRef, DecideItem, DecideLinesResult, DecideResult, DecideTask, PingResult, ScoreResult, ScoreTask, TaskFailure, WorkerFault, WorkerInit, WorkerTask } from './protocol.js';

/** Engines a worker keeps (the current bundle, the one before it for calls still running on it, one being prepared). */
const ENGINES = 3;

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
    return move(new Transfer<ScoreResult>({ ok: true, bundle: engine.info.sha256, output, computeNs }, [output.buffer])) as Transfer<ScoreResult>;
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
  return { ok: true, bundle: engine.info.sha256, items, computeNs: Math.round((performance.now() - t0) * 1e6) };
}

async function start(): Promise<(task: WorkerTask) => unknown> {
  const init = workerData as WorkerInit;
  /** Engines by bundle sha256 (a promise while loading), least recently used first. */
  const engines = new Map<string, Engine | Promise<Engine | TaskFailure>>();
  const load = (bytes: Uint8Array, trustedKeys: string[] | undefined, limits: WorkerInit['limits']): Promise<Engine | TaskFailure> =>
    Engine.load(bytes, { wasm: init.wasm, ...(trustedKeys ? { trustedKeys } : {}), ...(limits ? { limits } : {}) }).catch((e: unknown) => failure(e));
  const initial = await load(init.bundle, init.trustedKeys, init.limits);
  if (initial instanceof Engine) engines.set(initial.info.sha256, initial);
  /** A loaded engine of the bundle with this sha256 (worker engines never swap: its migrator's current shape is that bundle's). */
  const previousEngine = (sha256: string): Engine | undefined => {
    for (const e of engines.values()) if (e instanceof Engine && e.info.sha256 === sha256) return e;
    return undefined;
  };
  const engineFor = (ref: BundleRef | undefined): Engine | TaskFailure | Promise<Engine | TaskFailure> => {
    if (ref === undefined) return initial;
    // keyed by the bundle and the one before it: which earlier layout the engine migrates from is part of what it is
    const sha = ref.previous === undefined ? ref.sha256 : `${ref.sha256}/${ref.previous.sha256}`;
    let e = engines.get(sha);
    if (e !== undefined) {
      engines.delete(sha); // most recently used goes last
    } else {
      // a copy out of the shared buffer: the engine owns its bytes
      const loading = load(ref.bytes.slice(), ref.trustedKeys, ref.limits).then((x) => {
        if (x instanceof Engine && ref.previous !== undefined) {
          // the layout of the bundle before: its state migrates, as in an engine that swapped (validated by the pool already)
          // usually that bundle's engine is here (the one this worker ran until the swap): its shape, no second load
          const prev = previousEngine(ref.previous.sha256);
          try {
            x.migrator.remember(prev !== undefined ? prev.migrator.current : new LoadedBundle(ref.previous.bytes.slice(), { wasm: init.wasm, limits: ref.previous.limits ?? DEFAULT_LIMITS }).stateShape);
          } catch (e) {
            return failure(e);
          }
        }
        return x;
      });
      loading.then((x) => {
        if (engines.get(sha) !== loading) return; // evicted meanwhile
        if (x instanceof Engine) engines.set(sha, x);
        else engines.delete(sha); // a failure is not kept: the next task tries again and reports it again
      });
      e = loading;
    }
    engines.set(sha, e);
    while (engines.size > ENGINES) engines.delete(engines.keys().next().value!);
    return e;
  };
  const run = (engine: Engine | TaskFailure, task: WorkerTask, ref: BundleRef | undefined): unknown => {
    if (!(engine instanceof Engine)) return engine;
    if (ref !== undefined && engine.info.sha256 !== ref.sha256) {
      return failure(new NextbestError('BUNDLE_CHECKSUM', `the bundle a task named (sha256 ${ref.sha256.slice(0, 16)}...) loaded as ${engine.info.sha256.slice(0, 16)}...`));
    }
    switch (task.kind) {
      case 'ping':
        return { ok: true, threadId, computeNs: 0, bundle: engine.info.sha256 } satisfies PingResult;
      case 'score':
        return score(engine, task);
      case 'decide':
        return decide(engine, task);
      case 'decideLines':
        try {
          const r = decideLines(engine, task);
          return move(new Transfer<DecideLinesResult>(r, [r.ends.buffer, r.failed.buffer])) as Transfer<DecideLinesResult>;
        } catch (e) {
          return failure(e);
        }
      default:
        return failure(new NextbestError('ARGUMENT_INVALID', `unknown pool task kind ${JSON.stringify((task as { kind: unknown }).kind)}`));
    }
  };
  return function runTask(task: WorkerTask) {
    if (task.fault !== undefined) return injectFault(task.fault);
    const e = engineFor(task.bundle);
    // the bundle's engine is ready (the usual case): run synchronously; else after it loaded
    return e instanceof Promise ? e.then((engine) => run(engine, task, task.bundle)) : run(e, task, task.bundle);
  };
}

export default start();
