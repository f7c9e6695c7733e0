/**
 * Shared helpers of the benchmark suites (bench/suites/*.bench.mjs), the one
 * place for them:
 *  - options: `quick` (set by run.mjs from --quick) and size(full, quick);
 *  - latency() / latencyAsync(): per-call median and p99 of a function, with
 *    warm-up, each call timed on its own (the timer's own cost is subtracted);
 *  - throughput(): a benny suite whose results are saved under bench/results/
 *    (JSON and an HTML chart);
 *  - record() / note(): the result rows and remarks (a skipped peer, a check's
 *    max difference) that run.mjs prints and saves, with every number's ratio
 *    to the peers measured in the same run;
 *  - mulberry32 (seeded rows), readF32 (fixture files), importTs (bundle
 *    TypeScript internals on the fly), machineInfo and the load sampler.
 * Absolute numbers depend on the machine and its load; ratios against a peer
 * measured in the same run are what to trust.
 */
import benny from 'benny';
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildTs } from '../scripts/build-ts.mjs';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT_DIR = join(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');
mkdirSync(RESULTS_DIR, { recursive: true });

/** Run-wide options, set by run.mjs before any suite is imported. */
export const options = { quick: false };

/** A size for the full run or for a --quick smoke run. */
export function size(full, quick) {
  return options.quick ? quick : full;
}

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

function latencySummary(s) {
  s.sort();
  let sum = 0;
  for (const v of s) sum += v;
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), mean: sum / s.length, samples: s.length };
}

/**
 * Per-call latency of fn(i): warm-up calls first, then `samples` calls each timed
 * alone. Returns nanoseconds: { p50, p99, mean, samples }. In --quick runs the
 * counts are divided by 10.
 */
export function latency(fn, { warmup = 20000, samples = 50000 } = {}) {
  warmup = size(warmup, Math.ceil(warmup / 10));
  samples = size(samples, Math.ceil(samples / 10));
  for (let i = 0; i < warmup; i++) fn(i);
  const cost = clockCost();
  const s = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const a = now();
    fn(i);
    const b = now();
    s[i] = Math.max(0, Number(b - a) - cost);
  }
  return latencySummary(s);
}

/** latency() for a function returning a promise: each sample is one awaited call. */
export async function latencyAsync(fn, { warmup = 2000, samples = 10000 } = {}) {
  warmup = size(warmup, Math.ceil(warmup / 10));
  samples = size(samples, Math.ceil(samples / 10));
  for (let i = 0; i < warmup; i++) await fn(i);
  const cost = clockCost();
  const s = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const a = now();
    await fn(i);
    const b = now();
    s[i] = Math.max(0, Number(b - a) - cost);
  }
  return latencySummary(s);
}

/**
 * Throughput of several cases with benny (benchmark.js underneath), run one
 * after the other in this process; each case is { name, fn, units } where fn()
 * processes `units` items (rows) per call and may return a promise. Saves
 * bench/results/<file>.benny.json and <file>.benny.chart.html; returns { [name]: units per second }.
 */
export async function throughput(file, cases, { maxTime = 1.5, minSamples = 5 } = {}) {
  maxTime = size(maxTime, Math.min(maxTime, 0.25));
  minSamples = size(minSamples, 2);
  const summary = await benny.suite(
    file,
    ...cases.map((c) => benny.add(c.name, c.fn, { maxTime, minSamples })),
    benny.cycle(),
    benny.complete(),
    benny.save({ file: `${file}.benny`, folder: RESULTS_DIR, format: 'json', details: false }),
    benny.save({ file: `${file}.benny`, folder: RESULTS_DIR, format: 'chart.html' }),
  );
  const out = {};
  for (const r of summary.results) {
    const c = cases.find((x) => x.name === r.name);
    out[r.name] = r.ops * (c?.units ?? 1);
  }
  return out;
}

/**
 * Result rows: { suite, metric, subject, value, unit, peer } (peer: the subject
 * or subjects of the same suite and metric to compare with).
 */
export const results = [];
/** Remarks of the run: { suite, text } (a peer skipped and why, a check's max difference). */
export const notes = [];

export function record(suite, metric, subject, value, unit, peer) {
  results.push({ suite, metric, subject, value, unit, peer: peer === undefined ? [] : [peer].flat() });
}

export function note(suite, text) {
  notes.push({ suite, text });
  console.log(`${suite}: ${text}`);
}

/** Throughputs (x/s, x/min) and factors (x) are better higher; times, sizes and costs lower. */
export function higherIsBetter(unit) {
  return /\/(s|min)$/.test(unit) || unit === 'x';
}

/** Ratios of a row to its peers in the same run, > 1 meaning better whichever way the unit goes. */
export function ratios(r) {
  const out = [];
  for (const peer of r.peer) {
    const p = results.find((x) => x.suite === r.suite && x.metric === r.metric && x.subject === peer);
    if (p && p !== r && p.value > 0 && r.value > 0) {
      out.push({ peer, ratio: higherIsBetter(r.unit) ? r.value / p.value : p.value / r.value });
    }
  }
  return out;
}

export function formatValue(v, unit) {
  if (!Number.isFinite(v)) return String(v);
  if (higherIsBetter(unit) && unit !== 'x') {
    if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
    if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
    return v.toFixed(1);
  }
  if (unit === 'x') return v.toFixed(2);
  if (unit === 'bytes') return String(Math.round(v));
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** Rows grouped by suite, then metric (each in order of first appearance), in recorded order within a group. */
function grouped() {
  const key = (r) => `${r.suite}\u0000${r.metric}`;
  const suiteRank = new Map();
  const metricRank = new Map();
  for (const r of results) {
    if (!suiteRank.has(r.suite)) suiteRank.set(r.suite, suiteRank.size);
    if (!metricRank.has(key(r))) metricRank.set(key(r), metricRank.size);
  }
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => suiteRank.get(a.r.suite) - suiteRank.get(b.r.suite) || metricRank.get(key(a.r)) - metricRank.get(key(b.r)) || a.i - b.i)
    .map((x) => x.r);
}

/** The summary: every number and its ratio to its peers in the same run (> 1: better than the peer). */
export function summaryTable() {
  const lines = ['| suite | metric | subject | value | unit | vs peer in the same run (>1: better) |', '|---|---|---|---|---|---|'];
  for (const r of grouped()) {
    const ratio = ratios(r)
      .map((x) => `${x.ratio.toFixed(2)}x ${x.peer}`)
      .join(', ');
    lines.push(`| ${r.suite} | ${r.metric} | ${r.subject} | ${formatValue(r.value, r.unit)} | ${r.unit} | ${ratio} |`);
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

/** A little-endian float32 file as its own Float32Array (small files come in a shared pool buffer). */
export function readF32(path) {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/**
 * Imports a TypeScript module of this repo (internals the package does not
 * export: the expression compiler, reference twins) by bundling it with tsup
 * into build/bench/<name>.js, next to build/nextbest.wasm where the runtime
 * finds the kernels. `entry` is relative to the repo root.
 */
export async function importTs(entry) {
  return import(pathToFileURL(await buildTs(join(ROOT_DIR, entry), join(ROOT_DIR, 'build', 'bench'))).href);
}

/** Linux: the CPU's family, model and per-core cache from /proc/cpuinfo (os.cpus() may only say "AMD EPYC"). */
function cpuDetail() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0];
    const field = (k) => info.match(new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
    const parts = [field('cpu family') && `family ${field('cpu family')} model ${field('model')}`, field('cache size') && `${field('cache size')} cache`];
    return parts.filter(Boolean).join(', ') || undefined;
  } catch {
    return undefined;
  }
}

/** What ran the benchmarks: CPU model, cores, memory, OS, Node and V8. */
export function machineInfo() {
  const c = cpus();
  const detail = cpuDetail();
  return {
    cpu: `${c[0]?.model?.trim() ?? 'unknown CPU'}${detail ? ` (${detail})` : ''}`,
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${process.platform} ${release()} ${process.arch}`,
    node: process.version,
    v8: process.versions.v8,
  };
}

/**
 * Samples the 1-minute load average every `everyMs` until stop(), which returns
 * { start, end, min, max, mean } (end = the value at stop). Our own benchmark
 * thread counts about 1 of it.
 */
export function loadSampler(everyMs = 5000) {
  const start = loadavg()[0];
  const seen = [start];
  const timer = setInterval(() => seen.push(loadavg()[0]), everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    const end = loadavg()[0];
    seen.push(end);
    const round = (x) => Math.round(x * 100) / 100;
    return {
      start: round(start),
      end: round(end),
      min: round(Math.min(...seen)),
      max: round(Math.max(...seen)),
      mean: round(seen.reduce((a, b) => a + b, 0) / seen.length),
    };
  };
}
