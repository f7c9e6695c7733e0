/**
 * Scorecards: a credit-sized scorecard of 20 characteristics (14 numeric with 3
 * to 15 thresholds, so both the SIMD scan and the bisection run; 6 categorical)
 * on 10,000 rows with 5% missing values. Batch rows/s of the wasm kernel
 * (`margin` = points, `predict` = points + odds scaling) against the plain-TS
 * reference twin (src/reference/scorecard.ts, from dist/reference.js), and
 * single-row latency of predictOne and explain (reason codes) against the twin
 * on one row. The twin and the kernel must agree bit for bit on every row first.
 */
import { Model } from '../../dist/index.js';
import { referenceScorecardMargin } from '../../dist/reference.js';
import { latency, mulberry32, record, throughput } from '../lib.mjs';

const SUITE = 'scorecard';
const N = 10_000;
const TWIN = 'plain-JS reference twin';

/** 14 numeric characteristics (4 to 16 bins) and 6 categorical ones (5 to 20 categories). */
function creditScorecard(rand) {
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
      bins: [
        { categories: categories.slice(0, 2), points: 30 },
        { categories: categories.slice(2), points: 10 },
      ],
      missing: 15,
    });
  }
  return { features, characteristics, basePoints: 300, scaling: { pdo: 20, baseScore: 600, baseOdds: 30 } };
}

export async function run() {
  const rand = mulberry32(12345);
  const spec = creditScorecard(rand);
  const model = await Model.fromScorecard(spec);
  const nf = model.numFeatures;
  const rows = new Float32Array(N * nf);
  for (let i = 0; i < rows.length; i++) {
    const f = i % nf;
    rows[i] = rand() < 0.05 ? NaN : model.schema.isCategorical(f) ? Math.floor(rand() * spec.features[f].categories.length) : rand() * 150 - 10;
  }
  const out = new Float32Array(N);
  const table = model.table;
  console.log(`${SUITE}: ${spec.characteristics.length} characteristics, ${nf} features, batches of ${N} rows`);

  const margins = model.margin(rows, N);
  for (let r = 0; r < N; r++) {
    if (!Object.is(margins[r], referenceScorecardMargin(table, rows, r * nf))) throw new Error(`${SUITE}: wasm and reference twin differ on row ${r}`);
  }

  const tp = await throughput(SUITE, [
    { name: 'nextbest wasm margin', units: N, fn: () => model.margin(rows, N, out) },
    { name: 'nextbest wasm predict', units: N, fn: () => model.predict(rows, N, out) },
    {
      name: TWIN,
      units: N,
      fn: () => {
        for (let r = 0; r < N; r++) out[r] = referenceScorecardMargin(table, rows, r * nf);
      },
    },
  ]);
  record(SUITE, 'batch rows/s', 'nextbest wasm margin', tp['nextbest wasm margin'], 'rows/s', TWIN);
  record(SUITE, 'batch rows/s', 'nextbest wasm predict', tp['nextbest wasm predict'], 'rows/s', TWIN);
  record(SUITE, 'batch rows/s', TWIN, tp[TWIN], 'rows/s');

  const objects = Array.from({ length: 64 }, (_, r) => {
    const o = {};
    for (let f = 0; f < nf; f++) {
      const v = rows[r * nf + f];
      const def = spec.features[f];
      o[def.name] = Number.isNaN(v) ? null : def.type === 'categorical' ? def.categories[v] : v;
    }
    return o;
  });
  const vectors = Array.from({ length: 64 }, (_, r) => rows.subarray(r * nf, (r + 1) * nf));
  const one = new Float32Array(1);
  let sink = 0;
  const lat = [
    ['nextbest predictOne(Float32Array)', latency((i) => model.predictOne(vectors[i & 63], one), { samples: 20000 })],
    ['nextbest predictOne(object)', latency((i) => model.predictOne(objects[i & 63], one), { samples: 20000 })],
    [`${TWIN} (one row)`, latency((i) => (sink += referenceScorecardMargin(table, rows, (i & 63) * nf)), { samples: 20000 })],
    ['nextbest explain(object, 4 reasons)', latency((i) => model.explain(objects[i & 63], 4), { warmup: 5000, samples: 20000 })],
  ];
  for (const [subject, l] of lat) {
    // The twin scores a row already in schema order: compare it with predictOne(Float32Array) only.
    const peer = subject === 'nextbest predictOne(Float32Array)' ? `${TWIN} (one row)` : undefined;
    record(SUITE, 'single-row p50', subject, l.p50 / 1000, 'us', peer);
    record(SUITE, 'single-row p99', subject, l.p99 / 1000, 'us', peer);
  }
  return { characteristics: spec.characteristics.length, features: nf, rows: N, checksum: sink > 0 };
}
