/**
 * The worker pool: results equal the single-thread engine bit for bit, dead
 * workers lose or duplicate no rows, back-pressure holds, lifecycle and
 * option errors. Workers run dist/worker.js (npm test builds it first).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, Model, NextbestError, Pool, buildBundle, generateKeyPair, signBundle, type PoolOptions } from '../../src/index.js';
import { locateWorker } from '../../src/pool/pool.js';
import { firstBitwiseMismatch, mulberry32, randInt } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'nb-pool-'));

/** A logistic model over 24 numeric and 4 categorical features. */
async function wideModel(): Promise<Model> {
  const rand = mulberry32(7);
  const weights: Record<string, number | Record<string, number>> = {};
  for (let i = 0; i < 24; i++) weights[`x${i}`] = (rand() - 0.5) * 2;
  for (let i = 0; i < 4; i++) weights[`k${i}`] = { a: rand(), b: -rand(), c: rand() - 0.5 };
  return Model.fromLinear({ intercept: 0.3, link: 'logit', weights });
}

/** Random rows with NaN, infinities, out-of-dictionary and non-integer codes, and arbitrary bit patterns. */
function randomRows(seed: number, schemaSize: number, n: number): Float32Array {
  const rand = mulberry32(seed);
  const rows = new Float32Array(n * schemaSize);
  const bits = new Uint32Array(rows.buffer);
  for (let i = 0; i < rows.length; i++) {
    const u = rand();
    if (u < 0.05) bits[i] = (rand() * 2 ** 32) >>> 0;
    else if (u < 0.1) rows[i] = NaN;
    else if (u < 0.12) rows[i] = [Infinity, -Infinity, -0, 1e30][randInt(rand, 0, 3)]!;
    else rows[i] = (rand() - 0.5) * 100;
  }
  return rows;
}

const pools: Pool[] = [];
async function pool(opts: PoolOptions): Promise<Pool> {
  const p = await Pool.create(opts);
  pools.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
});

async function rejection(p: Promise<unknown>): Promise<NextbestError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(NextbestError);
    return e as NextbestError;
  }
  throw new Error('expected a rejection');
}

describe('Pool: results', () => {
  it('finds the built worker script from the source tree', () => {
    expect(locateWorker()).toMatch(/dist[/\\]worker\.js$/);
  });

  it('equals single-thread scoring bit for bit (1, 2, 3 threads; n = 0, 1, odd sizes)', async () => {
    const m = await wideModel();
    const bundle = m.toBundle();
    const engine = await Engine.load(bundle);
    const sizes = [0, 1, 2, 7, 255, 256, 257, 1000, 4099, 30001];
    for (const threads of [1, 2, 3]) {
      const p = await pool({ bundle, threads, targetTaskMs: 0.05 });
      let seed = threads * 100;
      for (const n of sizes) {
        const rows = randomRows(seed++, m.numFeatures, n);
        const want = engine.scoreBatch(m.id, rows, n);
        const got = await p.score(rows, n);
        expect(got.length).toBe(n);
        expect(firstBitwiseMismatch(got, want)).toBe(-1);
      }
      // The caller's rows are only read, never moved away.
      const rows = randomRows(1, m.numFeatures, 10);
      await p.score(rows, 10);
      expect(rows.length).toBe(10 * m.numFeatures);
      expect(p.stats().rowsCompleted).toBe(sizes.reduce((a, b) => a + b, 0) + 10);
      await p.close();
    }
  });

  it('runs the debug wasm build too, and many concurrent calls each in their own order', async () => {
    const m = await wideModel();
    const bundle = m.toBundle();
    const engine = await Engine.load(bundle, { wasm: 'debug' });
    const p = await pool({ bundle, threads: 2, wasm: 'debug', maxChunkRows: 97 });
    const calls = Array.from({ length: 12 }, (_, i) => {
      const n = 50 + i * 37;
      const rows = randomRows(500 + i, m.numFeatures, n);
      return { rows, n, want: engine.scoreBatch(m.id, rows, n) };
    });
    const results = await Promise.all(calls.map((c) => p.score(c.rows, c.n)));
    results.forEach((r, i) => expect(firstBitwiseMismatch(r, calls[i]!.want)).toBe(-1));
  });

  it('writes into a given out array and picks a model by id; refuses an ambiguous or unknown one', async () => {
    const spec = join(dir, 'two.yaml');
    writeFileSync(
      spec,
      'bundle: two\nversion: "1"\nfeatures:\n  a: numeric\n  b: numeric\nmodels:\n  up:\n    linear: { weights: { a: 2, b: 1 } }\n  down:\n    linear: { intercept: 1, weights: { a: -1 } }\n',
    );
    const bundlePath = join(dir, 'two.nbb');
    writeFileSync(bundlePath, await buildBundle(spec));
    const p = await pool({ bundle: bundlePath, threads: 2 });
    expect(p.modelIds).toEqual(['up', 'down']);
    expect(p.info.name).toBe('two');
    const rows = new Float32Array([1, 2, 3, 4, NaN, 1]);
    const out = new Float32Array(5).fill(-1);
    const res = await p.score(rows, 3, { model: 'down', out });
    expect(res).toBe(out);
    expect([...out]).toEqual([0, -2, 1, -1, -1]);
    expect([...(await p.score(rows, 2, { model: 'up' }))]).toEqual([4, 10]);
    expect((await rejection(p.score(rows, 3))).code).toBe('MODEL_UNKNOWN');
    expect((await rejection(p.score(rows, 3, { model: 'sideways' }))).code).toBe('MODEL_UNKNOWN');
  });

  it('checks its arguments', async () => {
    const m = await Model.fromLinear({ weights: { a: 1, b: 2 } });
    const p = await pool({ bundle: m.toBundle(), threads: 1 });
    expect((await rejection(p.score([1, 2] as unknown as Float32Array, 1))).code).toBe('ARGUMENT_INVALID');
    expect((await rejection(p.score(new Float32Array(4), -1))).code).toBe('ARGUMENT_INVALID');
    expect((await rejection(p.score(new Float32Array(4), 1.5))).code).toBe('ARGUMENT_INVALID');
    expect((await rejection(p.score(new Float32Array(3), 2))).code).toBe('ROWS_SHAPE');
    expect((await rejection(p.score(new Float32Array(4), 2, { out: new Float32Array(1) }))).code).toBe('ROWS_SHAPE');
    expect((await rejection(p.score(new Float32Array(4), 2, { modle: 'x' } as never))).code).toBe('OPTION_INVALID');
  });

  it('sizes tasks from the measured cost per row', async () => {
    const m = await wideModel();
    const bundle = m.toBundle();
    const n = 100_000;
    const rows = randomRows(3, m.numFeatures, n);
    const small = await pool({ bundle, threads: 2, targetTaskMs: 0.02 });
    await small.score(rows, n);
    const big = await pool({ bundle, threads: 2, targetTaskMs: 5000 });
    await big.score(rows, n);
    expect(small.stats().nsPerRow[m.id]).toBeGreaterThan(0);
    // A tiny target makes many small tasks; a huge one a few probes, then shares that halve
    // towards the end of the batch (guided scheduling), never below maxChunkRows / 8.
    expect(big.stats().tasksCompleted).toBeLessThanOrEqual(12);
    expect(small.stats().tasksCompleted).toBeGreaterThan(5 * big.stats().tasksCompleted);
  });
});

describe('Pool: dead workers', () => {
  for (const kind of ['exit', 'crash', 'oom'] as const) {
    it(`a worker that dies mid-batch (${kind}) is replaced and its chunk retried: no row lost or duplicated`, async () => {
      const m = await wideModel();
      const bundle = m.toBundle();
      const engine = await Engine.load(bundle);
      const n = 20_000;
      const rows = randomRows(11, m.numFeatures, n);
      const want = engine.scoreBatch(m.id, rows, n);
      const p = await pool({
        bundle,
        threads: 2,
        targetTaskMs: 0.2,
        faults: [{ row: 12_345, kind, times: 1 }],
        ...(kind === 'oom' ? { resourceLimits: { maxOldGenerationSizeMb: 24 } } : {}),
      });
      const got = await p.score(rows, n);
      expect(firstBitwiseMismatch(got, want)).toBe(-1);
      const s = p.stats();
      // A worker runs one task at a time: only the faulty range was retried.
      expect(s.tasksRetried).toBe(1);
      expect(s.workersLost).toBeGreaterThanOrEqual(1);
      expect(s.rowsCompleted).toBe(n);
      // The replacement worker is a full member of the pool.
      expect(firstBitwiseMismatch(await p.score(rows, n), want)).toBe(-1);
      expect(p.stats().rowsCompleted).toBe(2 * n);
    });
  }

  it('a chunk whose worker dies again is reported as WORKER_FAILED naming its rows; the pool keeps working', async () => {
    const m = await wideModel();
    const bundle = m.toBundle();
    const engine = await Engine.load(bundle);
    const n = 5000;
    const rows = randomRows(12, m.numFeatures, n);
    const p = await pool({ bundle, threads: 2, faults: [{ row: 4321, kind: 'exit' }] });
    const e = await rejection(p.score(rows, n));
    expect(e.code).toBe('WORKER_FAILED');
    const d = e.details as { rowStart: number; rowEnd: number; attempts: number };
    expect(d.rowStart).toBeLessThanOrEqual(4321);
    expect(d.rowEnd).toBeGreaterThan(4321);
    expect(d.attempts).toBe(2);
    expect(e.message).toContain(`rows ${d.rowStart}..${d.rowEnd - 1}`);
    expect(p.stats().tasksRetried).toBe(1);
    // Rows without the fault still score, on replacement workers.
    const first = rows.subarray(0, 4000 * m.numFeatures);
    expect(firstBitwiseMismatch(await p.score(first, 4000), engine.scoreBatch(m.id, first, 4000))).toBe(-1);
  });

  it('retries: 0 fails on the first death', async () => {
    const m = await wideModel();
    const p = await pool({ bundle: m.toBundle(), threads: 1, retries: 0, faults: [{ row: 0, kind: 'crash', times: 1 }] });
    const e = await rejection(p.score(randomRows(1, m.numFeatures, 10), 10));
    expect(e.code).toBe('WORKER_FAILED');
    expect((e.details as { attempts: number }).attempts).toBe(1);
    expect((await p.score(randomRows(1, m.numFeatures, 10), 10)).length).toBe(10);
  });
});

describe('Pool: back-pressure and lifecycle', () => {
  it('never has more than threads + maxQueue tasks in flight, however many calls wait', async () => {
    const m = await wideModel();
    const bundle = m.toBundle();
    const engine = await Engine.load(bundle);
    const p = await pool({ bundle, threads: 2, maxQueue: 1, maxChunkRows: 64 });
    const calls = Array.from({ length: 20 }, (_, i) => {
      const rows = randomRows(900 + i, m.numFeatures, 1000);
      return { rows, want: engine.scoreBatch(m.id, rows, 1000) };
    });
    const pending = calls.map((c) => p.score(c.rows, 1000));
    expect(p.stats().pendingCalls).toBe(20);
    expect(p.stats().inFlightTasks).toBeLessThanOrEqual(3);
    const results = await Promise.all(pending);
    results.forEach((r, i) => expect(firstBitwiseMismatch(r, calls[i]!.want)).toBe(-1));
    const s = p.stats();
    expect(s.peakInFlightTasks).toBe(3);
    expect(s.tasksCompleted).toBeGreaterThanOrEqual(20 * Math.ceil(1000 / 64));
    expect(s.pendingCalls).toBe(0);
  });

  it('close() finishes the calls already made, then refuses new ones', async () => {
    const m = await wideModel();
    const p = await pool({ bundle: m.toBundle(), threads: 2, maxChunkRows: 100 });
    const rows = randomRows(5, m.numFeatures, 5000);
    const pending = [p.score(rows, 5000), p.score(rows, 3000)];
    const closed = p.close();
    expect(p.close()).toBe(closed);
    expect((await rejection(p.score(rows, 1))).code).toBe('POOL_CLOSED');
    const [a, b] = await Promise.all(pending);
    expect(a!.length).toBe(5000);
    expect(firstBitwiseMismatch(b!, a!.subarray(0, 3000))).toBe(-1);
    await closed;
    expect((await rejection(p.score(rows, 1))).code).toBe('POOL_CLOSED');
    await p.destroy(); // harmless after close
  });

  it('destroy() stops now: pending calls reject with POOL_CLOSED', async () => {
    const m = await wideModel();
    const p = await pool({ bundle: m.toBundle(), threads: 1, maxChunkRows: 16, maxQueue: 0 });
    const rows = randomRows(6, m.numFeatures, 20_000);
    const pending = p.score(rows, 20_000);
    const caught = rejection(pending);
    await p.destroy();
    expect((await caught).code).toBe('POOL_CLOSED');
    expect((await rejection(p.score(rows, 1))).code).toBe('POOL_CLOSED');
    await p.close(); // harmless after destroy
  });
});

describe('Pool.create: options', () => {
  it('validates every option, naming it', async () => {
    const bundle = (await Model.fromLinear({ weights: { a: 1 } })).toBundle();
    const bad: [Record<string, unknown>, string][] = [
      [{ bundle, threads: 0 }, 'threads'],
      [{ bundle, threads: 2.5 }, 'threads'],
      [{ bundle, threads: '2' }, 'threads'],
      [{ bundle, maxQueue: -1 }, 'maxQueue'],
      [{ bundle, targetTaskMs: 0 }, 'targetTaskMs'],
      [{ bundle, targetTaskMs: NaN }, 'targetTaskMs'],
      [{ bundle, maxChunkRows: 0 }, 'maxChunkRows'],
      [{ bundle, retries: 11 }, 'retries'],
      [{ bundle, wasm: 'fast' }, 'wasm'],
      [{ bundle, resourceLimits: { maxOldGenerationSizeMb: -5 } }, 'resourceLimits.maxOldGenerationSizeMb'],
      [{ bundle, resourceLimits: { heap: 5 } }, 'resourceLimits.heap'],
      [{ bundle, faults: [{ row: 1, kind: 'explode' }] }, 'faults[0]'],
      [{ bundle, trustedKeys: 'pem' }, 'trustedKeys'],
      [{ bundle: 42 }, 'bundle'],
      [{}, 'bundle'],
      [{ bundle, thread: 2 }, 'thread'],
    ];
    for (const [opts, name] of bad) {
      const e = await rejection(Pool.create(opts as unknown as PoolOptions));
      expect(e.code).toBe('OPTION_INVALID');
      expect(e.details).toMatchObject({ option: name });
      expect(e.message).toContain(name);
    }
    expect((await rejection(Pool.create(null as unknown as PoolOptions))).code).toBe('OPTION_INVALID');
  });

  it('refuses a bad bundle before starting workers, with the bundle error code', async () => {
    expect((await rejection(Pool.create({ bundle: new Uint8Array([1, 2, 3]) }))).code).toMatch(/^BUNDLE_/);
    expect((await rejection(Pool.create({ bundle: join(dir, 'missing.nbb') }))).code).toBe('ARGUMENT_INVALID');
  });

  it('runs only bundles signed by a trusted key when given trustedKeys', async () => {
    const bundle = (await Model.fromLinear({ weights: { a: 3 } })).toBundle();
    const key = generateKeyPair();
    const other = generateKeyPair();
    const signed = signBundle(bundle, key.privateKeyPem);
    const p = await pool({ bundle: signed, threads: 1, trustedKeys: [other.publicKeyPem, key.publicKeyPem] });
    expect(p.info).toMatchObject({ verified: true, keyId: key.keyId });
    expect([...(await p.score(new Float32Array([2]), 1))]).toEqual([6]);
    expect((await rejection(Pool.create({ bundle, trustedKeys: [key.publicKeyPem] }))).code).toBe('BUNDLE_UNSIGNED');
    expect((await rejection(Pool.create({ bundle: signed, trustedKeys: [other.publicKeyPem] }))).code).toBe('BUNDLE_SIGNATURE');
    const e = await rejection(Pool.create({ bundle: signed, trustedKeys: ['not a key'] }));
    expect(e.code).toBe('OPTION_INVALID');
    expect(e.details).toMatchObject({ option: 'trustedKeys' });
    expect((await pool({ bundle: signed, threads: 1 })).info.verified).toBe(false);
  });

  it('defaults to one worker per available core', async () => {
    const { availableParallelism } = await import('node:os');
    const p = await pool({ bundle: (await Model.fromLinear({ weights: { a: 1 } })).toBundle() });
    expect(p.threads).toBe(availableParallelism());
    expect(p.stats().threads).toBe(availableParallelism());
  });
});
