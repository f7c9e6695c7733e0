import { defineConfig } from 'tsup';

// ESM and CJS builds with declarations. The .wasm binaries are copied next to
// the bundled code, where src/runtime/wasm.ts looks for them first. The pool
// worker is its own entry (dist/worker.{js,cjs}), found by src/pool/pool.ts the same way.
export default defineConfig({
  // reference: the plain-TS kernel twins, for the benchmarks (not in the exports map).
  entry: { index: 'src/index.ts', cli: 'src/cli/bin.ts', worker: 'src/pool/worker.ts', reference: 'src/reference/index.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', cli: 'src/cli/bin.ts' } },
  clean: true,
  shims: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
  onSuccess: 'cp build/nextbest.wasm build/nextbest.debug.wasm dist/',
});
