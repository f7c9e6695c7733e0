/**
 * Shared helpers of the benchmark suites (bench/suites/*.bench.mjs):
 *  - latency(): per-call median and p99 of a function, with warm-up, each call
 *    timed on its own (the timer's own cost is measured and subtracted);
 *  - throughput(): a benny suite whose results are saved under bench/results/
 *    (JSON and an HTML chart);
 *  - a result table that suites fill and run.mjs prints, with every number's
 *    ratio to the peer measured in the same run.
 * Absolute numbers depend on the machine and its load; ratios against a peer
 * measured in the same run are what to trust.
 */
import benny from 'benny';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = join(BENCH_DIR, 'results');
mkdirSync(RESULTS_DIR, { recursive: true });

const now = process.hrtime.bigint;

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i];
}

/** Median cost of reading the clock twice, in ns (subtracted from each sample). */
let timerCost = null;
function clockCost() {
  if (timerCost !== null) return timerCost;
  const s = [];
  for (let i = 0; i < 20000; i++) {
    const a = now();
    const b = now();
    s.push(Number(b - a));
  }
  s.sort((x, y) => x - y);
  timerCost = quantile(s, 0.5);
  return timerCost;
}

/**
 * Per-call latency of fn(i): warm-up calls first, then `samples` calls each timed
 * alone. Returns nanoseconds: { p50, p99, mean }.
 */
export function latency(fn, { warmup = 20000, samples = 50000 } = {}) {
  for (let i = 0; i < warmup; i++) fn(i);
  const cost = clockCost();
  const s = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const a = now();
    fn(i);
    const b = now();
    s[i] = Math.max(0, Number(b - a) - cost);
  }
  s.sort();
  let sum = 0;
  for (const v of s) sum += v;
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), mean: sum / samples };
}

/**
 * Throughput of several cases with benny; each case is { name, fn, units } where
 * fn() processes `units` items (rows) per call. Saves bench/results/<file>.json and
 * .chart.html; returns { [name]: units per second }.
 */
export async function throughput(file, cases, { maxTime = 1.5, minSamples = 5 } = {}) {
  const summary = await benny.suite(
    file,
    ...cases.map((c) => benny.add(c.name, c.fn, { maxTime, minSamples })),
    benny.cycle(),
    benny.complete(),
    benny.save({ file, folder: RESULTS_DIR, format: 'json', details: false }),
    benny.save({ file, folder: RESULTS_DIR, format: 'chart.html' }),
  );
  const out = {};
  for (const r of summary.results) {
    const c = cases.find((x) => x.name === r.name);
    out[r.name] = r.ops * (c?.units ?? 1);
  }
  return out;
}

/** Rows of a result table: { suite, metric, subject, value, unit, peer } (peer: subject(s) to compare with). */
export const results = [];

export function record(suite, metric, subject, value, unit, peer) {
  results.push({ suite, metric, subject, value, unit, peer });
}

function fmt(v, unit) {
  if (!Number.isFinite(v)) return String(v);
  if (unit === 'rows/s') return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${(v / 1e3).toFixed(1)}k`;
  if (unit === 'us') return v.toFixed(2);
  return v.toPrecision(4);
}

/**
 * The summary: every number and its ratio to its peer in the same run
 * (throughput: value / peer; latency: peer / value, so > 1 is faster either way).
 */
export function summaryTable() {
  const lines = ['| suite | metric | subject | value | unit | vs peer |', '|---|---|---|---|---|---|'];
  for (const r of results) {
    const ratios = [];
    for (const peer of [r.peer ?? []].flat()) {
      const p = results.find((x) => x.suite === r.suite && x.metric === r.metric && x.subject === peer);
      if (p && p !== r && p.value > 0 && r.value > 0) {
        const x = r.unit === 'rows/s' ? r.value / p.value : p.value / r.value;
        ratios.push(`${x.toFixed(2)}x ${peer}`);
      }
    }
    const ratio = ratios.join(', ');
    lines.push(`| ${r.suite} | ${r.metric} | ${r.subject} | ${fmt(r.value, r.unit)} | ${r.unit} | ${ratio} |`);
  }
  return lines.join('\n');
}

/** A seeded PRNG (mulberry32), so every run benchmarks the same rows. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
