/**
 * Tree ensembles: the 300x6 and 500x8 XGBoost models of the parity fixtures
 * (test/fixtures/xgb/bench_*.ubj.gz). Batch rows/s and single-row latency of the
 * wasm kernel, against peers measured in the same run:
 *  - the plain-JS reference walker (src/reference/trees.ts);
 *  - onnxruntime-node (optional devDependency, bench/peers/onnxruntime.mjs) on the
 *    same models as ONNX TreeEnsembleRegressor graphs (bench/fixtures/*.onnx.gz,
 *    made by scripts/xgb-to-onnx.py), single-threaded;
 *  - XGBoost's own CPU predictor (nthread=1, inplace_predict and DMatrix predict),
 *    when Debian's /usr/bin/python3 has xgboost (bench/peers/xgboost_trees.py).
 * Every peer's margins are checked against ours before anything is timed.
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
import { loadOnnxRuntime, onnxSession } from '../peers/onnxruntime.mjs';
import { BENCH_DIR, RESULTS_DIR, latency, latencyAsync, mulberry32, note, readF32, record, size, throughput } from '../lib.mjs';

const FIXTURES = join(BENCH_DIR, '..', 'test', 'fixtures', 'xgb');
const ONNX_FIXTURES = join(BENCH_DIR, 'fixtures');
const PYTHON = '/usr/bin/python3';
const MODELS = [
  { name: '300x6', file: 'bench_300x6.ubj.gz', onnx: 'bench_300x6.onnx.gz', sampleRows: 200 },
  { name: '500x8', file: 'bench_500x8.ubj.gz', onnx: 'bench_500x8.onnx.gz', sampleRows: 120 },
];
const N = 20000;
const BATCH = 2000;
const REF_N = 200;
/** ONNX Runtime sums the trees in float32 too, maybe in another order: margins must agree within this. */
const ORT_TOLERANCE = 1e-4;

const XGB = 'xgboost inplace_predict';
const ORT = 'onnxruntime-node';
const WALKER = 'plain-JS walker';

function syntheticRows(model, nf) {
  const all = readF32(join(FIXTURES, model.file.replace('.ubj.gz', '.rows.f32')));
  const rand = mulberry32(12345);
  const rows = new Float32Array(N * nf);
  for (let r = 0; r < N; r++) {
    for (let f = 0; f < nf; f++) rows[r * nf + f] = all[Math.floor(rand() * model.sampleRows) * nf + f];
  }
  return rows;
}

/** Row r of `rows` into `into` (no allocation: the single-row loops time the scorer, not a subarray). */
function copyRow(rows, r, nf, into) {
  for (let f = 0; f < nf; f++) into[f] = rows[r * nf + f];
}

function xgboostPeer(modelPath, rowsPath, nf) {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found` };
  const probe = spawnSync(PYTHON, ['-c', 'import xgboost'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: `${PYTHON} has no xgboost module (apt-get install python3-xgboost)` };
  const args = [join(BENCH_DIR, 'peers', 'xgboost_trees.py'), modelPath, rowsPath, String(nf), String(size(5, 1)), String(size(20000, 500))];
  const res = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (res.status !== 0) return { skipped: `the XGBoost peer failed: ${res.stderr.slice(-500)}` };
  return JSON.parse(res.stdout.trim().split('\n').pop());
}

/** onnxruntime-node on the same rows: a session, its margins checked against ours, batch and single-row runners. */
async function onnxPeer(ortLoaded, suite, model, rows, nf, wasmMargins) {
  if (ortLoaded.skipped) return ortLoaded;
  const { ort } = ortLoaded;
  const path = join(ONNX_FIXTURES, model.onnx);
  if (!existsSync(path)) return { skipped: `${path} is missing (make it with /usr/bin/python3 scripts/xgb-to-onnx.py)` };
  const session = await onnxSession(ort, path);
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  // One tensor per batch of the 20,000 rows, made once (views, no copies), cycled through.
  const batches = [];
  for (let b = 0; b < N; b += BATCH) batches.push({ [input]: new ort.Tensor('float32', rows.subarray(b * nf, (b + BATCH) * nf), [BATCH, nf]) });
  let maxDiff = 0;
  let exact = 0;
  for (let b = 0; b < batches.length; b++) {
    const got = (await session.run(batches[b]))[output].data;
    for (let i = 0; i < BATCH; i++) {
      const want = wasmMargins[b * BATCH + i];
      const d = Math.abs(got[i] - want);
      if (!(d <= ORT_TOLERANCE * Math.max(1, Math.abs(want)))) {
        throw new Error(`${suite}: onnxruntime-node and nextbest disagree on row ${b * BATCH + i}: ${got[i]} vs ${want}`);
      }
      maxDiff = Math.max(maxDiff, d);
      if (Object.is(got[i], want)) exact++;
    }
  }
  note(suite, `${ORT} ${ortLoaded.version}: margins of all ${N} rows within ${maxDiff === 0 ? '0' : maxDiff.toExponential(2)} of ours, ${exact} of them bitwise equal`);
  let cursor = 0;
  const single = new Float32Array(nf);
  const singleFeeds = { [input]: new ort.Tensor('float32', single, [1, nf]) };
  return {
    version: ortLoaded.version,
    maxDiff,
    exact,
    batch: () => session.run(batches[(cursor = (cursor + 1) % batches.length)]),
    one: (i) => {
      copyRow(rows, i % N, nf, single);
      return session.run(singleFeeds);
    },
  };
}

export async function run() {
  const details = {};
  const ortLoaded = await loadOnnxRuntime();
  for (const model of MODELS) {
    const suite = `trees ${model.name}`;
    const bytes = readFileSync(join(FIXTURES, model.file));
    const m = await Model.fromXGBoost(bytes);
    const nf = m.numFeatures;
    const rows = syntheticRows(model, nf);
    const out = new Float32Array(N);
    const t = m.table;
    const nTrees = t.treeGroup.length;
    console.log(`${suite}: ${nTrees} trees, ${t.left.length} nodes, ${nf} features, ${N} rows`);

    // The scorers must agree before they are timed.
    const refOut = new Float32Array(1);
    const wasmMargins = m.margin(rows, N);
    for (let r = 0; r < 500; r++) {
      referenceTreesMargins(t, rows, r * nf, refOut);
      if (!Object.is(refOut[0], wasmMargins[r])) throw new Error(`${suite}: wasm and reference disagree on row ${r}`);
    }
    const onnx = await onnxPeer(ortLoaded, suite, model, rows, nf, wasmMargins);
    if (onnx.skipped) note(suite, `${ORT} peer skipped: ${onnx.skipped}`);

    const refRows = rows.subarray(0, REF_N * nf);
    // Batches of BATCH rows per call, cycling through the 20,000 rows (benny's ops/s keeps
    // two decimals, so a call must not be too long).
    let cursor = 0;
    const nextBatch = () => {
      const b = rows.subarray(cursor * nf, (cursor + BATCH) * nf);
      cursor = (cursor + BATCH) % N;
      return b;
    };
    const cases = [
      { name: 'nextbest wasm margin', units: BATCH, fn: () => m.margin(nextBatch(), BATCH, out) },
      { name: 'nextbest wasm predict', units: BATCH, fn: () => m.predict(nextBatch(), BATCH, out) },
      {
        name: WALKER,
        units: REF_N,
        fn: () => {
          for (let r = 0; r < REF_N; r++) referenceTreesMargins(t, refRows, r * nf, refOut);
        },
      },
    ];
    if (!onnx.skipped) cases.push({ name: ORT, units: BATCH, fn: onnx.batch });
    const tp = await throughput(`trees-${model.name}`, cases);
    const peers = [XGB, ORT, WALKER];
    record(suite, 'batch rows/s', 'nextbest wasm predict', tp['nextbest wasm predict'], 'rows/s', peers);
    record(suite, 'batch rows/s', 'nextbest wasm margin', tp['nextbest wasm margin'], 'rows/s', peers);
    record(suite, 'batch rows/s', WALKER, tp[WALKER], 'rows/s');
    if (!onnx.skipped) record(suite, 'batch rows/s', ORT, tp[ORT], 'rows/s', [XGB, WALKER]);

    const single = new Float32Array(nf);
    const pick = (i) => copyRow(rows, i % N, nf, single);
    const one = new Float32Array(1);
    const lat = [];
    lat.push([
      'nextbest wasm predictOne(Float32Array)',
      latency((i) => {
        pick(i);
        m.predictOne(single, one);
      }),
    ]);
    const obj = {};
    lat.push([
      'nextbest wasm predictOne(object)',
      latency(
        (i) => {
          const r = (i % N) * nf;
          for (let f = 0; f < nf; f++) obj[m.featureNames[f]] = Number.isNaN(rows[r + f]) ? null : rows[r + f];
          m.predictOne(obj, one);
        },
        { samples: 20000 },
      ),
    ]);
    lat.push([
      WALKER,
      latency(
        (i) => {
          pick(i);
          referenceTreesMargins(t, single, 0, refOut);
        },
        { warmup: 2000, samples: 5000 },
      ),
    ]);
    if (!onnx.skipped) lat.push([ORT, await latencyAsync(onnx.one)]);
    for (const [subject, l] of lat) {
      const p = subject.startsWith('nextbest') ? peers : subject === ORT ? [XGB, WALKER] : undefined;
      record(suite, 'single-row p50', subject, l.p50 / 1000, 'us', p);
      record(suite, 'single-row p99', subject, l.p99 / 1000, 'us', p);
    }

    const rowsPath = join(RESULTS_DIR, `trees-${model.name}.rows.f32`);
    writeFileSync(rowsPath, rows);
    const xgb = xgboostPeer(join(FIXTURES, model.file), rowsPath, nf);
    if (xgb.skipped) {
      note(suite, `XGBoost peer skipped: ${xgb.skipped}`);
    } else {
      for (let i = 0; i < 16; i++) {
        if (Math.fround(xgb.margins16[i]) !== wasmMargins[i]) throw new Error(`${suite}: XGBoost and nextbest disagree on row ${i}`);
      }
      record(suite, 'batch rows/s', XGB, xgb.inplace_rows_per_s, 'rows/s');
      record(suite, 'batch rows/s', 'xgboost DMatrix predict', xgb.dmatrix_rows_per_s, 'rows/s');
      record(suite, 'single-row p50', XGB, xgb.single_p50_us, 'us');
      record(suite, 'single-row p99', XGB, xgb.single_p99_us, 'us');
    }
    details[model.name] = {
      trees: nTrees,
      nodes: t.left.length,
      features: nf,
      rows: N,
      batch: BATCH,
      onnxruntime: onnx.skipped ? { skipped: onnx.skipped } : { version: onnx.version, maxAbsDiff: onnx.maxDiff, bitwiseEqual: onnx.exact },
      xgboost: xgb.skipped ? { skipped: xgb.skipped } : { version: xgb.xgboost },
    };
  }
  return details;
}
