/**
 * What is inside a bundle, for `nextbest inspect` and host logs: identity,
 * sources, schema, each model's summary, section sizes. Works from the
 * validated tables, so inspecting also validates.
 */
import { decodeBundle, hex, packValue } from './codec.js';
import type { BundleMeta } from './format.js';
import { FeatureSchema } from '../runtime/features.js';
import { validateModels, type ModelTable } from '../models/registry.js';
import { validateLayout } from '../state/layout.js';
import { validateJourneys } from '../compile/journey/bundle.js';
import { journeyValueDefs } from '../compile/journey/bindings.js';
import { layoutReport } from '../compile/journey/layout.js';
import type { AggregateDef, JourneyDef } from '../compile/journey/model.js';
import { validateDecisions } from '../decide/tables.js';
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
  /** Bytes of customer state per customer, by state section. */
  state?: { bytes: number; sections: Record<string, number> };
  /** Event types, patterns and aggregates, with their state bytes per customer. */
  journeys?: {
    events: { name: string; attributes: number }[];
    items: { id: string; kind: 'pattern' | 'aggregate'; bytes: number; slots?: number; summary: string }[];
    sectionBytes: number;
    horizonMs: number;
  };
  /** What the decisions section holds. */
  decisions?: { actions: number; groups: number; channels: string[]; rules: number; programs: number; policies: number; triggers: number };
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
  const layout = payload.state === undefined ? undefined : validateLayout(payload.state);
  const journeys = payload.journeys === undefined ? undefined : validateJourneys(payload.journeys, schema.size, payload.state);
  const ch = context.indexOf('channel');
  const decisions =
    payload.decisions === undefined
      ? undefined
      : validateDecisions(payload.decisions, {
          features: schema.size,
          contextFields: context.size,
          models,
          state: layout,
          journeyValues: journeys ? journeyValueDefs(journeys.set).length : 0,
          journeyIds: journeys ? journeys.set.journeys.map((j) => j.id) : [],
          ...(ch >= 0 ? { channelDictionary: context.defs[ch]!.categories ?? [] } : {}),
        });
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
    ...(layout ? { state: { bytes: layout.size, sections: Object.fromEntries(layout.sections.map((x) => [x.name, x.size])) } } : {}),
    ...(journeys
      ? {
          journeys: {
            events: journeys.set.events.map((e) => ({ name: e.name, attributes: e.attributes.length })),
            items: layoutReport(journeys.set, journeys.layout).map((r, i) => ({
              ...r,
              summary:
                r.kind === 'pattern'
                  ? summarizePattern(journeys.set.journeys[i]!, journeys.set.events)
                  : summarizeAggregate(journeys.set.aggregates[i - journeys.set.journeys.length]!, journeys.set.events),
            })),
            sectionBytes: journeys.layout.size,
            horizonMs: journeys.layout.horizonMs,
          },
        }
      : {}),
    ...(decisions
      ? {
          decisions: {
            actions: decisions.actions.length,
            groups: decisions.groups.length,
            channels: decisions.channels,
            rules: decisions.rules.length,
            programs: decisions.programs.programs.length,
            policies: decisions.policies.length,
            triggers: decisions.triggers.length,
          },
        }
      : {}),
  };
}

/** 3600000 -> "1h", 90000 -> "90s", 604800000 -> "7d". */
export function formatMs(ms: number): string {
  for (const [unit, n] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= n && ms % n === 0) return `${ms / n}${unit}`;
  }
  return `${ms}ms`;
}

function summarizePattern(j: JourneyDef, events: { name: string }[]): string {
  const q = (s: { min: number; max: number | null }) => (s.max === 1 ? '' : s.max === null ? `{${s.min},}` : s.min === s.max ? `{${s.min}}` : `{${s.min},${s.max}}`);
  const parts = j.steps.map((s, i) => `${i === 0 ? '' : s.strict ? 'next ' : ''}${s.name}${q(s)}${s.optional ? '?' : ''}${j.guards[i]?.length ? ' !' : ''}`);
  return `${parts.join(' -> ')}${j.absence ? ` -> no ${j.absence.guards.map((g) => events[g.event]!.name).join('/')} for ${formatMs(j.absence.windowMs)}` : ''}${j.withinMs ? `, within ${formatMs(j.withinMs)}` : ''}${j.skip === 'noSkip' ? ', noSkip' : ''}`;
}

function summarizeAggregate(a: AggregateDef, events: { name: string }[]): string {
  return `${a.functions.join('/')} of ${events[a.event]!.name} over ${formatMs(a.windowMs)} in ${a.buckets} buckets of ${formatMs(a.windowMs / a.buckets)}`;
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
  if (r.decisions) {
    const d = r.decisions;
    lines.push(
      `decisions ${d.actions} actions, ${d.groups} groups, ${d.rules} rules (${d.programs} programs), ${d.policies} policies, ${d.triggers} triggers; channels ${d.channels.join(', ') || 'none'}`,
    );
  }
  if (r.state) lines.push(`state     ${r.state.bytes} bytes per customer: ${Object.entries(r.state.sections).map(([k, v]) => `${k} ${v}B`).join(', ')}`);
  lines.push('sections  ' + Object.entries(r.sections).map(([k, v]) => `${k}=${v}B`).join(' '));
  if (r.journeys) {
    lines.push(`events    ${r.journeys.events.length}: ${r.journeys.events.map((e) => e.name).join(', ')}`);
    lines.push(`journeys  ${r.journeys.items.length} (section ${r.journeys.sectionBytes} bytes incl. a 10-byte header; history kept ${(r.journeys.horizonMs / 86_400_000).toFixed(1)} days)`);
    for (const it of r.journeys.items) {
      lines.push(`  ${it.id.padEnd(24)} ${it.kind.padEnd(9)} ${String(it.bytes).padStart(4)} B${it.slots !== undefined ? `  ${it.slots} partial` : '          '}  ${it.summary}`);
    }
  }
  return lines.join('\n');
}
