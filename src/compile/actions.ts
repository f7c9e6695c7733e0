/**
 * The `groups` and `actions` sections of a spec (docs/decisions.md,
 * "Actions"), read into plain structures; their expressions are compiled by
 * src/compile/decisions.ts once every name is known.
 *
 *   groups:
 *     retention:
 *       description: Keep customers who might leave
 *       lever: 10                      # percent boost of every member
 *       eligibility: tenure_months > 3  # rules every member must pass too
 *       suppresses: { kind: sale }     # while a member survives
 *       exclusive: retention_offers    # members are mutually exclusive
 *   actions:
 *     fix_connection:                  # or a list of maps with `id`
 *       kind: service                  # sale | service
 *       group: care
 *       channels: [app, call_center]
 *       propensity: score.churn        # an expression
 *       value: 40                      # a number or an expression
 *       eligibility: journey.connection_trouble
 *       mandatory: true
 */
import type { SpecNode } from './source.js';
import { editDistance } from './source.js';
import { ACTION_KINDS, MAX_ACTIONS, TIERS, type ActionKind, type Tier } from '../decide/tables.js';

export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** One rule of a tier, as written. */
export interface RuleSpec {
  name: string;
  tier: Tier;
  node: SpecNode;
}

export interface GroupSpec {
  id: string;
  node: SpecNode;
  description?: string;
  lever: number;
  rules: RuleSpec[];
  suppresses?: SpecNode;
  exclusive: string[];
}

export interface ActionSpec {
  id: string;
  node: SpecNode;
  kind: ActionKind;
  group: number;
  issue?: string;
  description?: string;
  /** Channel names as written (resolved against the context's channel dictionary later), or undefined = every channel. */
  channels?: { names: string[]; node: SpecNode };
  mandatory: boolean;
  lever: number;
  propensity: SpecNode;
  value?: SpecNode;
  rules: RuleSpec[];
  suppresses?: SpecNode;
  exclusive: string[];
  attributes: Map<string, number>;
}

const GROUP_KEYS = ['description', 'lever', ...TIERS, 'suppresses', 'exclusive'];
const ACTION_KEYS = [
  'id',
  'kind',
  'group',
  'issue',
  'description',
  'channels',
  'mandatory',
  'lever',
  'propensity',
  'value',
  ...TIERS,
  'suppresses',
  'exclusive',
  'attributes',
];

function checkName(id: string, node: SpecNode, what: string): void {
  if (!NAME_PATTERN.test(id)) throw node.error(`${what} "${id}" must start with a letter or _ and contain letters, digits and _ (at most 64)`);
}

/** A lever: a number of percent (`20`, `-50`) or a string like `20%`. */
function lever(node: SpecNode | undefined): number {
  if (!node) return 0;
  let v: number;
  if (node.isScalar && typeof node.toJS() === 'string') {
    const m = /^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$/.exec(node.string());
    if (!m) throw node.error('a lever is a percentage: a number like 20 or -10, or a string like "20%"');
    v = Number(m[1]);
  } else {
    v = node.number();
  }
  if (v < -100 || v > 1e6) throw node.error(`a lever is a percentage between -100 and 1000000, got ${v}`);
  return v;
}

/** A tier: one expression, a list of expressions, or a map of rule name -> expression. */
function tierRules(owner: SpecNode, ownerId: string, tier: Tier): RuleSpec[] {
  const node = owner.get(tier);
  if (!node || node.isNull) return [];
  if (node.isMap) {
    return node.entries().map(([name, n]) => {
      checkName(name, n, 'rule name');
      return { name, tier, node: n };
    });
  }
  if (node.isSeq) return node.items().map((n, i) => ({ name: `${ownerId}.${tier}[${i}]`, tier, node: n }));
  return [{ name: `${ownerId}.${tier}`, tier, node }];
}

function names(node: SpecNode | undefined, what: string): string[] {
  if (!node || node.isNull) return [];
  const out = node.itemsOrOne().map((n) => {
    const s = n.string();
    checkName(s, n, what);
    return s;
  });
  return [...new Set(out)];
}

/** `id: body` maps, or lists of bodies with an `id` field. */
function keyed(node: SpecNode, what: string): [string, SpecNode][] {
  if (node.isMap) return node.entries();
  if (node.isSeq) {
    return node.items().map((n) => {
      if (!n.isMap) throw n.error(`each ${what} is a map with an id`);
      return [n.require('id').string(), n];
    });
  }
  throw node.error(`expected a map of ${what} id -> definition, or a list of definitions with an id`);
}

export function parseGroups(node: SpecNode | undefined): GroupSpec[] {
  if (!node || node.isNull) return [];
  return node.entries().map(([id, n]) => {
    checkName(id, n, 'group id');
    if (n.isNull) return { id, node: n, lever: 0, rules: [], exclusive: [] };
    n.checkKeys(GROUP_KEYS);
    const description = n.get('description')?.text();
    const s = n.get('suppresses');
    return {
      id,
      node: n,
      ...(description === undefined ? {} : { description }),
      lever: lever(n.get('lever')),
      rules: TIERS.flatMap((t) => tierRules(n, id, t)),
      ...(s && !s.isNull ? { suppresses: s } : {}),
      exclusive: names(n.get('exclusive'), 'exclusive set name'),
    };
  });
}

export function parseActions(node: SpecNode, groups: GroupSpec[]): ActionSpec[] {
  const entries = keyed(node, 'action');
  if (entries.length === 0) throw node.error('declare at least one action');
  if (entries.length > MAX_ACTIONS) throw node.error(`at most ${MAX_ACTIONS} actions, got ${entries.length}`);
  const seen = new Set<string>();
  const groupIds = groups.map((g) => g.id);
  return entries.map(([id, n]) => {
    if (!n.isMap) throw n.error('an action is a map with at least kind and propensity');
    const idNode = n.get('id') ?? n;
    checkName(id, idNode, 'action id');
    if (seen.has(id)) throw idNode.error(`action "${id}" is declared twice`);
    seen.add(id);
    n.checkKeys(ACTION_KEYS);
    const kindNode = n.require('kind');
    const kind = kindNode.string();
    if (!(ACTION_KINDS as readonly string[]).includes(kind)) throw kindNode.error(`kind must be ${ACTION_KINDS.join(' or ')}, got "${kind}"`);
    let group = -1;
    const gNode = n.get('group');
    if (gNode && !gNode.isNull) {
      const g = gNode.string();
      group = groupIds.indexOf(g);
      if (group < 0) {
        const near = groupIds.filter((x) => editDistance(x, g) <= 2);
        throw gNode.error(
          groupIds.length === 0
            ? `unknown group "${g}": declare it in the groups section`
            : `unknown group "${g}"${near.length ? `; did you mean "${near[0]}"?` : ''} (groups: ${groupIds.join(', ')})`,
        );
      }
    }
    const chNode = n.get('channels');
    let channels: ActionSpec['channels'];
    if (chNode && !chNode.isNull) {
      const list = chNode.itemsOrOne().map((c) => c.string());
      if (list.length === 0) throw chNode.error('channels: list at least one channel, or leave it out to offer the action on every channel');
      channels = { names: list, node: chNode };
    }
    const attributes = new Map<string, number>();
    const attrNode = n.get('attributes');
    if (attrNode && !attrNode.isNull) {
      for (const [k, v] of attrNode.entries()) {
        checkName(k, v, 'attribute name');
        if (['id', 'kind', 'group', 'issue', 'mandatory'].includes(k)) throw v.error(`attribute "${k}" is built in: action.${k} is already defined`);
        attributes.set(k, v.number());
      }
    }
    const issue = n.get('issue');
    if (issue && !issue.isNull) checkName(issue.string(), issue, 'issue');
    const description = n.get('description')?.text();
    const s = n.get('suppresses');
    const value = n.get('value');
    return {
      id,
      node: n,
      kind: kind as ActionKind,
      group,
      ...(issue && !issue.isNull ? { issue: issue.string() } : {}),
      ...(description === undefined ? {} : { description }),
      ...(channels ? { channels } : {}),
      mandatory: n.get('mandatory')?.boolean() ?? false,
      lever: lever(n.get('lever')),
      propensity: n.require('propensity'),
      ...(value && !value.isNull ? { value } : {}),
      rules: TIERS.flatMap((t) => tierRules(n, id, t)),
      ...(s && !s.isNull ? { suppresses: s } : {}),
      exclusive: names(n.get('exclusive'), 'exclusive set name'),
      attributes,
    };
  });
}

/** What a scope selects: every action, or a set of action indices; and how to say it. */
export interface Scope {
  actions: Set<number> | 'all';
  text: string;
}

export const SCOPE_KEYS = ['action', 'actions', 'group', 'groups', 'kind'] as const;

/**
 * The actions a map's scope keys select (their union): `action`/`actions` by
 * id, `group`/`groups` by group, `kind` (sale | service). No scope key: all.
 */
export function readScope(node: SpecNode, actions: readonly ActionSpec[], groups: readonly GroupSpec[]): Scope {
  const parts: string[] = [];
  let set: Set<number> | undefined;
  const add = (i: number) => (set ??= new Set()).add(i);
  for (const key of SCOPE_KEYS) {
    const v = node.get(key);
    if (!v || v.isNull) continue;
    const items = key === 'action' || key === 'group' || key === 'kind' ? [v] : v.items();
    if (items.length === 0) throw v.error(`${key}: list at least one`);
    set ??= new Set();
    for (const it of items) {
      const name = it.string();
      if (key === 'action' || key === 'actions') {
        const i = actions.findIndex((a) => a.id === name);
        if (i < 0) throw it.error(unknownIn('action', name, actions.map((a) => a.id)));
        add(i);
      } else if (key === 'group' || key === 'groups') {
        const g = groups.findIndex((x) => x.id === name);
        if (g < 0) throw it.error(unknownIn('group', name, groups.map((x) => x.id)));
        actions.forEach((a, i) => a.group === g && add(i));
      } else {
        if (!(ACTION_KINDS as readonly string[]).includes(name)) throw it.error(`kind must be ${ACTION_KINDS.join(' or ')}, got "${name}"`);
        actions.forEach((a, i) => a.kind === name && add(i));
      }
      parts.push(`${key === 'actions' ? 'action' : key === 'groups' ? 'group' : key} ${name}`);
    }
  }
  return set === undefined ? { actions: 'all', text: 'all actions' } : { actions: set, text: parts.join(', ') };
}

export function unknownIn(what: string, name: string, known: readonly string[]): string {
  const near = known.filter((x) => editDistance(x, name) <= 2);
  return `unknown ${what} "${name}"${near.length ? `; did you mean "${near[0]}"?` : ''}${known.length ? ` (known: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''})` : ''}`;
}
