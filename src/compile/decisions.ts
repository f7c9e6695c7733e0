/**
 * Compiles the decision sections of a spec (`groups`, `actions`, `policies`,
 * `arbitration`, `triggers`) into the bundle's `decisions` section and the
 * customer state section `contacts` (docs/decisions.md).
 *
 * Every expression of an action is compiled for that action: `action.*`
 * names are constants, so `action.kind == "sale"` folds away. Identical
 * programs (the same priority expression for every action, a group rule
 * that does not read `action.*`) are stored once.
 */
import { createHash } from 'node:crypto';
import { NextbestError } from '../errors.js';
import { displayPath, type SpecNode } from './source.js';
import type { CompileContext } from './spec.js';
import { exprLimitsOf, type ExprLimits } from './expr/ast.js';
import { LIMIT_CEILINGS } from '../limits.js';
import { compileExpr, parseExpr, printExpr, programsToBundle, type CompiledExpr, type ExprEnv } from './expr/index.js';
import { parseActions, parseGroups, readScope, unknownIn, type ActionSpec, type GroupSpec, type RuleSpec } from './actions.js';
import { compilePolicies, contactsShape } from './policies.js';
import { DEFAULT_PRIORITY, parseArbitration, type ArbitrationSpec } from './arbitration.js';
import { compileTriggers } from './triggers.js';
import { decisionEnv, DecisionFrame, type ActionDictionaries, type JourneyResolver } from './decision-env.js';
import {
  CONTACTS_SECTION,
  MAX_CHANNELS,
  MAX_DECISION_MODELS,
  TIERS,
  decisionsToBundle,
  type ActionTable,
  type DecisionTables,
  type RuleInfo,
} from '../decide/tables.js';
import type { StateSection } from '../state/layout.js';

export const CONTACTS_VERSION = 1;

/** What journeys contribute to decisions (once the bundle has journeys). */
export interface DecisionJourneys {
  ids: readonly string[];
  resolver?: JourneyResolver;
}

export interface CompiledDecisions {
  section: Record<string, unknown>;
  contacts: Omit<StateSection, 'offset'>;
}

const DECISION_KEYS = ['groups', 'policies', 'arbitration', 'triggers'] as const;

/** Programs of a bundle, each distinct program once. */
class ProgramPool {
  readonly programs: CompiledExpr[] = [];
  private readonly index = new Map<string, number>();

  add(p: CompiledExpr): number {
    const consts = Buffer.from(p.consts.buffer, p.consts.byteOffset, p.consts.byteLength).toString('hex');
    const key = `${p.type.kind}|${p.code.join(',')}|${consts}`;
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.programs.length;
      this.programs.push(p);
      this.index.set(key, i);
    }
    return i;
  }
}

function compileNode(node: SpecNode, env: ExprEnv, expect: 'bool' | 'number', limits: ExprLimits): CompiledExpr {
  if (node.isNull || !node.isScalar) throw node.error(`expected an expression (${expect === 'bool' ? 'a condition' : 'a number'})`);
  try {
    return compileExpr(node.text(), env, { origin: node.textOrigin(), expect, limits });
  } catch (e) {
    // a name the environment refuses (decision-env.ts) is reported at the expression
    if (e instanceof NextbestError && e.code === 'SPEC_INVALID' && e.details?.line === undefined) throw node.error(e.message);
    throw e;
  }
}

/** The expression text of a node, normalized (comments and layout dropped) for combining. */
function canonical(node: SpecNode): string {
  return printExpr(parseExpr(node.text(), { origin: node.textOrigin() }));
}

/** Where a rule is written, for explanations: the spec path as the bundle records it (relative to the spec's directory), line and column. */
function position(node: SpecNode, baseDir: string): string {
  const p = node.position;
  return `${displayPath(p.file, baseDir)}:${p.line}:${p.column}`;
}

/** The channels of the bundle: the dictionary of the context field `channel`. */
function bundleChannels(root: SpecNode, ctx: CompileContext): string[] {
  const i = ctx.context.indexOf('channel');
  if (i < 0) return [];
  const def = ctx.context.defs[i]!;
  const at = root.get('context')?.get('channel') ?? root;
  if (!def.categories) throw at.error('the context field `channel` names the channels: give it a list of channels, e.g. [app, email, call_center]');
  if (def.categories.length === 0) throw at.error('list at least one channel');
  if (def.categories.length > MAX_CHANNELS) throw at.error(`at most ${MAX_CHANNELS} channels, got ${def.categories.length}`);
  return def.categories;
}

/**
 * Compiles the decision sections, or returns undefined when the spec has no
 * `actions` (and then must not have the other decision sections either).
 */
export function compileDecisions(root: SpecNode, ctx: CompileContext, journeys: DecisionJourneys = { ids: [] }): CompiledDecisions | undefined {
  const actionsNode = root.get('actions');
  if (!actionsNode || actionsNode.isNull) {
    for (const k of DECISION_KEYS) {
      const n = root.get(k);
      if (n && !n.isNull) throw n.error(`${k} need actions: add an actions section`);
    }
    return undefined;
  }
  if (ctx.schema.indexOf('now') >= 0) {
    throw (root.get('features')?.get('now') ?? root).error('`now` is the decision time in decision expressions: rename the feature');
  }
  if (ctx.context.indexOf('now') >= 0) {
    throw (root.get('context')?.get('now') ?? root).error('`now` is part of every decision request: remove it from the context fields');
  }
  const channels = bundleChannels(root, ctx);
  const groups = parseGroups(root.get('groups'));
  const actions = parseActions(actionsNode, groups);
  const channelLists = actions.map((a) => actionChannels(a, channels));
  const policies = compilePolicies(root.get('policies'), actions, groups, channels);
  const arbitration = parseArbitration(root.get('arbitration'), actions, groups, channels);
  const triggers = compileTriggers(root.get('triggers'), journeys.ids, channels, ctx.context);

  // Mutually exclusive sets (by name, in order of first mention) and suppression targets.
  const sets: string[] = [];
  const setIndex = (name: string) => {
    let i = sets.indexOf(name);
    if (i < 0) i = sets.push(name) - 1;
    return i;
  };
  const actionSets = actions.map((a) => {
    const g = a.group >= 0 ? groups[a.group]!.exclusive : [];
    return [...new Set([...g, ...a.exclusive].map(setIndex))].sort((x, y) => x - y);
  });
  const suppresses = actions.map((a, i) => {
    const out = new Set<number>();
    const g = a.group >= 0 ? groups[a.group]!.suppresses : undefined;
    for (const node of [g, a.suppresses]) {
      if (!node) continue;
      for (const t of suppressTargets(node, actions, groups)) if (t !== i) out.add(t);
    }
    return [...out].sort((x, y) => x - y);
  });

  const dictionaries: ActionDictionaries = {
    ids: actions.map((a) => a.id),
    groups: groups.map((g) => g.id),
    issues: [...new Set(actions.flatMap((a) => (a.issue ? [a.issue] : [])))],
    attributes: new Set(actions.flatMap((a) => [...a.attributes.keys()])),
  };
  const frame = new DecisionFrame(ctx.context);
  const exprLimits = exprLimitsOf(ctx.limits);
  const envFor = (a: ActionSpec, factors = false, propensity = false) =>
    decisionEnv({
      schema: ctx.schema,
      frame,
      models: ctx.models,
      ...(journeys.resolver ? { journeys: journeys.resolver } : {}),
      factors,
      propensity,
      action: {
        constants: {
          id: dictionaries.ids.indexOf(a.id),
          kind: a.kind === 'sale' ? 0 : 1,
          group: a.group,
          issue: a.issue ? dictionaries.issues.indexOf(a.issue) : -1,
          mandatory: a.mandatory,
          attributes: a.attributes,
        },
        dictionaries,
      },
    });

  // Shared expressions are checked once, where they are written, before any per-action compile.
  const first = envFor(actions[0]!);
  for (const w of arbitration.context) {
    if (w.when) compileNode(w.when, first, 'bool', exprLimits);
    compileNode(w.weight, first, 'number', exprLimits);
  }
  groups.forEach((g, gi) => {
    if (!actions.some((a) => a.group === gi)) for (const r of g.rules) compileNode(r.node, first, 'bool', exprLimits);
  });
  const priorityNode = arbitration.priority;
  if (priorityNode) compileNode(priorityNode, envFor(actions[0]!, true), 'number', exprLimits);
  const prioritySource = priorityNode ? canonical(priorityNode) : DEFAULT_PRIORITY;

  const pool = new ProgramPool();
  const rules: RuleInfo[] = [];
  const ruleInfo = (r: RuleSpec, owner: string): number =>
    rules.push({ name: r.name, tier: r.tier, owner, source: r.node.isScalar ? r.node.text() : '', at: position(r.node, ctx.baseDir) }) - 1;
  const groupRules = groups.map((g) => g.rules.map((r) => ruleInfo(r, `group ${g.id}`)));

  const tables: ActionTable[] = actions.map((a, i) => {
    const env = envFor(a);
    const ownRules = a.rules.map((r) => ruleInfo(r, `action ${a.id}`));
    const refs: [number, number][] = [];
    const tiers: [number, number, number] = [0, 0, 0];
    TIERS.forEach((tier, t) => {
      const g = a.group >= 0 ? groups[a.group]! : undefined;
      const tierRules: [RuleSpec, number][] = [
        ...(g ? g.rules.map((r, k) => [r, groupRules[a.group]![k]!] as [RuleSpec, number]) : []),
        ...a.rules.map((r, k) => [r, ownRules[k]!] as [RuleSpec, number]),
      ].filter(([r]) => r.tier === tier);
      for (const [r, ri] of tierRules) refs.push([ri, pool.add(compileNode(r.node, env, 'bool', exprLimits))]);
      tiers[t] = tierRules.length;
    });
    const propensityProgram = compileNode(a.propensity, envFor(a, false, true), 'number', exprLimits);
    const adaptiveRead = propensityProgram.slotsRead.filter((s) => frame.isAdaptiveSlot(s));
    if (adaptiveRead.length > 1) throw a.propensity.error('a propensity reads at most one adaptive model that learns per action');
    const propensity = pool.add(propensityProgram);
    const value = a.value ? pool.add(compileNode(a.value, env, 'number', exprLimits)) : pool.add(compileExpr('1', env, { expect: 'number' }));
    const context = pool.add(contextProgram(arbitration, i, env));
    const priority = pool.add(compileExpr(prioritySource, envFor(a, true), { expect: 'number', limits: exprLimits }));
    const groupLever = a.group >= 0 ? groups[a.group]!.lever : 0;
    return {
      id: a.id,
      kind: a.kind,
      group: a.group,
      ...(a.issue ? { issue: a.issue } : {}),
      ...(a.description === undefined ? {} : { description: a.description }),
      channels: channelLists[i]!,
      mandatory: a.mandatory,
      lever: (1 + a.lever / 100) * (1 + groupLever / 100),
      rules: refs,
      tiers,
      propensity,
      value,
      context,
      priority,
      suppresses: suppresses[i]!,
      sets: actionSets[i]!,
      checks: policies.checks[i]!,
      adaptive: -1, // derived at load
    };
  });

  const layout = frame.layout();
  for (const m of layout.adaptive) {
    if (channels.length === 0 && (ctx.models.get(m.id) as { instances?: string }).instances === 'action_channel') {
      throw actionsNode.error(`adaptive model "${m.id}" learns per action and channel, and this bundle has no channels: declare \`channel\` in the context section, or use instances: action`);
    }
  }
  if (layout.models.length > MAX_DECISION_MODELS) {
    throw actionsNode.error(`decision expressions read ${layout.models.length} models; at most ${MAX_DECISION_MODELS} per bundle`);
  }
  const decisionTables: Omit<DecisionTables, 'programs'> = {
    channels,
    frame: layout,
    rules,
    groups: groups.map((g) => ({ id: g.id, lever: g.lever, ...(g.description === undefined ? {} : { description: g.description }) })),
    sets,
    actions: tables,
    policies: policies.policies,
    trackers: policies.trackers,
    contactsSize: policies.contactsSize,
    arbitration: {
      priority: prioritySource,
      limit: arbitration.limit,
      channelLimits: arbitration.channelLimits,
      ...(arbitration.minPriority === undefined ? {} : { minPriority: arbitration.minPriority }),
    },
    triggers,
  };
  const shape = createHash('sha256').update(contactsShape(policies, dictionaries.ids)).digest('hex').slice(0, 16);
  return {
    section: decisionsToBundle(decisionTables, programsToBundle(pool.programs)),
    contacts: { name: CONTACTS_SECTION, size: policies.contactsSize, version: CONTACTS_VERSION, shape },
  };
}

function actionChannels(a: ActionSpec, channels: readonly string[]): number[] {
  if (!a.channels) return channels.length === 0 ? [0] : channels.map((_, i) => i);
  if (channels.length === 0) {
    throw a.channels.node.error('actions name channels: declare them in the context section, e.g. `channel: [app, email, call_center]`');
  }
  const out = new Set<number>();
  a.channels.node.itemsOrOne().forEach((n) => {
    const c = channels.indexOf(n.string());
    if (c < 0) throw n.error(unknownIn('channel', n.string(), channels));
    out.add(c);
  });
  return [...out].sort((x, y) => x - y);
}

/** `suppresses: all`, or a map with scope keys (their union). */
function suppressTargets(node: SpecNode, actions: readonly ActionSpec[], groups: readonly GroupSpec[]): number[] {
  if (node.isScalar && node.toJS() === 'all') return actions.map((_, i) => i);
  if (!node.isMap || node.entries().length === 0) {
    throw node.error('suppresses: name what to suppress: `all`, or a map with kind, group(s) or action(s), e.g. { kind: sale }');
  }
  node.checkKeys(['action', 'actions', 'group', 'groups', 'kind']);
  const s = readScope(node, actions, groups);
  return s.actions === 'all' ? actions.map((_, i) => i) : [...s.actions];
}

/** The context weight of action i: the product of the weights of the entries that apply to it and hold. */
function contextProgram(a: ArbitrationSpec, i: number, env: ExprEnv): CompiledExpr {
  const factors: string[] = [];
  for (const w of a.context) {
    if (w.scope.actions !== 'all' && !w.scope.actions.has(i)) continue;
    const weight = canonical(w.weight);
    factors.push(w.when ? `(${canonical(w.when)} ? (${weight}) : 1)` : `(${weight})`);
  }
  const source = factors.length ? factors.join(' * ') : '1';
  try {
    return compileExpr(source, env, { expect: 'number', limits: exprLimitsOf(LIMIT_CEILINGS) });
  } catch (e) {
    if (e instanceof NextbestError && e.code === 'EXPR_LIMIT') {
      throw new NextbestError('EXPR_LIMIT', `the context weights of one action are too large to compile together (${a.context.length} entries): ${e.message}`);
    }
    throw e;
  }
}
