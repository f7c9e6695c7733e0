/**
 * The bundles shipped in models/ are what their specs compile to: each
 * committed .nbb loads, and its payload equals a fresh compile of its spec
 * apart from meta.created. After changing a spec or the compiler, run
 * `npm run models` (scripts/build-models.mjs) and commit the bundles.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSpecFile, Engine } from '../../src/index.js';
import { decodeBundle, packValue } from '../../src/bundle/codec.js';

const models = join(__dirname, '..', '..', 'models');

function shipped(): { spec: string; out: string }[] {
  const out: { spec: string; out: string }[] = [];
  for (const entry of readdirSync(models).sort()) {
    const full = join(models, entry);
    if (entry.endsWith('.yaml') && statSync(full).isFile()) out.push({ spec: full, out: full.replace(/\.yaml$/, '.nbb') });
    else if (statSync(full).isDirectory() && existsSync(join(full, 'bundle.yaml'))) out.push({ spec: join(full, 'bundle.yaml'), out: `${full}.nbb` });
  }
  return out;
}

describe('shipped bundles', () => {
  it('include the demo journeys', () => {
    expect(shipped().map((s) => s.out)).toContain(join(models, 'journeys.nbb'));
  });
  for (const { spec, out } of shipped()) {
    it(`${out.slice(models.length + 1)} loads and equals a fresh compile of its spec`, async () => {
      expect(existsSync(out), `${out} is missing: run npm run models`).toBe(true);
      const bytes = new Uint8Array(readFileSync(out));
      await Engine.load(bytes);
      const { minor, ...committed } = decodeBundle(bytes).payload; // encodeBundle adds the minor version
      expect(minor).toBeDefined();
      const fresh = compileSpecFile(spec, { created: committed.meta.created });
      expect(Buffer.from(packValue(committed)).equals(Buffer.from(packValue(fresh))), `${out} is stale: run npm run models`).toBe(true);
    });
  }
});
