/**
 * Bundles one TypeScript module of this repo with tsup (ESM, node20, no
 * types) into outDir/<name>.js, for scripts that use internals the package
 * does not export: the benchmarks (bench/lib.mjs importTs) and the fuzz
 * campaign (scripts/fuzz.mjs). The runtime packages stay external. `entry`
 * is an absolute path; returns the absolute path of the output file.
 */
import { basename, join } from 'node:path';

export async function buildTs(entry, outDir) {
  const { build } = await import('tsup');
  const name = basename(entry).replace(/\.ts$/, '');
  await build({
    entry: { [name]: entry },
    format: ['esm'],
    outDir,
    platform: 'node',
    target: 'node20',
    shims: true,
    silent: true,
    dts: false,
    clean: false,
    config: false,
    external: ['@assemblyscript/loader', 'msgpackr', 'piscina', 'yaml', 'json-rules-engine', 'fast-check'],
  });
  return join(outDir, `${name}.js`);
}
