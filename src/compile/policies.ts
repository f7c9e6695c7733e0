/**
 * The `policies` section: contact policies over the customer's contact
 * history, and the fixed-size layout of that history in the customer state
 * (section `contacts`), derived from the policies (docs/decisions.md,
 * "Contact policies").
 *
 *   policies:
 *     email_weekly:                 # at most 1 email per 7 days
 *       channel: email
 *       max: 1
 *       per: 7d
 *     reject_backoff:               # suppress for 30 days after 2 rejections within 90 days
 *       each: action
 *       count: reject
 *       after: 2
 *       within: 90d
 *       suppress: 30d
 *     no_reoffer:                   # no re-offer within 7 days of an impression
 *       each: action
 *       suppress: 7d
 *
 * Common fields: `count` (outcomes counted: impression (default), accept,
 * reject, or a list), `channel` (only events on that channel count, and the
 * policy only blocks that channel), a scope (`action`, `actions`, `group`,
 * `groups`, `kind`; default every action), `each: action` (every action of
 * the scope keeps its own history instead of sharing one), `description`.
 *
 * Layout: one tracker per policy (per action of the scope for `each`), in
 * policy order then action order; a tracker holds the n most recent event
 * times as u32 seconds, plus a u32 "suppressed until" for suppressions after
 * two or more events (assembly/decide/policy.ts).
 */
import type { SpecNode } from './source.js';
import { NAME_PATTERN, readScope, SCOPE_KEYS, unknownIn, type ActionSpec, type GroupSpec } from './actions.js';
import { MAX_POLICIES, MAX_POLICY_COUNT, MAX_POLICY_MS, OUTCOMES, trackerBytes, type PolicyTable, type TrackerTable } from '../decide/tables.js';

export interface CompiledPolicies {
  policies: PolicyTable[];
  trackers: TrackerTable[];
  /** [policy, tracker] per action, in policy order. */
  checks: [number, number][][];
  contactsSize: number;
}

const KEYS = ['description', 'count', 'channel', 'each', ...SCOPE_KEYS, 'max', 'per', 'after', 'within', 'suppress'];

/** A policy duration: whole seconds, at least 1s, at most ten years. */
function seconds(node: SpecNode): number {
  const ms = node.duration();
  if (ms % 1000 !== 0 || ms < 1000) throw node.error(`policy times are whole seconds, at least 1s; got ${ms} ms`);
  if (ms > MAX_POLICY_MS) throw node.error(`policy times are at most ${MAX_POLICY_MS / 86_400_000}d`);
  return ms;
}

function count(node: SpecNode): number {
  return node.number({ integer: true, min: 1, max: MAX_POLICY_COUNT });
}

export function compilePolicies(
  node: SpecNode | undefined,
  actions: readonly ActionSpec[],
  groups: readonly GroupSpec[],
  channels: readonly string[],
): CompiledPolicies {
  const out: CompiledPolicies = { policies: [], trackers: [], checks: actions.map(() => []), contactsSize: 0 };
  if (!node || node.isNull) return out;
  const entries = node.entries();
  if (entries.length > MAX_POLICIES) throw node.error(`at most ${MAX_POLICIES} policies, got ${entries.length}`);
  for (const [id, n] of entries) {
    if (!NAME_PATTERN.test(id)) throw n.error(`policy id "${id}" must start with a letter or _ and contain letters, digits and _ (at most 64)`);
    if (!n.isMap) throw n.error('a policy is a map: { max, per } for a cap, or { suppress, after?, within? } for a suppression');
    n.checkKeys(KEYS);
    const isCap = n.get('max') !== undefined || n.get('per') !== undefined;
    const isSuppress = n.get('suppress') !== undefined || n.get('after') !== undefined || n.get('within') !== undefined;
    if (isCap === isSuppress) {
      throw n.error(
        isCap
          ? 'a policy is either a cap (max, per) or a suppression (suppress, after, within), not both'
          : 'a policy needs `max` and `per` (a cap: at most max events per window) or `suppress` (a suppression after events)',
      );
    }
    let kind: PolicyTable['kind'];
    let nEvents: number;
    let windowMs: number;
    let forMs = 0;
    if (isCap) {
      kind = 'cap';
      nEvents = count(n.require('max'));
      windowMs = seconds(n.require('per'));
    } else {
      kind = 'suppress';
      forMs = seconds(n.require('suppress'));
      nEvents = n.get('after') ? count(n.get('after')!) : 1;
      const within = n.get('within');
      if (nEvents >= 2 && !within) throw n.error(`suppressing after ${nEvents} events needs \`within\`: the window the events must fall in`);
      if (nEvents === 1 && within) throw within.error('`within` only matters with `after` of 2 or more');
      windowMs = within ? seconds(within) : 0;
    }
    let outcomes = 0;
    const countNode = n.get('count');
    if (countNode && !countNode.isNull) {
      for (const o of countNode.itemsOrOne()) {
        const name = o.string();
        const k = (OUTCOMES as readonly string[]).indexOf(name);
        if (k < 0) throw o.error(`count: outcomes are ${OUTCOMES.join(', ')}, got "${name}"`);
        outcomes |= 1 << k;
      }
      if (outcomes === 0) throw countNode.error(`count: list at least one of ${OUTCOMES.join(', ')}`);
    } else {
      outcomes = 1 << OUTCOMES.indexOf('impression');
    }
    let channel = -1;
    const chNode = n.get('channel');
    if (chNode && !chNode.isNull) {
      const name = chNode.string();
      if (channels.length === 0) throw chNode.error('this bundle has no channels: declare `channel` in the context section');
      channel = channels.indexOf(name);
      if (channel < 0) throw chNode.error(unknownIn('channel', name, channels));
    }
    let each = false;
    const eachNode = n.get('each');
    if (eachNode && !eachNode.isNull) {
      if (eachNode.string() !== 'action') throw eachNode.error('each: the only value is `action` (every action keeps its own history)');
      each = true;
    }
    const scope = readScope(n, actions, groups);
    const description = n.get('description')?.text();
    const p = out.policies.length;
    const policy: PolicyTable = {
      id,
      ...(description === undefined ? {} : { description }),
      kind,
      n: nEvents,
      windowMs,
      forMs,
      outcomes,
      channel,
      scope: scope.text + (each ? ' (each its own history)' : ''),
      each,
    };
    out.policies.push(policy);
    const size = trackerBytes(policy);
    const newTracker = (action: number): number => {
      out.trackers.push({ policy: p, action, offset: out.contactsSize });
      out.contactsSize += size;
      return out.trackers.length - 1;
    };
    const members = actions.map((_, i) => i).filter((i) => scope.actions === 'all' || scope.actions.has(i));
    if (members.length === 0) continue;
    const shared = each ? -1 : newTracker(-1);
    for (const i of members) out.checks[i]!.push([p, each ? newTracker(i) : shared]);
  }
  return out;
}

/** What determines the contacts section's encoding, for state compatibility checks. */
export function contactsShape(c: CompiledPolicies, actionIds: readonly string[]): string {
  return c.trackers
    .map((t) => {
      const p = c.policies[t.policy]!;
      return `${p.id}/${p.kind}/${p.n}/${t.action >= 0 ? actionIds[t.action] : '*'}@${t.offset}`;
    })
    .join(',');
}
