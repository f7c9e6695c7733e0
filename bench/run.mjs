/**
 * Entry of `npm run bench` (which builds dist/ first):
 *
 *   npm run bench                      every suite in bench/suites/
 *   npm run bench -- trees rules       the suites whose file name contains any of the words
 *   npm run bench -- --quick           a fast smoke run (smaller inputs, shorter timings)
 *
 * Runs each bench/suites/*.bench.mjs in turn, then prints one summary table:
 * every number with its ratio to the peers measured in the same run. Writes
 * under bench/results/: benny's <name>.benny.json and <name>.benny.chart.html
 * per throughput measurement, <suite>.json per suite (its rows, notes and details), and
 * summary.json + summary.md for the whole run, with the machine (CPU model,
 * cores, Node), the load average at start and end (and its range, sampled
 * during the run) and the command.
 *
 * A suite is a module exporting `async run()`: it measures with the helpers of
 * bench/lib.mjs, calls record(suite, metric, subject, value, unit, peers) for
 * every number and note(suite, text) for remarks (a peer it skipped and why),
 * may return an object of details for its JSON, and throws when its peers
 * disagree on the results (a benchmark of wrong answers is worthless). A suite
 * that throws is reported and the others still run; the exit code is then 1.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_DIR, RESULTS_DIR, loadSampler, machineInfo, notes, options, ratios, results, summaryTable } from './lib.mjs';

const { values, positionals } = parseArgs({ options: { quick: { type: 'boolean', default: false } }, allowPositionals: true });
options.quick = values.quick;
const suites = readdirSync(join(BENCH_DIR, 'suites'))
  .filter((f) => f.endsWith('.bench.mjs') && (positionals.length === 0 || positionals.some((p) => f.includes(p))))
  .sort();
if (suites.length === 0) {
  console.error(`no benchmark suite matches ${positionals.map((p) => `"${p}"`).join(' or ')} in bench/suites/`);
  process.exit(1);
}

function gitCommit() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: BENCH_DIR, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: BENCH_DIR, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

const machine = machineInfo();
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const startedAt = new Date();
const stopLoad = loadSampler();
const machineLine = `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, node ${machine.node}`;
console.log(`machine: ${machineLine}\ncommand: ${command}${options.quick ? ' (quick smoke run: small inputs, short timings)' : ''}`);
console.log(`started ${startedAt.toISOString()}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

const ran = [];
for (const file of suites) {
  const name = file.replace(/\.bench\.mjs$/, '');
  console.log(`\n== ${name}`);
  const t0 = performance.now();
  const firstRow = results.length;
  const firstNote = notes.length;
  const entry = { suite: name, file: `bench/suites/${file}`, status: 'ok' };
  try {
    const mod = await import(pathToFileURL(join(BENCH_DIR, 'suites', file)).href);
    const details = await mod.run();
    if (details !== undefined) entry.details = details;
  } catch (e) {
    entry.status = 'failed';
    entry.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    console.error(`${name} FAILED: ${entry.error}`);
  }
  entry.seconds = Math.round((performance.now() - t0) / 100) / 10;
  entry.results = results.slice(firstRow).map((r) => ({ ...r, ratios: ratios(r) }));
  entry.notes = notes.slice(firstNote).map((n) => n.text);
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify({ machine, command, quick: options.quick, ...entry }, null, 2)}\n`);
  console.log(`${name}: ${entry.status} in ${entry.seconds} s`);
  ran.push(entry);
}

const load = stopLoad();
const finishedAt = new Date();
const header = [
  `machine: ${machineLine}`,
  `command: ${command}${options.quick ? ' (quick)' : ''}; commit ${gitCommit()}; ${startedAt.toISOString()}, ${Math.round((finishedAt - startedAt) / 1000)} s`,
  `load average (1 min): ${load.start} at start, ${load.end} at end, ${load.min}-${load.max} during the run (this run counts ~1)`,
  `suites: ${ran.map((s) => `${s.suite} ${s.status} ${s.seconds} s`).join(', ')}`,
];
if (load.max > machine.cores) {
  header.push(
    `WARNING: the load average reached ${load.max} on ${machine.cores} cores: other processes shared the CPU, so absolute numbers are low and noisy, ` +
      'ratios between peers measured seconds apart move too, and multi-thread scaling cannot show',
  );
}
const noteLines = notes.map((n) => `- ${n.suite}: ${n.text}`);
const table = summaryTable();
const text = `${header.join('\n')}\n\n${table}\n${noteLines.length ? `\nnotes:\n${noteLines.join('\n')}\n` : ''}`;
console.log(`\n${text}`);
writeFileSync(join(RESULTS_DIR, 'summary.md'), text);
writeFileSync(
  join(RESULTS_DIR, 'summary.json'),
  `${JSON.stringify(
    {
      command,
      quick: options.quick,
      commit: gitCommit(),
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      machine,
      loadAverage: load,
      suites: ran.map(({ results: _r, notes: _n, ...s }) => s),
      results: results.map((r) => ({ ...r, ratios: ratios(r) })),
      notes,
    },
    null,
    2,
  )}\n`,
);
console.log('results: bench/results/ (summary.json, summary.md, <suite>.json, <name>.benny.json and .benny.chart.html)');
if (ran.some((s) => s.status !== 'ok')) process.exit(1);
