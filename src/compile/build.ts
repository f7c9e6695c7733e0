/**
 * `nextbest build`: spec -> bundle bytes. The result is loaded back through
 * the same validation an engine runs, so a bundle that builds also loads.
 */
import { writeFileSync } from 'node:fs';
import { encodeBundle } from '../bundle/codec.js';
import { Engine } from '../engine.js';
import { compileSpecFile, type CompileOptions } from './spec.js';

export async function buildBundle(specPath: string, opts?: CompileOptions): Promise<Uint8Array> {
  const bytes = encodeBundle(compileSpecFile(specPath, opts));
  await Engine.load(bytes, opts?.limits ? { limits: opts.limits } : {}); // validates every section exactly as a host would, within the same limits
  return bytes;
}

export async function buildBundleFile(specPath: string, outPath: string, opts?: CompileOptions): Promise<Uint8Array> {
  const bytes = await buildBundle(specPath, opts);
  writeFileSync(outPath, bytes);
  return bytes;
}
