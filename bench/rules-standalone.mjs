// Rule VM benchmark: wasm VM vs the TS reference interpreter vs
// json-rules-engine on 50 rules (bench/rules.ts). Needs the wasm build:
//   npm run bench:rules   (= npm run build:wasm && node bench/rules-standalone.mjs)
// The TypeScript sources are bundled on the fly (tsup) into build/bench/,
// next to build/nextbest.wasm, because the benchmark uses internals that the
// package does not export.
import { build } from 'tsup';
import { pathToFileURL } from 'node:url';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'build', 'bench');
await build({
  entry: { rules: join(root, 'bench', 'rules.ts') },
  format: ['esm'],
  outDir,
  platform: 'node',
  target: 'node20',
  shims: true,
  silent: true,
  dts: false,
  clean: false,
  config: false,
  external: ['json-rules-engine', '@assemblyscript/loader'],
});
const mod = await import(pathToFileURL(join(outDir, 'rules.js')).href);
await mod.run();
