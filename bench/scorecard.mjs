// Scorecard benchmark: the wasm kernel against its plain-TypeScript reference
// twin (the "plain JS" peer), measured in the same run, plus single-row
// latency of predictOne and explain.
//
//   npm run build && node bench/scorecard.mjs
//
// Uses dist/ (the published build) for the wasm side. The reference twin is
// TypeScript; it is transpiled here with esbuild (tsup's own compiler).
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';
import { Model } from '../dist/index.js';

const root = new URL('..', import.meta.url);
const twinSource = readFileSync(new URL('src/reference/scorecard.ts', root), 'utf8');
const twinFile = join(mkdtempSync(join(tmpdir(), 'nb-bench-')), 'scorecard.mjs');
writeFileSync(twinFile, transformSync(twinSource, { loader: 'ts', format: 'esm' }).code);
const { referenceScorecardMargin } = await import(pathToFileURL(twinFile).href);

// A credit-sized scorecard: 14 numeric characteristics (4 to 16 bins, so both
// the scan and the bisection paths run) and 6 categorical ones.
let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
const features = [];
const characteristics = [];
for (let i = 0; i < 14; i++) {
  const nBins = 4 + (i % 13);
  const cuts = Array.from({ length: nBins - 1 }, (_, k) => k * 10 + Math.floor(rand() * 5));
  features.push({ name: `n${i}`, type: 'numeric' });
  characteristics.push({
    feature: `n${i}`,
    reasonCode: `N${i}`,
    missing: Math.round(rand() * 20),
    bins: [{ below: cuts[0], points: 5 }, ...cuts.map((c, k) => ({ from: c, ...(k + 1 < cuts.length ? { below: cuts[k + 1] } : {}), points: Math.round(rand() * 40) }))],
  });
}
for (let i = 0; i < 6; i++) {
  const categories = Array.from({ length: 5 + i * 3 }, (_, k) => `c${k}`);
  features.push({ name: `k${i}`, type: 'categorical', categories });
  characteristics.push({
    feature: `k${i}`,
    reasonCode: `K${i}`,
    bins: [{ categories: categories.slice(0, 2), points: 30 }, { categories: categories.slice(2), points: 10 }],
    missing: 15,
  });
}
const model = await Model.fromScorecard({ features, characteristics, basePoints: 300, scaling: { pdo: 20, baseScore: 600, baseOdds: 30 } });
const nf = model.numFeatures;
const N = 10_000;
const rows = new Float32Array(N * nf);
for (let i = 0; i < rows.length; i++) {
  const f = i % nf;
  rows[i] = rand() < 0.05 ? NaN : model.schema.isCategorical(f) ? Math.floor(rand() * (5 + (f - 14) * 3)) : rand() * 150 - 10;
}
const out = new Float32Array(N);
const table = model.table;

// Same answers before timing anything.
const margins = model.margin(rows, N);
for (let r = 0; r < N; r++) {
  if (!Object.is(margins[r], referenceScorecardMargin(table, rows, r * nf))) throw new Error(`row ${r}: wasm and reference differ`);
}

// The machine is shared: variants run interleaved, round after round, and each
// keeps its best round, so a burst of load elsewhere hits all of them alike.
const variants = {
  'wasm predict': () => model.predict(rows, N, out),
  'wasm margin': () => model.margin(rows, N, out),
  'plain-JS reference twin (margin)': () => {
    for (let r = 0; r < N; r++) out[r] = referenceScorecardMargin(table, rows, r * nf);
  },
};
const best = Object.fromEntries(Object.keys(variants).map((k) => [k, Infinity]));
for (let round = 0; round < 40; round++) {
  for (const [name, run] of Object.entries(variants)) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 3; i++) run();
    best[name] = Math.min(best[name], Number(process.hrtime.bigint() - t0) / 3);
  }
}
const results = Object.fromEntries(Object.entries(best).map(([k, ns]) => [k, (N * 1e9) / ns]));

function latency(label, f, iterations = 20_000) {
  for (let i = 0; i < 2000; i++) f(i);
  const t = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    f(i);
    t[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  t.sort();
  return { label, p50: t[Math.floor(iterations * 0.5)], p99: t[Math.floor(iterations * 0.99)] };
}

const objects = Array.from({ length: 64 }, (_, r) => {
  const o = {};
  for (let f = 0; f < nf; f++) {
    const v = rows[r * nf + f];
    o[features[f].name] = Number.isNaN(v) ? null : features[f].type === 'categorical' ? features[f].categories[v] : v;
  }
  return o;
});
const one = new Float32Array(1);
const lat = [
  latency('predictOne(Float32Array)', (i) => model.predictOne(rows.subarray((i & 63) * nf, ((i & 63) + 1) * nf), one)),
  latency('predictOne(object)', (i) => model.predictOne(objects[i & 63], one)),
  latency('explain(object, 4)', (i) => model.explain(objects[i & 63], 4)),
];

console.log(`scorecard: ${characteristics.length} characteristics, batches of ${N} rows, best of 40 interleaved rounds`);
console.log('rows/s');
for (const [name, v] of Object.entries(results)) console.log(`  ${name.padEnd(36)} ${Math.round(v).toLocaleString('en-US')}`);
const ratio = results['wasm margin'] / results['plain-JS reference twin (margin)'];
console.log(`  wasm margin / reference twin: ${ratio.toFixed(2)}x`);
console.log('\nsingle-row latency (us)');
for (const l of lat) console.log(`  ${l.label.padEnd(28)} p50 ${l.p50.toFixed(2)}  p99 ${l.p99.toFixed(2)}`);
