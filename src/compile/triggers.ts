/**
 * The `triggers` section: a journey match requests a decision on a channel
 * (docs/decisions.md, "Triggers").
 *
 *   triggers:
 *     trouble_call:
 *       journey: connection_trouble   # a journey of the bundle
 *       channel: call_center          # required when the bundle has channels
 *       limit: 1                      # actions to decide (default 1)
 *       description: call the customer back about the outages
 */
import type { SpecNode } from './source.js';
import { NAME_PATTERN, unknownIn } from './actions.js';
import { MAX_TRIGGERS, UNLIMITED, type TriggerTable } from '../decide/tables.js';

export function compileTriggers(node: SpecNode | undefined, journeys: readonly string[], channels: readonly string[]): TriggerTable[] {
  if (!node || node.isNull) return [];
  const entries = node.entries();
  if (entries.length > MAX_TRIGGERS) throw node.error(`at most ${MAX_TRIGGERS} triggers, got ${entries.length}`);
  return entries.map(([id, n]) => {
    if (!NAME_PATTERN.test(id)) throw n.error(`trigger id "${id}" must start with a letter or _ and contain letters, digits and _ (at most 64)`);
    if (!n.isMap) throw n.error('a trigger is a map: { journey, channel, limit? }');
    n.checkKeys(['journey', 'channel', 'limit', 'description']);
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
    return {
      id,
      journey,
      channel,
      limit: n.get('limit')?.number({ integer: true, min: 0, max: UNLIMITED }) ?? 1,
      ...(description === undefined ? {} : { description }),
    };
  });
}
