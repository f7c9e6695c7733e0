/**
 * The `triggers` section: a journey match requests a decision on a channel
 * (docs/decisions.md, "Triggers").
 *
 *   triggers:
 *     trouble_call:
 *       journey: connection_trouble   # a journey of the bundle
 *       channel: call_center          # required when the bundle has channels
 *       limit: 1                      # actions to decide (default 1)
 *       context: { placement: home }  # other context fields of the decision (optional)
 *       description: call the customer back about the outages
 */
import type { SpecNode } from './source.js';
import { NAME_PATTERN, unknownIn } from './actions.js';
import { MAX_TRIGGERS, UNLIMITED, type TriggerTable } from '../decide/tables.js';
import type { FeatureSchema } from '../runtime/features.js';

export function compileTriggers(
  node: SpecNode | undefined,
  journeys: readonly string[],
  channels: readonly string[],
  context?: FeatureSchema,
): TriggerTable[] {
  if (!node || node.isNull) return [];
  const entries = node.entries();
  if (entries.length > MAX_TRIGGERS) throw node.error(`at most ${MAX_TRIGGERS} triggers, got ${entries.length}`);
  return entries.map(([id, n]) => {
    if (!NAME_PATTERN.test(id)) throw n.error(`trigger id "${id}" must start with a letter or _ and contain letters, digits and _ (at most 64)`);
    if (!n.isMap) throw n.error('a trigger is a map: { journey, channel, limit? }');
    n.checkKeys(['journey', 'channel', 'limit', 'context', 'description']);
    const jNode = n.require('journey');
    const journey = jNode.string();
    if (!journeys.includes(journey)) {
      throw jNode.error(journeys.length === 0 ? `unknown journey "${journey}": this bundle declares no journeys` : unknownIn('journey', journey, journeys));
    }
    let channel = -1;
    const chNode = n.get('channel');
    if (channels.length > 0) {
      if (!chNode || chNode.isNull) throw n.error(`a trigger requests a decision on a channel: add \`channel\` (one of ${channels.join(', ')})`);
      channel = channels.indexOf(chNode.string());
      if (channel < 0) throw chNode.error(unknownIn('channel', chNode.string(), channels));
    } else if (chNode && !chNode.isNull) {
      throw chNode.error('this bundle has no channels: declare `channel` in the context section');
    }
    const description = n.get('description')?.text();
    const fields = triggerContext(n.get('context'), context);
    return {
      id,
      journey,
      channel,
      limit: n.get('limit')?.number({ integer: true, min: 0, max: UNLIMITED }) ?? 1,
      ...(fields === undefined ? {} : { context: fields }),
      ...(description === undefined ? {} : { description }),
    };
  });
}

/** The fixed context fields of a trigger's decisions: `{ placement: home, hour: 9 }`, checked against the bundle's context. */
function triggerContext(node: SpecNode | undefined, schema: FeatureSchema | undefined): Record<string, string | number> | undefined {
  if (!node || node.isNull) return undefined;
  if (!node.isMap) throw node.error('a trigger\'s context is a map of context fields to values, e.g. { placement: home }');
  const names = (schema?.names ?? []).filter((f) => f !== 'channel');
  const out: Record<string, string | number> = {};
  for (const [field, v] of node.entries()) {
    if (field === 'now' || field === 'channel') {
      throw v.error(`\`${field}\` is set by the trigger itself (${field === 'now' ? 'the time of the match' : 'its `channel`'}): remove it from context`);
    }
    const i = schema ? schema.indexOf(field) : -1;
    if (i < 0) throw v.error(names.length === 0 ? `unknown context field "${field}": the context section declares no other fields` : unknownIn('context field', field, names));
    const def = schema!.defs[i]!;
    if (def.type === 'numeric') {
      out[field] = v.number();
    } else if (def.categories) {
      const value = v.string();
      if (!def.categories.includes(value)) throw v.error(unknownIn(`value of context.${field}`, value, def.categories));
      out[field] = value;
    } else {
      out[field] = v.number({ integer: true, min: 0, max: 2 ** 24 - 1 });
    }
  }
  return out;
}
