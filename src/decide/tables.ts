/**
 * The decision tables: the `decisions` section of a bundle (what the spec
 * compiler writes and the engine validates before anything reaches the
 * kernel), and the names of the kernel's stages and reasons.
 *
 * Bundle section (msgpack; numbers are plain, programs are one program set):
 *   version      1
 *   channels     string[]      the context field `channel`'s dictionary ([] without channels)
 *   frame        { slots, contextSlots: number[], channelSlot, models: [{ id, slot }], adaptive: [{ id, slot }],
 *                  journeys: [{ valueId, slot }] }
 *                slot 0 is `now`, 1..4 propensity, value, context weight, lever (FACTOR_SLOTS)
 *   programs     programsToBundle(...) (src/compile/expr/bytecode.ts)
 *   rules        [{ name, tier, owner, source, at? }]            for explanations
 *   groups       [{ id, description?, lever }]
 *   sets         string[]                                        mutually exclusive sets
 *   actions      [{ id, kind, group, issue?, description?, channels, mandatory, lever,
 *                   rules: [[rule, program], ...] (tier order), tiers: [nElig, nAppl, nSuit],
 *                   propensity, value, context, priority (program indices),
 *                   suppresses: action[], sets: set[], checks: [[policy, tracker], ...] }]
 *   policies     [{ id, description?, kind, n, windowMs, forMs, outcomes, channel, scope, each }]
 *   trackers     [{ policy, action, offset }]                     offset in the contacts section
 *   contactsSize bytes of the state section `contacts`
 *   arbitration  { priority, limit, channelLimits, minPriority? }
 *   triggers     [{ id, journey, channel, limit, description? }]
 *
 * Every index, slot, offset and program kind is checked by validateDecisions;
 * a failure is BUNDLE_INVALID naming the field.
 */
import { NextbestError } from '../errors.js';
import { describe } from '../bundle/binary.js';
import { validatePrograms, type ProgramSet } from '../compile/expr/bytecode.js';
import type { ModelTable } from '../models/registry.js';
import { section, type StateLayout } from '../state/layout.js';
import { LIMIT_CEILINGS } from '../limits.js';

export const DECISIONS_VERSION = 1;

/** Kernel stage codes (assembly/decide/arbitrate.ts STAGE_*), by index. */
export const STAGES = [
  'selected',
  'channel',
  'eligibility',
  'applicability',
  'suitability',
  'policy',
  'propensity',
  'value',
  'context',
  'priority',
  'suppression',
  'exclusion',
  'limit',
] as const;
export type Stage = (typeof STAGES)[number];
export const STAGE = Object.fromEntries(STAGES.map((s, i) => [s, i])) as Record<Stage, number>;

export const TIERS = ['eligibility', 'applicability', 'suitability'] as const;
export type Tier = (typeof TIERS)[number];

/** Contact outcomes; the kernel's outcome bit is 1 << index. */
export const OUTCOMES = ['impression', 'accept', 'reject'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const ACTION_KINDS = ['sale', 'service'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** Reasons of the number stages (propensity, value, context, priority). */
export const NUMBER_REASONS = ['missing', 'infinite', 'belowMinimum', 'notAdmitted'] as const;
/** Reasons of the limit stage. */
export const LIMIT_REASONS = ['channelFull', 'actionPlaced', 'cap'] as const;

/** Frame slots every decision frame has. */
export const SLOT_NOW = 0;
export const FACTOR_SLOTS = { propensity: 1, value: 2, context: 3, lever: 4 } as const;
export const FIRST_FREE_SLOT = 5;

export const MAX_ACTIONS = LIMIT_CEILINGS.actions;
export const MAX_CHANNELS = 64;
export const MAX_DECISION_MODELS = 64;
export const MAX_POLICIES = LIMIT_CEILINGS.policies;
export const MAX_SETS = 4096;
export const MAX_RULES_PER_ACTION = LIMIT_CEILINGS.rules;
/** A policy counts at most this many events (`max`, `after`). */
export const MAX_POLICY_COUNT = 255;
/** Longest policy window or suppression (ten years), in ms. */
export const MAX_POLICY_MS = 3650 * 86_400_000;
export const MAX_TRIGGERS = 4096;
/** No channel limit. */
export const UNLIMITED = 0x7fffffff;

export interface RuleInfo {
  /** Name for explanations: the spec's key, or `<owner>.<tier>[i]`. */
  name: string;
  tier: Tier;
  /** Where it was declared: `action fix_connection` or `group retention`. */
  owner: string;
  /** Expression text. */
  source: string;
  /** file:line:column of the expression in the spec. */
  at?: string;
}

export interface ActionTable {
  id: string;
  kind: ActionKind;
  /** Group index, or -1. */
  group: number;
  issue?: string;
  description?: string;
  /** Channel indices (ascending); every channel when the bundle has none. */
  channels: number[];
  mandatory: boolean;
  /** The lever factor: (1 + action%/100) * (1 + group%/100). */
  lever: number;
  /** [rule index, program index] in tier order. */
  rules: [number, number][];
  /** Rules per tier: eligibility, applicability, suitability. */
  tiers: [number, number, number];
  propensity: number;
  value: number;
  context: number;
  priority: number;
  /** Actions this one suppresses while it is a surviving candidate (ascending, never itself). */
  suppresses: number[];
  /** Mutually exclusive sets it belongs to (ascending). */
  sets: number[];
  /** [policy, tracker] per policy that applies to it, in policy order. */
  checks: [number, number][];
  /** Derived at load: the frame.adaptive model its propensity reads, or -1. */
  adaptive: number;
}

export interface GroupTable {
  id: string;
  description?: string;
  /** Lever in percent. */
  lever: number;
}

export type PolicyKind = 'cap' | 'suppress';

export interface PolicyTable {
  id: string;
  description?: string;
  kind: PolicyKind;
  /** cap: at most n per window; suppress: after n within window. */
  n: number;
  /** Whole seconds, in ms. */
  windowMs: number;
  /** suppress: how long, in ms (whole seconds); cap: 0. */
  forMs: number;
  /** Bit per OUTCOMES index counted. */
  outcomes: number;
  /** Channel index, or -1 for all channels. */
  channel: number;
  /** Readable scope: `all actions`, `group retention`, ... */
  scope: string;
  /** Each action keeps its own history. */
  each: boolean;
}

export interface TrackerTable {
  policy: number;
  /** The action whose history it is (`each` policies), or -1 (shared by the scope). */
  action: number;
  /** Byte offset in the contacts section. */
  offset: number;
}

export interface TriggerTable {
  id: string;
  journey: string;
  /** Channel index, or -1 (every channel). */
  channel: number;
  limit: number;
  /** Fixed context fields of the decisions it requests (category names or numbers; never `now` or `channel`). */
  context?: Record<string, string | number>;
  description?: string;
}

export interface FrameLayout {
  slots: number;
  /** Slot of each context field (schema order). */
  contextSlots: number[];
  /** Slot of context.channel, or -1. */
  channelSlot: number;
  /** Models read by decision programs: outputs at slot .. slot + nOutputs - 1. */
  models: { id: string; slot: number }[];
  /**
   * Adaptive models learning per action (or action and channel) that
   * propensities read: one slot each, which the kernel fills for each
   * candidate with the explored propensity of the candidate's own instance.
   */
  adaptive: { id: string; slot: number }[];
  /** Journey values read by decision programs (filled from the customer state when journeys are in the bundle). */
  journeys: { valueId: number; slot: number }[];
}

export interface ArbitrationTable {
  /** Priority expression text (the program is per action). */
  priority: string;
  /** Default actions per channel. */
  limit: number;
  /** Hard limit per channel (UNLIMITED when none). */
  channelLimits: number[];
  minPriority?: number;
}

export interface DecisionTables {
  channels: string[];
  frame: FrameLayout;
  programs: ProgramSet;
  rules: RuleInfo[];
  groups: GroupTable[];
  sets: string[];
  actions: ActionTable[];
  policies: PolicyTable[];
  trackers: TrackerTable[];
  contactsSize: number;
  arbitration: ArbitrationTable;
  triggers: TriggerTable[];
}

/** Bytes a tracker of this policy takes in the customer state. */
export function trackerBytes(p: Pick<PolicyTable, 'kind' | 'n'>): number {
  return 4 * p.n + (p.kind === 'suppress' && p.n >= 2 ? 4 : 0);
}

const opt = <T>(k: string, v: T | undefined) => (v === undefined ? {} : { [k]: v });

export function decisionsToBundle(t: Omit<DecisionTables, 'programs'>, programs: Record<string, unknown>): Record<string, unknown> {
  return {
    version: DECISIONS_VERSION,
    channels: t.channels,
    frame: t.frame,
    programs,
    rules: t.rules.map((r) => ({ name: r.name, tier: r.tier, owner: r.owner, source: r.source, ...opt('at', r.at) })),
    groups: t.groups.map((g) => ({ id: g.id, lever: g.lever, ...opt('description', g.description) })),
    sets: t.sets,
    actions: t.actions.map((a) => ({
      id: a.id,
      kind: a.kind,
      group: a.group,
      ...opt('issue', a.issue),
      ...opt('description', a.description),
      channels: a.channels,
      mandatory: a.mandatory,
      lever: a.lever,
      rules: a.rules,
      tiers: a.tiers,
      propensity: a.propensity,
      value: a.value,
      context: a.context,
      priority: a.priority,
      suppresses: a.suppresses,
      sets: a.sets,
      checks: a.checks,
    })),
    policies: t.policies.map((p) => ({ ...p, ...(p.description === undefined ? {} : { description: p.description }) })),
    trackers: t.trackers,
    contactsSize: t.contactsSize,
    arbitration: t.arbitration,
    triggers: t.triggers,
  };
}

// ---- validation

function invalid(msg: string): never {
  throw new NextbestError('BUNDLE_INVALID', `decisions.${msg}`);
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) invalid(`${what}: expected a map, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

function arr(v: unknown, what: string, max: number): unknown[] {
  if (!Array.isArray(v)) invalid(`${what}: expected an array, got ${describe(v)}`);
  if ((v as unknown[]).length > max) invalid(`${what}: ${(v as unknown[]).length} entries, more than ${max}`);
  return v as unknown[];
}

function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) invalid(`${what}: expected an integer in [${min}, ${max}], got ${describe(v)}`);
  return v as number;
}

function num(v: unknown, what: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) invalid(`${what}: expected a finite number in [${min}, ${max}], got ${describe(v)}`);
  return v as number;
}

function str(v: unknown, what: string, max = 1 << 16): string {
  if (typeof v !== 'string' || v.length > max) invalid(`${what}: expected a string of at most ${max} characters, got ${describe(v)}`);
  return v as string;
}

function optStr(v: unknown, what: string): string | undefined {
  return v === undefined ? undefined : str(v, what);
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') invalid(`${what}: expected true or false, got ${describe(v)}`);
  return v as boolean;
}

function oneOf<T extends string>(v: unknown, values: readonly T[], what: string): T {
  if (typeof v !== 'string' || !values.includes(v as T)) invalid(`${what}: expected one of ${values.join(', ')}, got ${describe(v)}`);
  return v as T;
}

/** Strictly ascending integers in [0, bound). */
function indexList(v: unknown, what: string, bound: number): number[] {
  const xs = arr(v, what, bound).map((x, i) => int(x, `${what}[${i}]`, 0, bound - 1));
  for (let i = 1; i < xs.length; i++) if (xs[i]! <= xs[i - 1]!) invalid(`${what}: indices must be strictly ascending`);
  return xs;
}

function pairs(v: unknown, what: string, max: number): [unknown, unknown][] {
  return arr(v, what, max).map((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) invalid(`${what}[${i}]: expected a pair`);
    return p as [unknown, unknown];
  });
}

/** The state section that holds the contact history. */
export const CONTACTS_SECTION = 'contacts';

/**
 * Validates a decoded `decisions` section against the bundle's feature count,
 * context field count, models and state layout (which must hold the contact
 * history the policies need); checks every program against the frame.
 */
export function validateDecisions(
  decisions: unknown,
  bounds: {
    features: number;
    contextFields: number;
    models: readonly ModelTable[];
    channelDictionary?: readonly string[];
    state: StateLayout | undefined;
    /** Journey values the engine can read (src/compile/journey/bindings.ts ids); 0 without journeys. */
    journeyValues?: number;
    /** Ids of the bundle's journeys (patterns), which triggers may name. */
    journeyIds?: readonly string[];
    /** The context fields (name, type, dictionary), which triggers may set. */
    contextDefs?: readonly { name: string; type: string; categories?: readonly string[] }[];
  },
): DecisionTables {
  const o = obj(decisions, 'section');
  if (o.version !== DECISIONS_VERSION) invalid(`version: this engine reads version ${DECISIONS_VERSION}, got ${describe(o.version)}`);

  const channels = arr(o.channels, 'channels', MAX_CHANNELS).map((c, i) => str(c, `channels[${i}]`, 256));
  if (new Set(channels).size !== channels.length) invalid('channels: names repeat');
  if (bounds.channelDictionary !== undefined || channels.length > 0) {
    const dict = bounds.channelDictionary ?? [];
    if (dict.length !== channels.length || dict.some((c, i) => c !== channels[i])) {
      invalid('channels: must be the dictionary of the context field `channel`');
    }
  }
  const nChannels = Math.max(1, channels.length);

  // Frame: fixed slots, then context fields, models and journey values, none overlapping.
  const f = obj(o.frame, 'frame');
  const slots = int(f.slots, 'frame.slots', FIRST_FREE_SLOT, 1 << 20);
  const owner = new Int8Array(slots);
  owner.fill(1, 0, FIRST_FREE_SLOT);
  const claim = (slot: number, n: number, what: string) => {
    if (slot < FIRST_FREE_SLOT || slot + n > slots) invalid(`${what}: slots [${slot}, ${slot + n}) are outside the free frame [${FIRST_FREE_SLOT}, ${slots})`);
    for (let s = slot; s < slot + n; s++) {
      if (owner[s]) invalid(`${what}: slot ${s} is used twice`);
      owner[s] = 1;
    }
  };
  const contextSlots = arr(f.contextSlots, 'frame.contextSlots', bounds.contextFields).map((s, i) => {
    const slot = int(s, `frame.contextSlots[${i}]`, 0, slots - 1);
    claim(slot, 1, `frame.contextSlots[${i}]`);
    return slot;
  });
  if (contextSlots.length !== bounds.contextFields) invalid(`frame.contextSlots: ${contextSlots.length} slots for ${bounds.contextFields} context fields`);
  const channelSlot = int(f.channelSlot, 'frame.channelSlot', -1, slots - 1);
  if (channelSlot >= 0 && !contextSlots.includes(channelSlot)) invalid('frame.channelSlot: must be the slot of a context field');
  if ((channels.length > 0) !== channelSlot >= 0) invalid('frame.channelSlot: set exactly when the bundle has channels');
  const modelById = new Map(bounds.models.map((m) => [m.id, m]));
  const seenModels = new Set<string>();
  const models = arr(f.models, 'frame.models', MAX_DECISION_MODELS).map((m, i) => {
    const mo = obj(m, `frame.models[${i}]`);
    const id = str(mo.id, `frame.models[${i}].id`, 64);
    const table = modelById.get(id);
    if (!table) invalid(`frame.models[${i}]: no model "${id}" in the bundle`);
    if (seenModels.has(id)) invalid(`frame.models[${i}]: model "${id}" appears twice`);
    seenModels.add(id);
    const slot = int(mo.slot, `frame.models[${i}].slot`, 0, slots - 1);
    claim(slot, table!.nOutputs, `frame.models[${i}] ("${id}")`);
    return { id, slot };
  });
  const seenAdaptive = new Set<string>();
  const adaptive = arr(f.adaptive, 'frame.adaptive', MAX_DECISION_MODELS).map((m, i) => {
    const mo = obj(m, `frame.adaptive[${i}]`);
    const id = str(mo.id, `frame.adaptive[${i}].id`, 64);
    const table = modelById.get(id);
    if (!table || table.kind !== 'adaptive' || table.instances === 'model') invalid(`frame.adaptive[${i}]: "${id}" is not an adaptive model with instances per action`);
    if (table.instances === 'action_channel' && channels.length === 0) invalid(`frame.adaptive[${i}]: "${id}" learns per channel, and the bundle has no channels`);
    if (seenAdaptive.has(id) || seenModels.has(id)) invalid(`frame.adaptive[${i}]: model "${id}" appears twice`);
    seenAdaptive.add(id);
    const slot = int(mo.slot, `frame.adaptive[${i}].slot`, 0, slots - 1);
    claim(slot, 1, `frame.adaptive[${i}] ("${id}")`);
    return { id, slot };
  });
  const journeys = arr(f.journeys, 'frame.journeys', 1 << 16).map((j, i) => {
    const jo = obj(j, `frame.journeys[${i}]`);
    const slot = int(jo.slot, `frame.journeys[${i}].slot`, 0, slots - 1);
    claim(slot, 1, `frame.journeys[${i}]`);
    const nValues = bounds.journeyValues ?? 0;
    if (nValues === 0) invalid(`frame.journeys[${i}]: this bundle has no journeys to read values from`);
    return { valueId: int(jo.valueId, `frame.journeys[${i}].valueId`, 0, nValues - 1), slot };
  });
  const frame: FrameLayout = { slots, contextSlots, channelSlot, models, adaptive, journeys };

  let programs: ProgramSet;
  try {
    programs = validatePrograms(o.programs, { frameSlots: slots, features: bounds.features });
  } catch (e) {
    if (e instanceof NextbestError) invalid(`programs: ${e.message}`);
    throw e;
  }
  const nPrograms = programs.programs.length;
  const adaptiveSlots = new Map(frame.adaptive.map((m, i) => [m.slot, i]));
  const program = (v: unknown, what: string, kind: 'bool' | 'number'): number => {
    const p = int(v, what, 0, nPrograms - 1);
    if (programs.programs[p]!.resultKind !== kind) invalid(`${what}: program ${p} returns a ${programs.programs[p]!.resultKind}, not a ${kind}`);
    return p;
  };

  const rules = arr(o.rules, 'rules', 1 << 20).map((r, i) => {
    const ro = obj(r, `rules[${i}]`);
    return {
      name: str(ro.name, `rules[${i}].name`, 1024),
      tier: oneOf(ro.tier, TIERS, `rules[${i}].tier`),
      owner: str(ro.owner, `rules[${i}].owner`, 1024),
      source: str(ro.source, `rules[${i}].source`),
      ...(ro.at === undefined ? {} : { at: str(ro.at, `rules[${i}].at`, 4096) }),
    } as RuleInfo;
  });

  const groups = arr(o.groups, 'groups', MAX_ACTIONS).map((g, i) => {
    const go = obj(g, `groups[${i}]`);
    const description = optStr(go.description, `groups[${i}].description`);
    return { id: str(go.id, `groups[${i}].id`, 256), lever: num(go.lever, `groups[${i}].lever`, -100, 1e6), ...(description === undefined ? {} : { description }) };
  });
  const sets = arr(o.sets, 'sets', MAX_SETS).map((s, i) => str(s, `sets[${i}]`, 256));

  const policies = arr(o.policies, 'policies', MAX_POLICIES).map((p, i) => {
    const w = `policies[${i}]`;
    const po = obj(p, w);
    const kind = oneOf(po.kind, ['cap', 'suppress'] as const, `${w}.kind`);
    const n = int(po.n, `${w}.n`, 1, MAX_POLICY_COUNT);
    const windowMs = int(po.windowMs, `${w}.windowMs`, 0, MAX_POLICY_MS);
    const forMs = int(po.forMs, `${w}.forMs`, 0, MAX_POLICY_MS);
    if (windowMs % 1000 !== 0 || forMs % 1000 !== 0) invalid(`${w}: windows are whole seconds`);
    if (kind === 'cap' && (windowMs < 1000 || forMs !== 0)) invalid(`${w}: a cap has a window of at least 1s and no suppression time`);
    if (kind === 'suppress' && (forMs < 1000 || (n >= 2 && windowMs < 1000))) invalid(`${w}: a suppression lasts at least 1s, and counting 2 or more events needs a window`);
    const description = optStr(po.description, `${w}.description`);
    return {
      id: str(po.id, `${w}.id`, 256),
      ...(description === undefined ? {} : { description }),
      kind,
      n,
      windowMs,
      forMs,
      outcomes: int(po.outcomes, `${w}.outcomes`, 1, (1 << OUTCOMES.length) - 1),
      channel: int(po.channel, `${w}.channel`, -1, channels.length - 1),
      scope: str(po.scope, `${w}.scope`, 4096),
      each: bool(po.each, `${w}.each`),
    } as PolicyTable;
  });

  const rawActions = arr(o.actions, 'actions', MAX_ACTIONS);
  const nActions = rawActions.length;
  const contactsSize = int(o.contactsSize, 'contactsSize', 0, 1 << 20);
  const contacts = bounds.state && section(bounds.state, CONTACTS_SECTION);
  if (!bounds.state) throw new NextbestError('BUNDLE_INVALID', 'a bundle with decisions has a state layout (section contacts)');
  if (!contacts || contacts.size !== contactsSize) {
    throw new NextbestError('BUNDLE_INVALID', `state: the contacts section must be ${contactsSize} bytes, as the policies need; got ${contacts ? contacts.size : 'none'}`);
  }
  const used = new Uint8Array(contactsSize);
  const trackers = arr(o.trackers, 'trackers', 1 << 20).map((t, i) => {
    const to = obj(t, `trackers[${i}]`);
    const policy = int(to.policy, `trackers[${i}].policy`, 0, policies.length - 1);
    const offset = int(to.offset, `trackers[${i}].offset`, 0, contactsSize);
    const size = trackerBytes(policies[policy]!);
    if (offset % 4 !== 0 || offset + size > contactsSize) invalid(`trackers[${i}]: [${offset}, ${offset + size}) is misaligned or outside the contacts section (${contactsSize} bytes)`);
    for (let b = offset; b < offset + size; b++) {
      if (used[b]) invalid(`trackers[${i}]: overlaps another tracker at byte ${b}`);
      used[b] = 1;
    }
    const action = int(to.action, `trackers[${i}].action`, -1, MAX_ACTIONS - 1);
    if (action >= nActions) invalid(`trackers[${i}].action: no action ${action}`);
    if (policies[policy]!.each !== action >= 0) invalid(`trackers[${i}]: an \`each\` policy's tracker belongs to one action, a shared one to none`);
    return { policy, action, offset };
  });

  const ids = new Set<string>();
  const actions = rawActions.map((a, i) => {
    const w = `actions[${i}]`;
    const ao = obj(a, w);
    const id = str(ao.id, `${w}.id`, 256);
    if (ids.has(id)) invalid(`${w}: id "${id}" repeats`);
    ids.add(id);
    const tiers = arr(ao.tiers, `${w}.tiers`, 3).map((x, k) => int(x, `${w}.tiers[${k}]`, 0, MAX_RULES_PER_ACTION)) as [number, number, number];
    if (tiers.length !== 3) invalid(`${w}.tiers: expected 3 counts`);
    const ruleRefs = pairs(ao.rules, `${w}.rules`, MAX_RULES_PER_ACTION).map(([r, p], k) => {
      const rule = int(r, `${w}.rules[${k}][0]`, 0, rules.length - 1);
      return [rule, program(p, `${w}.rules[${k}][1]`, 'bool')] as [number, number];
    });
    if (ruleRefs.length !== tiers[0] + tiers[1] + tiers[2]) invalid(`${w}.rules: ${ruleRefs.length} rules, but the tiers count ${tiers[0] + tiers[1] + tiers[2]}`);
    ruleRefs.forEach(([r], k) => {
      const tier = k < tiers[0] ? 0 : k < tiers[0] + tiers[1] ? 1 : 2;
      if (rules[r]!.tier !== TIERS[tier]) invalid(`${w}.rules[${k}]: rule ${r} is a ${rules[r]!.tier} rule in the ${TIERS[tier]} tier`);
    });
    const checks = pairs(ao.checks, `${w}.checks`, MAX_POLICIES).map(([p, t], k) => {
      const policy = int(p, `${w}.checks[${k}][0]`, 0, policies.length - 1);
      const tracker = int(t, `${w}.checks[${k}][1]`, 0, trackers.length - 1);
      if (trackers[tracker]!.policy !== policy) invalid(`${w}.checks[${k}]: tracker ${tracker} belongs to policy ${trackers[tracker]!.policy}, not ${policy}`);
      const owner = trackers[tracker]!.action;
      if (policies[policy]!.each ? owner !== i : owner !== -1) invalid(`${w}.checks[${k}]: tracker ${tracker} is not this action's for policy ${policy}`);
      return [policy, tracker] as [number, number];
    });
    for (let k = 1; k < checks.length; k++) if (checks[k]![0] <= checks[k - 1]![0]) invalid(`${w}.checks: policies must be strictly ascending`);
    const suppresses = indexList(ao.suppresses, `${w}.suppresses`, nActions);
    if (suppresses.includes(i)) invalid(`${w}.suppresses: an action cannot suppress itself`);
    const issue = optStr(ao.issue, `${w}.issue`);
    const description = optStr(ao.description, `${w}.description`);
    const channelList = indexList(ao.channels, `${w}.channels`, nChannels);
    if (channelList.length === 0) invalid(`${w}.channels: an action is offered on at least one channel`);
    const propensity = program(ao.propensity, `${w}.propensity`, 'number');
    // Adaptive slots are filled per candidate just before the propensity runs: no other program may read them.
    const reads = programs.programs[propensity]!.slotsRead.filter((s) => adaptiveSlots.has(s));
    if (reads.length > 1) invalid(`${w}.propensity: reads ${reads.length} adaptive models; a propensity reads at most one`);
    return {
      id,
      kind: oneOf(ao.kind, ACTION_KINDS, `${w}.kind`),
      group: int(ao.group, `${w}.group`, -1, groups.length - 1),
      ...(issue === undefined ? {} : { issue }),
      ...(description === undefined ? {} : { description }),
      channels: channelList,
      mandatory: bool(ao.mandatory, `${w}.mandatory`),
      lever: num(ao.lever, `${w}.lever`, 0, 1e12),
      rules: ruleRefs,
      tiers,
      propensity,
      value: program(ao.value, `${w}.value`, 'number'),
      context: program(ao.context, `${w}.context`, 'number'),
      priority: program(ao.priority, `${w}.priority`, 'number'),
      suppresses,
      sets: indexList(ao.sets, `${w}.sets`, sets.length),
      checks,
      adaptive: reads.length ? adaptiveSlots.get(reads[0]!)! : -1,
    } as ActionTable;
  });
  for (const a of actions) {
    for (const p of [...a.rules.map(([, prog]) => prog), a.value, a.context, a.priority]) {
      if (programs.programs[p]!.slotsRead.some((s) => adaptiveSlots.has(s))) invalid(`actions: "${a.id}" reads an adaptive propensity outside its propensity (program ${p})`);
    }
  }

  const ab = obj(o.arbitration, 'arbitration');
  const channelLimits = arr(ab.channelLimits, 'arbitration.channelLimits', MAX_CHANNELS).map((x, i) => int(x, `arbitration.channelLimits[${i}]`, 0, UNLIMITED));
  if (channelLimits.length !== nChannels) invalid(`arbitration.channelLimits: ${channelLimits.length} entries for ${nChannels} channels`);
  const arbitration: ArbitrationTable = {
    priority: str(ab.priority, 'arbitration.priority'),
    limit: int(ab.limit, 'arbitration.limit', 0, UNLIMITED),
    channelLimits,
    ...(ab.minPriority === undefined ? {} : { minPriority: num(ab.minPriority, 'arbitration.minPriority') }),
  };

  const triggers = arr(o.triggers, 'triggers', MAX_TRIGGERS).map((t, i) => {
    const to = obj(t, `triggers[${i}]`);
    const description = optStr(to.description, `triggers[${i}].description`);
    const channel = int(to.channel, `triggers[${i}].channel`, -1, channels.length - 1);
    return {
      id: str(to.id, `triggers[${i}].id`, 256),
      journey: journeyId(str(to.journey, `triggers[${i}].journey`, 256), `triggers[${i}].journey`, bounds.journeyIds ?? []),
      channel,
      limit: int(to.limit, `triggers[${i}].limit`, 0, UNLIMITED),
      ...(to.context === undefined ? {} : { context: triggerContext(to.context, `triggers[${i}].context`, bounds.contextDefs ?? []) }),
      ...(description === undefined ? {} : { description }),
    } as TriggerTable;
  });

  return { channels, frame, programs, rules, groups, sets, actions, policies, trackers, contactsSize, arbitration, triggers };
}

/** A trigger's fixed context fields: known fields other than now and channel, values of their type. */
function triggerContext(v: unknown, what: string, defs: readonly { name: string; type: string; categories?: readonly string[] }[]): Record<string, string | number> {
  const o = obj(v, what);
  const out: Record<string, string | number> = {};
  const keys = Object.keys(o);
  if (keys.length > defs.length) invalid(`${what}: ${keys.length} fields, the context has ${defs.length}`);
  for (const k of keys) {
    const def = defs.find((d) => d.name === k);
    if (def === undefined || k === 'channel') invalid(`${what}: "${k.slice(0, 64)}" is not a context field a trigger may set`);
    const x = o[k];
    if (def.type === 'numeric') out[k] = num(x, `${what}.${k}`);
    else if (def.categories) {
      const c = str(x, `${what}.${k}`, 256);
      if (!def.categories.includes(c)) invalid(`${what}.${k}: "${c.slice(0, 64)}" is not one of its categories`);
      out[k] = c;
    } else out[k] = int(x, `${what}.${k}`, 0, 2 ** 24 - 1);
  }
  return out;
}

function journeyId(id: string, what: string, ids: readonly string[]): string {
  if (!ids.includes(id)) invalid(`${what}: "${id.slice(0, 64)}" is not a journey of this bundle${ids.length ? ` (${ids.slice(0, 10).join(', ')})` : ''}`);
  return id;
}
