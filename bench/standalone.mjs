// Runs a TypeScript benchmark that uses internals the package does not
// export: bench/<name>.ts is bundled on the fly (tsup) into build/bench/,
// next to build/nextbest.wasm, and its run() is called. Needs the wasm build:
//   npm run build:wasm && node bench/standalone.mjs decide
import { build } from 'tsup';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const name = process.argv[2];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'bench', `${name}.ts`);
if (!name || !existsSync(entry)) {
  console.error(`usage: node bench/standalone.mjs NAME   (runs bench/NAME.ts)`);
  process.exit(2);
}
const outDir = join(root, 'build', 'bench');
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
  external: ['json-rules-engine', '@assemblyscript/loader'],
});
const mod = await import(pathToFileURL(join(outDir, `${name}.js`)).href);
await mod.run();
