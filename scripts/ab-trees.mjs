/**
 * A/B of the trees kernel: two builds of nextbest in one process, measured in
 * interleaved rounds on the bench models (test/fixtures/xgb/bench_*.ubj.gz)
 * and the trees suite's synthetic rows, in CPU time (process.cpuUsage), so
 * that other jobs on the shared machine stretch both sides alike.
 *
 *   cp -r dist /tmp/trees-a/dist && ln -s $PWD/node_modules /tmp/trees-a/  # the baseline
 *   (change the kernel, npm run build)
 *   node scripts/ab-trees.mjs /tmp/trees-a/dist [rounds]
 *
 * Without a baseline directory only this checkout's dist/ is measured. Every
 * round and side: ns per row of `margin` on 2,000-row batches over 20,000
 * rows, and ns per `predictOne(Float32Array, out)` call cycling through the
 * same rows (mean CPU time, and the wall-clock p50 of single calls). The two
 * sides must agree bitwise on every row first. Prints the best and the median
 * of the rounds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { mulberry32 } from '../bench/lib.mjs';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'xgb');
const baseDir = process.argv[2] && process.argv[2] !== '-' ? process.argv[2] : null;
const rounds = Number(process.argv[3] ?? 15);
const N = 20000;
const BATCH = 2000;
const SINGLE = 20000;

const sides = [{ name: 'B (dist)', mod: await import(join(ROOT, 'dist', 'index.js')) }];
if (baseDir) sides.unshift({ name: 'A (base)', mod: await import(join(baseDir, 'index.js')) });

function syntheticRows(file, sampleRows, nf) {
  const b = readFileSync(join(FIXTURES, file));
  const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const rand = mulberry32(12345);
  const rows = new Float32Array(N * nf);
  for (let r = 0; r < N; r++) {
    for (let f = 0; f < nf; f++) rows[r * nf + f] = all[Math.floor(rand() * sampleRows) * nf + f];
  }
  return rows;
}

const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

function batchNsPerRow(m, rows, out) {
  const t0 = cpuNs();
  for (let b = 0; b < N; b += BATCH) m.margin(rows.subarray(b * m.numFeatures, (b + BATCH) * m.numFeatures), BATCH, out);
  return (cpuNs() - t0) / N;
}

function singleNs(m, rows, one, row, lat) {
  const nf = m.numFeatures;
  const t0 = cpuNs();
  for (let i = 0; i < SINGLE; i++) {
    const r = (i % N) * nf;
    for (let f = 0; f < nf; f++) row[f] = rows[r + f];
    m.predictOne(row, one);
  }
  const mean = (cpuNs() - t0) / SINGLE;
  for (let i = 0; i < lat.length; i++) {
    const r = ((i * 7) % N) * nf;
    for (let f = 0; f < nf; f++) row[f] = rows[r + f];
    const a = process.hrtime.bigint();
    m.predictOne(row, one);
    lat[i] = Number(process.hrtime.bigint() - a);
  }
  lat.sort();
  return { mean, p50: lat[lat.length >> 1] };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`load ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${rounds} rounds`);
for (const [file, sampleRows] of [
  ['bench_300x6', 200],
  ['bench_500x8', 120],
]) {
  const bytes = readFileSync(join(FIXTURES, `${file}.ubj.gz`));
  const ms = [];
  for (const s of sides) ms.push(await s.mod.Model.fromXGBoost(bytes));
  const nf = ms[0].numFeatures;
  const rows = syntheticRows(`${file}.rows.f32`, sampleRows, nf);
  const outs = ms.map((m) => m.margin(rows, N));
  for (let i = 1; i < outs.length; i++) {
    for (let r = 0; r < N; r++) if (!Object.is(outs[0][r], outs[i][r])) throw new Error(`${file}: the sides disagree on row ${r}`);
  }
  const out = new Float32Array(BATCH);
  const one = new Float32Array(1);
  const row = new Float32Array(nf);
  const lat = new Float64Array(5000);
  const res = sides.map(() => ({ batch: [], mean: [], p50: [] }));
  for (let k = 0; k < rounds; k++) {
    for (let i = 0; i < sides.length; i++) {
      const j = k % 2 ? sides.length - 1 - i : i;
      res[j].batch.push(batchNsPerRow(ms[j], rows, out));
      const s = singleNs(ms[j], rows, one, row, lat);
      res[j].mean.push(s.mean);
      res[j].p50.push(s.p50);
    }
  }
  for (let i = 0; i < sides.length; i++) {
    const r = res[i];
    const f = (xs) => `${Math.min(...xs).toFixed(0)} / ${median(xs).toFixed(0)}`;
    console.log(
      `${file} ${sides[i].name}: batch ns/row (best / median) ${f(r.batch)} = ${(1e9 / Math.min(...r.batch) / 1000).toFixed(0)}k rows/s CPU;` +
        ` predictOne CPU ns ${f(r.mean)}; wall p50 ns ${f(r.p50)}`,
    );
  }
}
console.log(`load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
