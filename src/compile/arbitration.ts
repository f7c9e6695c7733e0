/**
 * The `arbitration` section: how surviving actions are ranked and how many
 * are returned (docs/decisions.md, "Arbitration").
 *
 *   arbitration:
 *     priority: propensity * context * value * lever   # the default
 *     limit: 1                  # actions per channel when the request does not say
 *     limits: { email: 1 }      # hard limits per channel (a request cannot exceed them)
 *     minPriority: 0.01         # candidates ranked below are dropped
 *     context:                  # context weights: the product of the matching entries
 *       - when: context.channel == "call_center"
 *         group: retention      # scope: action(s), group(s), kind; default every action
 *         weight: 1.5           # a number or an expression
 *
 * The expressions are compiled per action by src/compile/decisions.ts.
 */
import type { SpecNode } from './source.js';
import { readScope, SCOPE_KEYS, unknownIn, type ActionSpec, type GroupSpec, type Scope } from './actions.js';
import { UNLIMITED } from '../decide/tables.js';

export const DEFAULT_PRIORITY = 'propensity * context * value * lever';
export const DEFAULT_LIMIT = 1;

export interface ContextWeightSpec {
  when?: SpecNode;
  weight: SpecNode;
  scope: Scope;
}

export interface ArbitrationSpec {
  priority?: SpecNode;
  limit: number;
  channelLimits: number[];
  minPriority?: number;
  context: ContextWeightSpec[];
}

const KEYS = ['priority', 'limit', 'limits', 'minPriority', 'context'];

export function parseArbitration(
  node: SpecNode | undefined,
  actions: readonly ActionSpec[],
  groups: readonly GroupSpec[],
  channels: readonly string[],
): ArbitrationSpec {
  const nChannels = Math.max(1, channels.length);
  const out: ArbitrationSpec = { limit: DEFAULT_LIMIT, channelLimits: new Array<number>(nChannels).fill(UNLIMITED), context: [] };
  if (!node || node.isNull) return out;
  node.checkKeys(KEYS);
  const p = node.get('priority');
  if (p && !p.isNull) out.priority = p;
  const limit = node.get('limit');
  if (limit) out.limit = limit.number({ integer: true, min: 0, max: UNLIMITED });
  const limits = node.get('limits');
  if (limits && !limits.isNull) {
    if (channels.length === 0) throw limits.error('limits are per channel, and this bundle has no channels: use `limit`');
    for (const [name, v] of limits.entries()) {
      const c = channels.indexOf(name);
      if (c < 0) throw v.error(unknownIn('channel', name, channels));
      out.channelLimits[c] = v.number({ integer: true, min: 0, max: UNLIMITED });
    }
  }
  const min = node.get('minPriority');
  if (min && !min.isNull) out.minPriority = min.number();
  const ctx = node.get('context');
  if (ctx && !ctx.isNull) {
    for (const entry of ctx.items()) {
      if (!entry.isMap) throw entry.error('a context weight is a map: { when, weight } with an optional scope');
      entry.checkKeys(['when', 'weight', 'description', ...SCOPE_KEYS]);
      const when = entry.get('when');
      out.context.push({
        ...(when && !when.isNull ? { when } : {}),
        weight: entry.require('weight'),
        scope: readScope(entry, actions, groups),
      });
    }
  }
  return out;
}
