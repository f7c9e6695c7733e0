/**
 * `nextbest decide` end to end on the shipped telco bundle: 200,000 request
 * lines (customers from scripts/demo-population.mjs, about 600 bytes each)
 * from a file to a file, with 1 and 2 worker threads, in this process (the
 * CLI's main thread is the benchmark's). The issue's bar: >= 1 million
 * decisions per minute on 2 cores.
 *
 * Where the time goes: the CLI's --timings line (main thread: splitting and
 * batching lines, waiting for workers, writing; the workers' busy time), and
 * the cost per line of each step a worker takes, measured alone in this
 * thread on the same lines: JSON.parse, engine.decide from the parsed
 * request (feature encoding, the kernel, the result objects), JSON.stringify
 * of the actions.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, runCli } from '../../dist/index.js';
import { note, record, ROOT_DIR, size } from '../lib.mjs';
import { rng, telcoCustomer } from '../../scripts/demo-population.mjs';

const SUITE = 'decide CLI';
const BUNDLE = join(ROOT_DIR, 'models', 'telco.nbb');
const CHANNELS = ['app', 'web', 'email', 'sms', 'call_center', 'store'];
const NOW = Date.UTC(2026, 2, 2, 12);

function writeInput(path, n) {
  const r = rng(42);
  const fd = openSync(path, 'w');
  let s = '';
  const sample = [];
  for (let i = 0; i < n; i++) {
    const line = JSON.stringify({ customerId: `c${i}`, features: telcoCustomer(r), context: { channel: r.pick(CHANNELS), now: NOW } });
    if (i < 2000) sample.push(line);
    s += line + '\n';
    if (s.length > 1 << 20) {
      writeSync(fd, s);
      s = '';
    }
  }
  writeSync(fd, s);
  closeSync(fd);
  return sample;
}

/** us per line of each worker step, measured alone in this thread (median of 5 passes). */
function stepCosts(engine, lines) {
  const pass = (f) => {
    const t = performance.now();
    for (let i = 0; i < lines.length; i++) f(i);
    return ((performance.now() - t) * 1000) / lines.length;
  };
  const parsed = lines.map((l) => JSON.parse(l));
  const decided = parsed.map((q) => engine.decide({ features: q.features, context: q.context }));
  const steps = {
    parse: (i) => JSON.parse(lines[i]),
    decide: (i) => engine.decide({ features: parsed[i].features, context: parsed[i].context }),
    format: (i) => JSON.stringify(decided[i].actions),
  };
  const out = {};
  for (const [name, f] of Object.entries(steps)) {
    const runs = [];
    for (let k = 0; k < 5; k++) runs.push(pass(f));
    out[name] = runs.sort((a, b) => a - b)[2];
  }
  return out;
}

export async function run() {
  const n = size(200_000, 20_000);
  const dir = join(tmpdir(), `nb-bench-decide-cli-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const input = join(dir, 'customers.ndjson');
    const sample = writeInput(input, n);
    const rounds = size(3, 1);
    const runs = { 1: [], 2: [] };
    for (let round = 0; round < rounds; round++) {
      for (const threads of [1, 2]) {
        const err = [];
        const t = performance.now();
        const code = await runCli(['decide', '-b', BUNDLE, '-i', input, '-o', join(dir, 'decisions.ndjson'), '-t', String(threads), '--seed', '1', '--timings'], {
          out: () => {},
          err: (l) => err.push(l),
        });
        if (code !== 0) throw new Error(`${SUITE}: nextbest decide exited ${code}: ${err.join('\n')}`);
        runs[threads].push({ ms: performance.now() - t, timings: err.find((l) => l.startsWith('time:')) ?? '' });
      }
    }
    const outputs = readFileSync(join(dir, 'decisions.ndjson'), 'utf8');
    let lines = 0;
    for (let i = outputs.indexOf('\n'); i >= 0; i = outputs.indexOf('\n', i + 1)) lines++;
    if (lines !== n) throw new Error(`${SUITE}: ${lines} output rows for ${n} input lines`);
    const result = { lines: n, inputMB: statSync(input).size / (1 << 20) };
    const metric = `decisions/min, ${Math.round(n / 1000)}k lines NDJSON in and out (median of ${rounds})`;
    for (const threads of [1, 2]) {
      const mid = [...runs[threads]].sort((a, b) => a.ms - b.ms)[Math.floor(runs[threads].length / 2)];
      result[`threads${threads}`] = { perMin: (n / mid.ms) * 60_000, wallMs: mid.ms, timings: mid.timings };
      record(SUITE, metric, `${threads} thread${threads > 1 ? 's' : ''}`, result[`threads${threads}`].perMin, 'decisions/min', threads === 2 ? '1 thread' : undefined);
      note(SUITE, `${threads} thread(s), ${result.inputMB.toFixed(0)} MB in: ${mid.timings}`);
    }
    const engine = await Engine.load(new Uint8Array(readFileSync(BUNDLE)));
    const steps = stepCosts(engine, sample);
    for (const [step, us] of Object.entries(steps)) record(SUITE, 'us per line, one thread, by step', step, us, 'us');
    note(SUITE, `per line in a worker: JSON.parse ${steps.parse.toFixed(2)} us, engine.decide ${steps.decide.toFixed(2)} us, JSON.stringify of the actions ${steps.format.toFixed(2)} us`);
    result.steps = steps;
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
