/**
 * What is inside a bundle, for `nextbest inspect` and host logs: identity,
 * sources, schema, each model's summary, section sizes. Works from the
 * validated tables, so inspecting also validates.
 */
import { decodeBundle, hex, packValue } from './codec.js';
import type { BundleMeta } from './format.js';
import { FeatureSchema } from '../runtime/features.js';
import { validateModels, type ModelTable } from '../models/registry.js';
import { summarizeAdaptive } from '../models/adaptive.js';

export interface BundleReport {
  name: string;
  version: string;
  created: string;
  generator: string;
  sha256: string;
  signed: boolean;
  keyId?: string;
  bytes: number;
  sources: Record<string, string>;
  features: { name: string; type: string; categories?: number }[];
  context: { name: string; type: string; categories?: number }[];
  models: { id: string; kind: string; outputs: number; transform: string; summary: string }[];
  /** Encoded size of each payload section, in bytes. */
  sections: Record<string, number>;
}

export function summarizeModel(t: ModelTable): string {
  switch (t.kind) {
    case 'linear':
      return `${t.features.length} terms (${t.termKinds.reduce((a, k) => a + k, 0)} categorical)`;
    case 'adaptive':
      return summarizeAdaptive(t);
    case 'scorecard':
      return `${t.features.length} characteristics, ${t.points.length} bins, ${t.reasonCodes.length} reason codes${t.scaling ? `, pdo ${t.scaling.pdo} (${t.scaling.baseScore} at odds ${t.scaling.baseOdds})` : ''}`;
    default:
      return '';
  }
}

function schemaRows(s: FeatureSchema) {
  return s.defs.map((d) => ({ name: d.name, type: d.type, ...(d.categories ? { categories: d.categories.length } : {}) }));
}

export function inspectBundle(bytes: Uint8Array): BundleReport {
  const { envelope, payload } = decodeBundle(bytes);
  const meta = payload.meta as Partial<BundleMeta>;
  const schema = FeatureSchema.fromBundle(payload.features);
  const context = payload.context === undefined ? new FeatureSchema([]) : FeatureSchema.fromBundle(payload.context);
  const models = validateModels(payload.models, schema.size);
  const sections: Record<string, number> = {};
  for (const [k, v] of Object.entries(payload)) sections[k] = packValue(v).byteLength;
  return {
    name: String(meta.name ?? ''),
    version: String(meta.version ?? ''),
    created: String(meta.created ?? ''),
    generator: String(meta.generator ?? ''),
    sha256: hex(envelope.sha256),
    signed: envelope.signature !== undefined,
    ...(envelope.keyId ? { keyId: envelope.keyId } : {}),
    bytes: bytes.byteLength,
    sources: (meta.sources ?? {}) as Record<string, string>,
    features: schemaRows(schema),
    context: schemaRows(context),
    models: models.map((t) => ({ id: t.id, kind: t.kind, outputs: t.nOutputs, transform: t.transform, summary: summarizeModel(t) })),
    sections,
  };
}

/** The report as readable text. */
export function formatReport(r: BundleReport): string {
  const lines: string[] = [];
  lines.push(`bundle    ${r.name} ${r.version}`);
  lines.push(`sha256    ${r.sha256}${r.signed ? `  (signed${r.keyId ? ` by ${r.keyId}` : ''})` : '  (unsigned)'}`);
  lines.push(`created   ${r.created} by ${r.generator}`);
  lines.push(`size      ${r.bytes} bytes`);
  const src = Object.entries(r.sources);
  if (src.length) {
    lines.push('sources');
    for (const [p, h] of src) lines.push(`  ${p}  ${h.slice(0, 16)}`);
  }
  const cats = (f: { categories?: number }) => (f.categories !== undefined ? `(${f.categories})` : '');
  lines.push(`features  ${r.features.length}: ${r.features.map((f) => `${f.name}${f.type === 'categorical' ? `:cat${cats(f)}` : ''}`).join(', ')}`);
  if (r.context.length) lines.push(`context   ${r.context.map((f) => `${f.name}${f.type === 'categorical' ? `:cat${cats(f)}` : ''}`).join(', ')}`);
  lines.push(`models    ${r.models.length}`);
  for (const m of r.models) lines.push(`  ${m.id.padEnd(20)} ${m.kind.padEnd(10)} ${m.transform.padEnd(8)} outputs=${m.outputs}  ${m.summary}`);
  lines.push('sections  ' + Object.entries(r.sections).map(([k, v]) => `${k}=${v}B`).join(' '));
  return lines.join('\n');
}
