#!/usr/bin/env node
/**
 * The fuzz campaign (issue 7): `npm run fuzz -- --seconds N [--target T[,T2]] [--seed S]
 * [--cases N] [--timeout-ms MS] [--save DIR]`.
 *
 * Bundles test/fuzz/campaign.ts with tsup (scripts/build-ts.mjs), runs the
 * campaign in a worker thread on the debug wasm build and watches it: the
 * worker stamps each case's start in shared memory, and a case running longer
 * than --timeout-ms (default 5000) is a hang: the worker is stopped, the
 * case's input is rebuilt from (seed, target, case) and saved, and the
 * campaign resumes after it. Failing inputs (untyped errors, WASM_ABORT,
 * WASM_TRAP, broken results, hangs) are saved to test/fixtures/fuzz/ (or
 * --save) where `npm test` replays them as regression cases. Prints cases,
 * cases/s and the outcome codes per target; exits 1 when anything failed.
 * Outside CI: `npm test` runs a short fixed-seed campaign (test/fuzz/fuzz.test.ts).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildTs } from './build-ts.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, 'build', 'fuzz');


if (!isMainThread) {
  // the worker: run the campaign, stamping each case in shared memory
  const { seed, targets, seconds, cases, timeoutMs, saveDir, startCase, stamp } = workerData;
  const clock = new Float64Array(stamp, 0, 1);
  const where = new Int32Array(stamp, 8, 2);
  const m = await import(pathToFileURL(join(OUT_DIR, 'campaign.js')).href);
  const names = m.campaignTargets(targets);
  const r = await m.runCampaign({
    seed,
    targets,
    seconds,
    casesPerTarget: cases,
    caseTimeoutMs: timeoutMs,
    saveDir,
    startCase,
    onCase(target, caseNo) {
      where[0] = names.indexOf(target);
      where[1] = caseNo;
      clock[0] = performance.timeOrigin + performance.now();
    },
    onProgress(stats, failures) {
      parentPort.postMessage({ stats, failures: failures.map(strip) });
    },
  });
  parentPort.postMessage({ stats: r.stats, failures: r.failures.map(strip), done: true });
  function strip(f) {
    return { target: f.target, caseNo: f.caseNo, message: f.message, file: f.file };
  }
} else {
  const { values: v } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      target: { type: 'string' },
      seed: { type: 'string' },
      cases: { type: 'string' },
      'timeout-ms': { type: 'string', default: '5000' },
      save: { type: 'string', default: join(ROOT, 'test', 'fixtures', 'fuzz') },
    },
  });
  const seconds = Number(v.seconds);
  const seed = v.seed !== undefined ? Number(v.seed) : Math.floor(Math.random() * 2 ** 31);
  const timeoutMs = Number(v['timeout-ms']);
  const cases = v.cases !== undefined ? Number(v.cases) : undefined;
  if (!(seconds > 0) || !Number.isInteger(seed) || !(timeoutMs > 0) || (cases !== undefined && !(cases > 0))) {
    console.error('usage: npm run fuzz -- --seconds N [--target T[,T2]] [--seed S] [--cases N] [--timeout-ms MS] [--save DIR]');
    process.exit(2);
  }
  const m = await import(pathToFileURL(await buildTs(join(ROOT, 'test', 'fuzz', 'campaign.ts'), OUT_DIR)).href);
  const targets = v.target ? v.target.split(',') : undefined;
  const names = m.campaignTargets(targets);
  console.log(`fuzz: seed ${seed}, ${targets ? targets.join(', ') : 'all targets'}, ${cases ? `${cases} cases per target or ` : ''}${seconds} s, case bound ${timeoutMs} ms, debug wasm; failing inputs -> ${v.save}`);

  const t0 = performance.now();
  const total = {}; // target -> stats, summed over worker runs
  const failures = [];
  let startCase = 0;
  let lastPrint = performance.now();
  for (;;) {
    const left = seconds - (performance.now() - t0) / 1000;
    if (left <= 0) break;
    const stamp = new SharedArrayBuffer(16);
    const clock = new Float64Array(stamp, 0, 1);
    const where = new Int32Array(stamp, 8, 2);
    const worker = new Worker(fileURLToPath(import.meta.url), {
      workerData: { seed, targets, seconds: left, cases, timeoutMs, saveDir: v.save, startCase, stamp },
    });
    let last = { stats: {}, failures: [] };
    let done = false;
    let hung;
    const finished = new Promise((resolve) => {
      worker.on('message', (msg) => {
        last = msg;
        if (msg.done) done = true;
        else if (performance.now() - lastPrint > 30_000) {
          lastPrint = performance.now();
          const sofar = Object.values(msg.stats).reduce((k, st) => k + st.cases, 0) + Object.values(total).reduce((k, st) => k + st.cases, 0);
          console.log(`  ... ${sofar} cases, ${((performance.now() - t0) / 1000).toFixed(0)} s, ${failures.length + msg.failures.length} failures`);
        }
      });
      worker.on('error', (e) => {
        failures.push({ target: names[where[0]] ?? '?', caseNo: where[1], message: `worker crashed: ${e?.stack ?? e}` });
        resolve();
      });
      worker.on('exit', () => resolve());
    });
    const watch = setInterval(() => {
      const started = clock[0];
      if (started > 0 && performance.timeOrigin + performance.now() - started > timeoutMs && !done) {
        hung = { target: names[where[0]], caseNo: where[1] };
        clearInterval(watch);
        void worker.terminate();
      }
    }, 100);
    await finished;
    clearInterval(watch);
    add(total, last.stats);
    failures.push(...last.failures);
    if (hung) {
      const input = await m.caseInput(seed, hung.target, hung.caseNo);
      const f = { target: hung.target, seed, caseNo: hung.caseNo, message: `hang: case still running after ${timeoutMs} ms`, input };
      f.file = m.saveFailure(v.save, f);
      failures.push(f);
      total[hung.target] ??= { cases: 0, ms: 0, codes: {}, slowestMs: 0 };
      total[hung.target].cases++;
      total[hung.target].codes.HANG = (total[hung.target].codes.HANG ?? 0) + 1;
      startCase = hung.caseNo + 1;
      continue;
    }
    break;
  }
  const secs = (performance.now() - t0) / 1000;
  let n = 0;
  const allCodes = new Set();
  for (const [name, st] of Object.entries(total)) {
    n += st.cases;
    const codes = Object.entries(st.codes).sort((a, b) => b[1] - a[1]);
    for (const [c] of codes) allCodes.add(c);
    console.log(`${name.padEnd(13)} ${String(st.cases).padStart(8)} cases  ${(st.cases / (st.ms / 1000)).toFixed(0).padStart(6)} cases/s  slowest ${st.slowestMs.toFixed(0)} ms  ${codes.map(([c, k]) => `${c} ${k}`).join(', ')}`);
  }
  const typedCodes = [...allCodes].filter((c) => /^[A-Z_]+$/.test(c) && !['LOADED', 'COMPILED', 'IMPORTED', 'ROWS_REJECTED', 'HANG'].includes(c));
  console.log(`total: ${n} cases in ${secs.toFixed(1)} s (${(n / secs).toFixed(0)} cases/s), ${typedCodes.length} distinct error codes: ${typedCodes.sort().join(', ')}`);
  if (failures.length > 0) {
    console.log(`${failures.length} FAILURES:`);
    for (const f of failures.slice(0, 50)) console.log(`  ${f.target} case ${f.caseNo}: ${f.message.split('\n')[0]}${f.file ? ` (saved: ${f.file})` : ''}`);
    process.exit(1);
  }
  console.log('no failures');
}

function add(total, stats) {
  for (const [name, st] of Object.entries(stats ?? {})) {
    const t = (total[name] ??= { cases: 0, ms: 0, codes: {}, slowestMs: 0 });
    t.cases += st.cases;
    t.ms += st.ms;
    t.slowestMs = Math.max(t.slowestMs, st.slowestMs);
    for (const [c, k] of Object.entries(st.codes)) t.codes[c] = (t.codes[c] ?? 0) + k;
  }
}
