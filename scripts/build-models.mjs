/**
 * `npm run models`: rebuilds every shipped bundle from its spec with the
 * compiler in dist/ (npm run models builds it first), so that the committed
 * .nbb files are exactly what the committed specs compile to:
 *   models/<name>.yaml         -> models/<name>.nbb
 *   models/<name>/bundle.yaml  -> models/<name>.nbb
 * test/models/shipped.test.ts checks that each committed bundle loads and
 * equals a fresh compile apart from meta.created.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundleFile } from '../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const models = join(root, 'models');

export function shippedSpecs() {
  const specs = [];
  for (const entry of readdirSync(models).sort()) {
    const full = join(models, entry);
    if (entry.endsWith('.yaml') && statSync(full).isFile()) specs.push({ spec: full, out: full.replace(/\.yaml$/, '.nbb') });
    else if (statSync(full).isDirectory() && existsSync(join(full, 'bundle.yaml'))) specs.push({ spec: join(full, 'bundle.yaml'), out: `${full}.nbb` });
  }
  return specs;
}

for (const { spec, out } of shippedSpecs()) {
  const bytes = await buildBundleFile(spec, out);
  console.log(`${spec.slice(root.length + 1)} -> ${out.slice(root.length + 1)} (${bytes.byteLength} bytes)`);
}
