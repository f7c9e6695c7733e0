/**
 * Entry of `npm run bench` (which builds dist/ first): runs every
 * bench/suites/*.bench.mjs, or those whose name contains the filter argument
 * (`npm run bench -- trees`), then prints the summary table with ratios to the
 * peers measured in the same run. Results: bench/results/.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, RESULTS_DIR, summaryTable } from './lib.mjs';

const filter = process.argv[2] ?? '';
const suites = readdirSync(join(BENCH_DIR, 'suites'))
  .filter((f) => f.endsWith('.bench.mjs') && f.includes(filter))
  .sort();
if (suites.length === 0) {
  console.error(`no benchmark suite matches "${filter}" in bench/suites/`);
  process.exit(1);
}
const machine = `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, node ${process.version}`;
console.log(`machine: ${machine}`);
for (const f of suites) {
  console.log(`\n== ${f}`);
  const mod = await import(pathToFileURL(join(BENCH_DIR, 'suites', f)).href);
  await mod.run();
}
const table = summaryTable();
console.log(`\n${table}`);
writeFileSync(join(RESULTS_DIR, 'summary.md'), `machine: ${machine}\n\n${table}\n`);
