/**
 * Triggers at run time (docs/decisions.md, "Triggers"): a match of a journey
 * that a trigger names requests a decision on the trigger's channel. Every
 * call that reports matches (observe, observeState, advance, advanceState,
 * advanceAll) lists the requests on the match (`match.triggered`) and, unless
 * told `decide: false`, makes the decisions right away on the state after the
 * call, at the call's time (the event's time, or advance's `now`).
 *
 * Options are checked before the call changes any state, so a bad `decide`
 * option never leaves an event half observed.
 */
import { NextbestError } from '../errors.js';
import { describe } from '../bundle/binary.js';
import type { EncodeOptions, FeatureObject, FeatureSchema } from '../runtime/features.js';
import type { JourneyMatch } from '../runtime/journeys.js';
import type { TriggerTable } from './tables.js';
import type { Decisions } from './decider.js';
import type { DecideOptions, Decision, DecisionContext, DecisionRequest } from './types.js';

/** How the decisions that triggers request are made. */
export interface TriggerDecideOptions {
  /**
   * The customer's features for the decisions. Default: the `features` given
   * to observe; for advance calls, none (every feature missing).
   */
  features?: FeatureObject | Float32Array;
  /** More request context fields (not `now` or `channel`); a trigger's own `context` fields take precedence. */
  context?: Record<string, unknown>;
  /** Explain the decisions (their explanation describes the match that triggered them). */
  explain?: boolean;
  /** Seed of the decisions' exploration (adaptive propensities). */
  seed?: number;
}

/** `true` (the default): decide with the call's features; `false`: only list the requests; or how to decide. */
export type TriggerDecide = boolean | TriggerDecideOptions;

/** A decision a trigger requests for a match. */
export interface TriggerRequest {
  /** The trigger's id. */
  trigger: string;
  journey: string;
  /** When the journey matched (the match's time). */
  time: number;
  /** The trigger's channel (absent when the bundle has no channels). */
  channel?: string;
  /** Actions to decide: the trigger's `limit`. */
  limit: number;
  /** The decision's context: `now` (the time of the call), the channel, the trigger's context fields, the caller's. */
  context: DecisionContext;
  description?: string;
  /** The decision, when the call made it. */
  decision?: Decision;
  /** advanceAll with a per-customer `decide` function: why this customer's decisions could not be made (its option was refused). */
  error?: NextbestError;
}

/** A request with its decision (`decisions` of observe). */
export interface TriggeredDecision extends TriggerRequest {
  decision: Decision;
}

/** A checked `decide` option, ready to use. */
export interface TriggerPlan {
  run: boolean;
  /** Features for the decisions: undefined means the call's own (observe) or none (advance). */
  features: FeatureObject | Float32Array | undefined;
  context: Record<string, unknown> | undefined;
  options: DecideOptions;
}

const DECIDE_KEYS = new Set(['features', 'context', 'explain', 'seed']);
const NO_FEATURES: FeatureObject = Object.freeze({}) as FeatureObject;
const DEFAULT_PLAN: TriggerPlan = Object.freeze({ run: true, features: undefined, context: undefined, options: Object.freeze({}) as DecideOptions });
const LIST_ONLY: TriggerPlan = Object.freeze({ run: false, features: undefined, context: undefined, options: Object.freeze({}) as DecideOptions });

export class Triggers {
  /** Triggers by journey id, in bundle order. */
  private readonly byJourney = new Map<string, TriggerTable[]>();
  private readonly scratch: Float32Array;

  constructor(
    private readonly decisions: Decisions,
    private readonly schema: FeatureSchema,
    private readonly encode: EncodeOptions | undefined,
  ) {
    for (const t of decisions.tables.triggers) {
      const list = this.byJourney.get(t.journey);
      if (list) list.push(t);
      else this.byJourney.set(t.journey, [t]);
    }
    this.scratch = new Float32Array(schema.size);
  }

  /** Checks a `decide` option (OPTION_INVALID, CONTEXT_INVALID, FEATURE_*) before the call changes state. */
  plan(decide: unknown): TriggerPlan {
    if (decide === undefined || decide === true) return DEFAULT_PLAN;
    if (decide === false) return LIST_ONLY;
    if (decide === null || typeof decide !== 'object' || Array.isArray(decide)) {
      throw new NextbestError('OPTION_INVALID', `decide must be true, false or { features?, context?, explain?, seed? }, got ${describe(decide)}`);
    }
    const o = decide as TriggerDecideOptions;
    for (const k in o) {
      if (!DECIDE_KEYS.has(k)) throw new NextbestError('OPTION_INVALID', `unknown decide option "${k.slice(0, 64)}"; known: ${[...DECIDE_KEYS].join(', ')}`);
    }
    const options: DecideOptions = {};
    if (o.explain !== undefined) options.explain = o.explain;
    if (o.seed !== undefined) options.seed = o.seed;
    this.decisions.checkOptions(options);
    if (o.context !== undefined) {
      if (o.context === null || typeof o.context !== 'object' || Array.isArray(o.context)) {
        throw new NextbestError('OPTION_INVALID', `decide.context must be an object of context fields, got ${describe(o.context)}`);
      }
      for (const k of ['now', 'channel']) {
        if (Object.prototype.hasOwnProperty.call(o.context, k)) {
          throw new NextbestError('OPTION_INVALID', `decide.context.${k} is set by the trigger (${k === 'now' ? 'the time of the call' : 'its channel'}): leave it out`);
        }
      }
      this.decisions.checkContextFields(o.context);
    }
    if (o.features !== undefined) this.checkFeatures(o.features);
    return { run: true, features: o.features, context: o.context, options };
  }

  /** Features are checked as a decision encodes them, into a scratch vector (no allocation). */
  checkFeatures(f: unknown): void {
    if (f instanceof Float32Array) {
      if (f.length !== this.schema.size) {
        throw new NextbestError('ROWS_SHAPE', `decide.features: a Float32Array must hold the ${this.schema.size} features in schema order, got ${f.length}`);
      }
      return;
    }
    if (f === null || typeof f !== 'object' || Array.isArray(f)) {
      throw new NextbestError('OPTION_INVALID', `decide.features must be a feature object or a Float32Array, got ${describe(f)}`);
    }
    this.schema.encodeInto(f as FeatureObject, this.scratch, 0, this.encode);
  }

  /** True when a trigger names one of these matches' journeys. */
  fires(matches: readonly JourneyMatch[]): boolean {
    for (const m of matches) if (this.byJourney.has(m.journey)) return true;
    return false;
  }

  /**
   * Lists the requests on the matches (`match.triggered`), in match then
   * trigger order, and makes the decisions when the plan says so (an error
   * instead of a plan is set on every request); returns the decisions made.
   */
  apply(
    matches: readonly JourneyMatch[],
    now: number,
    plan: TriggerPlan | NextbestError,
    callFeatures: FeatureObject | Float32Array | undefined,
    decide: (req: DecisionRequest, opts: DecideOptions) => Decision,
  ): TriggeredDecision[] {
    const made: TriggeredDecision[] = [];
    const channels = this.decisions.tables.channels;
    for (const m of matches) {
      const ts = this.byJourney.get(m.journey);
      if (!ts) continue;
      const requests: TriggerRequest[] = [];
      for (const t of ts) {
        const failed = plan instanceof NextbestError ? plan : undefined;
        const context: DecisionContext = { now, ...(failed ? undefined : (plan as TriggerPlan).context), ...t.context };
        if (t.channel >= 0) context.channel = channels[t.channel]!;
        const req: TriggerRequest = { trigger: t.id, journey: m.journey, time: m.time, limit: t.limit, context };
        if (t.channel >= 0) req.channel = channels[t.channel]!;
        if (t.description !== undefined) req.description = t.description;
        if (failed) {
          req.error = failed;
        } else if ((plan as TriggerPlan).run) {
          const p = plan as TriggerPlan;
          const features = p.features ?? callFeatures ?? NO_FEATURES;
          req.decision = decide({ features, context }, { ...p.options, limit: t.limit, ...(p.options.explain ? { matches } : {}) });
          made.push(req as TriggeredDecision);
        }
        requests.push(req);
      }
      (m as JourneyMatch & { triggered?: TriggerRequest[] }).triggered = requests;
    }
    return made;
  }
}
