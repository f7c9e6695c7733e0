/**
 * Tree ensembles: the 300x6 and 500x8 XGBoost models of the parity fixtures
 * (test/fixtures/xgb/bench_*.ubj.gz). Batch rows/s and single-row latency of the
 * wasm kernel, against the plain-JS reference walker in the same run and, when
 * Debian's /usr/bin/python3 has xgboost, against XGBoost's own CPU predictor
 * (nthread=1, inplace_predict and DMatrix predict).
 *
 * Rows: 20,000 synthetic customers, each column drawn from that column of the
 * fixture's sampled rows (so ~5% missing values, new combinations every row),
 * scored in batches of 2,000 rows per call.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Model } from '../../dist/index.js';
import { referenceTreesMargins } from '../../dist/reference.js';
import { BENCH_DIR, RESULTS_DIR, latency, mulberry32, record, throughput } from '../lib.mjs';

const FIXTURES = join(BENCH_DIR, '..', 'test', 'fixtures', 'xgb');
const PYTHON = '/usr/bin/python3';
const MODELS = [
  { name: '300x6', file: 'bench_300x6.ubj.gz', sampleRows: 200 },
  { name: '500x8', file: 'bench_500x8.ubj.gz', sampleRows: 120 },
];
const N = 20000;
const BATCH = 2000;
const REF_N = 200;

function syntheticRows(model, sample, nf) {
  const all = new Float32Array(readFileSync(join(FIXTURES, model.file.replace('.ubj.gz', '.rows.f32'))).buffer.slice(0));
  const rand = mulberry32(12345);
  const rows = new Float32Array(N * nf);
  for (let r = 0; r < N; r++) {
    for (let f = 0; f < nf; f++) rows[r * nf + f] = all[Math.floor(rand() * sample) * nf + f];
  }
  return rows;
}

function xgboostPeer(modelPath, rowsPath, nf) {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found` };
  const probe = spawnSync(PYTHON, ['-c', 'import xgboost'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: `${PYTHON} has no xgboost module (apt-get install python3-xgboost)` };
  const res = spawnSync(PYTHON, [join(BENCH_DIR, 'peers', 'xgboost_trees.py'), modelPath, rowsPath, String(nf), '5', '20000'], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (res.status !== 0) return { skipped: `the XGBoost peer failed: ${res.stderr.slice(-500)}` };
  return JSON.parse(res.stdout.trim().split('\n').pop());
}

export async function run() {
  for (const model of MODELS) {
    const suite = `trees ${model.name}`;
    const bytes = readFileSync(join(FIXTURES, model.file));
    const m = await Model.fromXGBoost(bytes);
    const nf = m.numFeatures;
    const rows = syntheticRows(model, model.sampleRows, nf);
    const out = new Float32Array(N);
    const t = m.table;
    const nTrees = t.treeGroup.length;
    console.log(`${suite}: ${nTrees} trees, ${t.left.length} nodes, ${nf} features, ${N} rows`);

    // The three scorers must agree before they are timed.
    const refOut = new Float32Array(1);
    const wasmMargins = m.margin(rows, N);
    for (let r = 0; r < 500; r++) {
      referenceTreesMargins(t, rows, r * nf, refOut);
      if (!Object.is(refOut[0], wasmMargins[r])) throw new Error(`${suite}: wasm and reference disagree on row ${r}`);
    }

    const refRows = rows.subarray(0, REF_N * nf);
    // Batches of BATCH rows per call, cycling through the 20,000 rows (benny's ops/s keeps
    // two decimals, so a call must not be too long).
    let cursor = 0;
    const nextBatch = () => {
      const b = rows.subarray(cursor * nf, (cursor + BATCH) * nf);
      cursor = (cursor + BATCH) % N;
      return b;
    };
    const tp = await throughput(`trees-${model.name}`, [
      { name: 'nextbest wasm margin', units: BATCH, fn: () => m.margin(nextBatch(), BATCH, out) },
      { name: 'nextbest wasm predict', units: BATCH, fn: () => m.predict(nextBatch(), BATCH, out) },
      {
        name: 'plain-JS walker',
        units: REF_N,
        fn: () => {
          for (let r = 0; r < REF_N; r++) referenceTreesMargins(t, refRows, r * nf, refOut);
        },
      },
    ]);
    record(suite, 'batch rows/s', 'nextbest wasm predict', tp['nextbest wasm predict'], 'rows/s', ['xgboost inplace_predict', 'plain-JS walker']);
    record(suite, 'batch rows/s', 'nextbest wasm margin', tp['nextbest wasm margin'], 'rows/s', ['xgboost inplace_predict', 'plain-JS walker']);
    record(suite, 'batch rows/s', 'plain-JS walker', tp['plain-JS walker'], 'rows/s');

    const single = new Float32Array(nf);
    const pick = (i) => single.set(rows.subarray((i % N) * nf, (i % N) * nf + nf));
    const one = new Float32Array(1);
    const wasmLat = latency((i) => {
      pick(i);
      m.predictOne(single, one);
    });
    const obj = {};
    const objLat = latency(
      (i) => {
        const r = (i % N) * nf;
        for (let f = 0; f < nf; f++) obj[m.featureNames[f]] = Number.isNaN(rows[r + f]) ? null : rows[r + f];
        m.predictOne(obj, one);
      },
      { samples: 20000 },
    );
    const refLat = latency(
      (i) => {
        pick(i);
        referenceTreesMargins(t, single, 0, refOut);
      },
      { warmup: 2000, samples: 5000 },
    );
    for (const [subject, l] of [
      ['nextbest wasm predictOne(Float32Array)', wasmLat],
      ['nextbest wasm predictOne(object)', objLat],
      ['plain-JS walker', refLat],
    ]) {
      const peers = subject === 'plain-JS walker' ? undefined : ['xgboost inplace_predict', 'plain-JS walker'];
      record(suite, 'single-row p50', subject, l.p50 / 1000, 'us', peers);
      record(suite, 'single-row p99', subject, l.p99 / 1000, 'us', peers);
    }

    const rowsPath = join(RESULTS_DIR, `trees-${model.name}.rows.f32`);
    writeFileSync(rowsPath, rows);
    const peer = xgboostPeer(join(FIXTURES, model.file), rowsPath, nf);
    if (peer.skipped) {
      console.log(`${suite}: XGBoost peer skipped: ${peer.skipped}`);
    } else {
      for (let i = 0; i < 16; i++) {
        if (Math.fround(peer.margins16[i]) !== wasmMargins[i]) throw new Error(`${suite}: XGBoost and nextbest disagree on row ${i}`);
      }
      record(suite, 'batch rows/s', 'xgboost inplace_predict', peer.inplace_rows_per_s, 'rows/s');
      record(suite, 'batch rows/s', 'xgboost DMatrix predict', peer.dmatrix_rows_per_s, 'rows/s');
      record(suite, 'single-row p50', 'xgboost inplace_predict', peer.single_p50_us, 'us');
      record(suite, 'single-row p99', 'xgboost inplace_predict', peer.single_p99_us, 'us');
    }
  }
}
