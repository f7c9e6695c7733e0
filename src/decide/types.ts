/**
 * The public shapes of decisions: requests, options, results, explanations
 * and contact records (docs/decisions.md, "API").
 */
import type { FeatureObject } from '../runtime/features.js';
import type { RecordResult } from '../adaptive/outcomes.js';
import type { ActionKind, Outcome, Stage, Tier, PolicyKind } from './tables.js';
import type { JourneyMatch } from '../runtime/journeys.js';
import type { JourneyFact } from './journey-explain.js';

/** The request context: `now` plus the bundle's context fields. */
export interface DecisionContext {
  /** Decision time, epoch milliseconds (required). */
  now: number;
  /**
   * The channel to decide for; a list decides for several channels at once
   * (each gets its own top-k, each action is placed at most once); omitted:
   * every channel of the bundle.
   */
  channel?: string | readonly string[];
  /** Other context fields of the bundle (categorical as strings, numeric as numbers). */
  [field: string]: unknown;
}

export interface DecisionRequest {
  /** Whose contact history to read (engine.decide). Omitted: a customer without history. */
  customerId?: string;
  /** Feature object by name, or a Float32Array in schema order. */
  features: FeatureObject | Float32Array;
  context: DecisionContext;
}

export interface DecideOptions {
  /** Actions per channel (default: the bundle's arbitration.limit; per-channel limits still apply). */
  limit?: number;
  /** Explain every action: the stage where it dropped out and why, or its factors. */
  explain?: boolean;
  /**
   * Seed of this decision's exploration (adaptive propensities): the same
   * seed, state and learning give the same decision. Default: the engine's
   * stream (seeded by the engine option learning.seed), which advances with
   * every decision.
   */
  seed?: number;
  /**
   * Also estimate, for each selected action, the probability that this
   * decision's policy selects it (over the exploration stream; request,
   * state and learning fixed), and keep the request for logging
   * (toLogRecord): `true` (200 re-runs of the decision per random pattern) or
   * `{ draws }`. Exact (1 run, or none) when the decision is deterministic.
   * Costs about `draws` kernel runs; the selected actions do not change.
   */
  probability?: boolean | { draws?: number };
  /**
   * Journey matches the caller kept (from observe or advance), for the
   * explanation: a journey's match is described with its events when its
   * time is the journey's latest match in the customer's state. Only read
   * with `explain`.
   */
  matches?: readonly JourneyMatch[];
}

/** One selected action, in rank order. */
export interface DecidedAction {
  id: string;
  kind: ActionKind;
  group?: string;
  issue?: string;
  /** The channel it was selected for (absent when the bundle has no channels). */
  channel?: string;
  /** 1-based rank in the decision (over all channels). */
  rank: number;
  mandatory: boolean;
  priority: number;
  propensity: number;
  value: number;
  /** The context weight. */
  context: number;
  lever: number;
  /** Adaptive propensities: the model's propensity before exploration (`propensity` is the explored one, which ranked). */
  modelPropensity?: number;
  /**
   * With the `probability` option: the probability that the policy selects
   * this action on this channel in this decision (1 when the decision is
   * deterministic); what a decision log records for offline evaluation.
   */
  probability?: number;
}

/** The request a decision was made for, as decided (with the `probability` option): what toLogRecord logs. */
export interface DecidedRequest {
  customerId?: string;
  /** The decision time, epoch milliseconds. */
  now: number;
  /** The features as encoded, by name (missing ones left out; see FeatureSchema.decode). */
  features: Record<string, number | string>;
  /** The context fields as given, without `now`. */
  context: Record<string, unknown>;
}

/** How the selection probabilities of a decision were obtained. */
export interface ProbabilityEstimate {
  /** Runs of the decision kernel made to estimate them (0: the decision drew nothing, so it is deterministic). */
  draws: number;
  /** True when every probability is exact (no Monte Carlo estimate in it). */
  exact: boolean;
}

export interface Decision {
  actions: DecidedAction[];
  /** When adaptive actions were selected for a customer: the decision's token in the decision log (record() may pass it). */
  token?: number;
  /** Present when asked for with { explain: true }. */
  explanation?: DecisionExplanation;
  /** With the `probability` option: how the actions' probabilities were obtained. */
  probabilityEstimate?: ProbabilityEstimate;
  /** With the `probability` option: the request as decided, for toLogRecord. */
  request?: DecidedRequest;
}

export interface RuleExplanation {
  name: string;
  tier: Tier;
  /** `action x` or `group g`. */
  owner: string;
  expression: string;
  /** file:line:column in the spec. */
  at?: string;
}

export interface PolicyExplanation {
  id: string;
  kind: PolicyKind;
  /** What the policy says, e.g. "at most 1 impression per 7d on email, all actions". */
  text: string;
  description?: string;
}

export interface Factors {
  /** Adaptive: the model's propensity before exploration. */
  modelPropensity?: number;
  /** Adaptive, while the model's exposure ramp holds the action back: the probability of being admitted to a decision. */
  exposure?: number;
  propensity?: number;
  value?: number;
  context?: number;
  lever?: number;
  priority?: number;
}

/** Why one action (on one channel) ended where it did. */
export interface CandidateExplanation {
  action: string;
  /** The channel of the candidate; absent when the action is on none of the requested channels or the bundle has none. */
  channel?: string;
  /** Where it dropped out, or 'selected'. */
  stage: Stage;
  /** 1-based rank when selected. */
  rank?: number;
  /** A sentence saying why. */
  reason: string;
  /** The rule that was false (eligibility, applicability, suitability); shared by every explanation of the engine, frozen. */
  rule?: RuleExplanation;
  /** The policy that blocked it (policy stage, or a cap used up within this decision at the limit stage); shared, frozen. */
  policy?: PolicyExplanation;
  /** The action that suppressed it, took its exclusive set, or its place (limit: placed on another channel). */
  by?: string;
  /** The mutually exclusive set (exclusion stage). */
  set?: string;
  /** The factors computed before it dropped out (all of them when it reached the ranking). */
  factors?: Factors;
  /**
   * Journeys behind it (ids of `DecisionExplanation.journeys`): those the
   * rule that dropped it reads; for a candidate that passed its rules, the
   * matched patterns and the aggregates they read; when suppressed, those of
   * the suppressing action.
   */
  journeys?: string[];
}

export interface DecisionExplanation {
  now: number;
  /** The channels decided for. */
  channels: string[];
  /** Every action x requested channel, in spec order (then channel order). */
  candidates: CandidateExplanation[];
  /** Outputs of the models the decision scored, by model id. */
  scores: Record<string, number[]>;
  /** When rules read journeys: what each of those journeys said at `now` (docs/decisions.md, "Journeys in decisions"). */
  journeys?: JourneyFact[];
}

/** What the bundle says about an action (engine.actions): for explanation screens and tooling. */
export interface ActionInfo {
  id: string;
  kind: ActionKind;
  group?: string;
  issue?: string;
  description?: string;
  /** The channels it is offered on (empty when the bundle has no channels). */
  channels: readonly string[];
  mandatory: boolean;
  /** Its rules in the order they run: tier by tier, the group's before its own. */
  rules: readonly RuleExplanation[];
}

/** A contact outcome to remember for the contact policies. */
export interface ContactRecord {
  customerId: string;
  actionId: string;
  /** Required when the bundle has channels and the action is offered on more than one. */
  channel?: string;
  outcome: Outcome;
  /** When it happened, epoch milliseconds (kept to the second). */
  at: number;
  /** The decision's token (Decision.token), to learn from that decision's offer; never required. */
  token?: number;
}

/** What engine.record did. */
export interface ContactRecordResult {
  /** When the bundle has adaptive models: whether and why an adaptive model learned from the outcome. */
  learning?: RecordResult;
}
