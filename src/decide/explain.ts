/**
 * Explanations from the kernel's candidate records: for every action (on
 * every requested channel) the stage where it dropped out and the rule,
 * policy, set or action responsible, or its factors. Built only when a
 * decision is asked to explain; the records themselves are the kernel's.
 */
import {
  LIMIT_REASONS,
  NUMBER_REASONS,
  OUTCOMES,
  STAGE,
  STAGES,
  type DecisionTables,
  type PolicyTable,
} from './tables.js';
import type { ActionInfo, CandidateExplanation, Factors, PolicyExplanation, RuleExplanation } from './types.js';

/** One candidate as the kernel (or its reference twin) leaves it. */
export interface CandidateRecord {
  action: number;
  channel: number;
  stage: number;
  reason: number;
  reason2: number;
  mandatory: boolean;
  propensity: number;
  value: number;
  context: number;
  lever: number;
  priority: number;
  /** Adaptive propensities: the model's propensity before exploration, and its score bin. */
  modelPropensity: number;
  scoreBin: number;
  /** Adaptive, while the model's exposure ramp holds the action back: its chance of admission (set by the decider for explanations). */
  exposure?: number;
}

const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** 604800000 -> "7d" (the largest unit that divides it), 90000 -> "90s". */
export function formatDuration(ms: number): string {
  for (const [u, size] of UNITS) if (ms % size === 0 && ms >= size) return `${ms / size}${u}`;
  return `${ms}ms`;
}

function outcomeWords(mask: number, n: number): string {
  const words = OUTCOMES.filter((_, i) => (mask >> i) & 1).map((o) => (n === 1 ? o : o === 'accept' ? 'accepts' : `${o}s`));
  return words.join(' or ');
}

/** What a policy says, in words. */
export function policyText(p: PolicyTable, channels: readonly string[]): string {
  const on = p.channel >= 0 ? ` on ${channels[p.channel]}` : '';
  const what = outcomeWords(p.outcomes, p.n);
  const rule =
    p.kind === 'cap'
      ? `at most ${p.n} ${what}${on} per ${formatDuration(p.windowMs)}`
      : p.n === 1
        ? `suppress for ${formatDuration(p.forMs)} after ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}${on}`
        : `suppress for ${formatDuration(p.forMs)} after ${p.n} ${what}${on} within ${formatDuration(p.windowMs)}`;
  return `${rule}; ${p.scope}`;
}

/** Rule and policy explanations of a bundle, built once and shared (frozen) by every explanation. */
const described = new WeakMap<DecisionTables, { rules: readonly RuleExplanation[]; policies: readonly PolicyExplanation[] }>();

function descriptions(t: DecisionTables) {
  let d = described.get(t);
  if (!d) {
    d = {
      rules: t.rules.map((r) => Object.freeze({ name: r.name, tier: r.tier, owner: r.owner, expression: r.source, ...(r.at ? { at: r.at } : {}) })),
      policies: t.policies.map((p) =>
        Object.freeze({ id: p.id, kind: p.kind, text: policyText(p, t.channels), ...(p.description === undefined ? {} : { description: p.description }) }),
      ),
    };
    described.set(t, d);
  }
  return d;
}

const infos = new WeakMap<DecisionTables, readonly ActionInfo[]>();

/** What the bundle says about each action (engine.actions), built once, frozen. */
export function actionInfos(t: DecisionTables): readonly ActionInfo[] {
  let out = infos.get(t);
  if (!out) {
    const rules = descriptions(t).rules;
    out = Object.freeze(
      t.actions.map((a) =>
        Object.freeze({
          id: a.id,
          kind: a.kind,
          ...(a.group >= 0 ? { group: t.groups[a.group]!.id } : {}),
          ...(a.issue === undefined ? {} : { issue: a.issue }),
          ...(a.description === undefined ? {} : { description: a.description }),
          channels: Object.freeze(t.channels.length === 0 ? [] : a.channels.map((c) => t.channels[c]!)),
          mandatory: a.mandatory,
          rules: Object.freeze(a.rules.map(([r]) => rules[r]!)),
        }),
      ),
    );
    infos.set(t, out);
  }
  return out;
}

export function policyExplanation(t: DecisionTables, i: number): PolicyExplanation {
  return descriptions(t).policies[i]!;
}

/** Numbers in reasons are exact: the shortest text that reads back as the same double. */
/** Six significant digits for sentences; the exact numbers are in `factors`. */
const fmt = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x));

export function explainCandidate(t: DecisionTables, r: CandidateRecord, rank: number | undefined): CandidateExplanation {
  const a = t.actions[r.action]!;
  const stage = STAGES[r.stage] ?? 'selected';
  const channelName = r.channel >= 0 && t.channels.length > 0 ? t.channels[r.channel] : undefined;
  const out: CandidateExplanation = { action: a.id, stage, reason: '' };
  if (channelName !== undefined) out.channel = channelName;
  const reached = r.stage === STAGE.selected ? STAGE.limit : r.stage;
  const notAdmitted = r.stage === STAGE.propensity && NUMBER_REASONS[r.reason] === 'notAdmitted';
  if (reached >= STAGE.propensity) {
    const factors: Factors = a.adaptive >= 0 ? { modelPropensity: r.modelPropensity } : {};
    if (r.exposure !== undefined) factors.exposure = r.exposure;
    if (!notAdmitted) factors.propensity = r.propensity;
    if (reached >= STAGE.value) factors.value = r.value;
    if (reached >= STAGE.context) factors.context = r.context;
    if (reached >= STAGE.priority) {
      factors.lever = r.lever;
      factors.priority = r.priority;
    }
    out.factors = factors;
  }
  const where = channelName ? ` on ${channelName}` : '';
  switch (stage) {
    case 'selected':
      out.rank = rank!;
      out.reason = `selected${where}, rank ${rank}${a.mandatory ? ' (mandatory)' : ''}: priority ${fmt(r.priority)} (propensity ${fmt(r.propensity)}${
        a.adaptive >= 0 ? ` from adaptive model ${t.frame.adaptive[a.adaptive]!.id} at ${fmt(r.modelPropensity)} before exploration` : ''
      }, context ${fmt(r.context)}, value ${fmt(r.value)}, lever ${fmt(r.lever)})${
        r.exposure !== undefined ? `; admitted by the exposure ramp with probability ${fmt(r.exposure)}` : ''
      }`;
      break;
    case 'channel':
      out.reason =
        t.channels.length === 0 ? 'not offered' : `not offered on ${channelName ?? 'the requested channels'} (offered on ${a.channels.map((c) => t.channels[c]).join(', ')})`;
      break;
    case 'eligibility':
    case 'applicability':
    case 'suitability': {
      out.rule = descriptions(t).rules[r.reason]!;
      out.reason = `${stage} rule ${out.rule.name} (${out.rule.owner}) is false: ${out.rule.expression}`;
      break;
    }
    case 'policy': {
      out.policy = policyExplanation(t, r.reason);
      out.reason = `blocked by policy ${out.policy.id}${where}: ${out.policy.text}`;
      break;
    }
    case 'propensity':
    case 'value':
    case 'context':
    case 'priority': {
      const why = NUMBER_REASONS[r.reason];
      const x = stage === 'propensity' ? r.propensity : stage === 'value' ? r.value : stage === 'context' ? r.context : r.priority;
      out.reason =
        why === 'notAdmitted'
          ? `not admitted to this decision by the exposure ramp of adaptive model ${t.frame.adaptive[a.adaptive]!.id} (${
              r.exposure !== undefined ? `admission probability ${fmt(r.exposure)}, ` : ''
            }model propensity ${fmt(r.modelPropensity)})`
          : why === 'belowMinimum'
          ? `priority ${fmt(x)} is below the minimum ${fmt(t.arbitration.minPriority!)}`
          : `${stage === 'context' ? 'context weight' : stage} is ${why === 'missing' ? 'missing (NaN)' : fmt(x)}: dropped, a priority must be a finite number`;
      break;
    }
    case 'suppression': {
      const by = t.actions[r.reason]!;
      out.by = by.id;
      out.reason = `suppressed by ${by.id} (${by.kind}), which is a candidate too`;
      break;
    }
    case 'exclusion': {
      out.set = t.sets[r.reason]!;
      out.by = t.actions[r.reason2]!.id;
      out.reason = `mutually exclusive set ${out.set} went to ${out.by}, which ranks higher`;
      break;
    }
    case 'limit': {
      const why = LIMIT_REASONS[r.reason];
      if (why === 'actionPlaced') {
        out.by = a.id;
        out.reason = `already selected${t.channels.length ? ` on ${t.channels[r.reason2]}` : ''}, where it ranks higher`;
      } else if (why === 'cap') {
        out.policy = policyExplanation(t, r.reason2);
        out.reason = `policy ${out.policy.id} allows no more${where} in this decision: ${out.policy.text}`;
      } else {
        out.reason = `${channelName ?? 'the decision'} is full: higher-ranked actions took its places`;
      }
      break;
    }
  }
  return out;
}
