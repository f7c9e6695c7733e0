/**
 * The names decision expressions can use, and where each lives in the
 * decision frame (docs/decisions.md, "Names"):
 *
 *   tenure_months, plan        features (f32 vector)
 *   now                        the decision time, epoch ms (frame slot 0)
 *   context.<field>            request context fields (categories by their dictionary)
 *   score.<model>, score.<model>[k]   model outputs, scored inside the decision when first read
 *   journey.<...>              journey results (resolved by the journeys' bindings when the bundle has journeys)
 *   action.id / kind / group / issue / mandatory / <attribute>
 *                              the action's own attributes, constants (each action's
 *                              expressions are compiled for that action)
 *   propensity, value, context, lever
 *                              the factors, in the arbitration priority only
 *
 * Frame slots of models and journey values are given out when an expression
 * first reads them, so a decision scores only the models its bundle uses.
 */
import { NextbestError } from '../errors.js';
import type { ExprEnv, Binding, ExprType } from './expr/index.js';
import { featureBindings } from './expr/index.js';
import { formatPath } from './expr/printer.js';
import type { FeatureSchema } from '../runtime/features.js';
import type { ModelTable } from '../models/registry.js';
import { FACTOR_SLOTS, FIRST_FREE_SLOT, SLOT_NOW, type FrameLayout } from '../decide/tables.js';

const NUMBER: ExprType = { kind: 'number' };
const BOOL: ExprType = { kind: 'bool' };

/**
 * Resolves `journey.*` names to frame slots filled from the customer state
 * (the journeys' contract: a value id per name). Returns undefined for an
 * unknown name.
 */
export interface JourneyResolver {
  resolve(path: readonly string[]): { valueId: number; type: ExprType } | undefined;
  names(): Iterable<string>;
}

/** Frame slots of one bundle's decision programs. */
export class DecisionFrame {
  private next = FIRST_FREE_SLOT;
  readonly contextSlots: number[];
  readonly channelSlot: number;
  private readonly models: { id: string; slot: number }[] = [];
  private readonly modelSlots = new Map<string, number>();
  private readonly adaptive: { id: string; slot: number }[] = [];
  private readonly adaptiveSlots = new Map<string, number>();
  private readonly journeys: { valueId: number; slot: number }[] = [];
  private readonly journeySlots = new Map<number, number>();

  constructor(readonly context: FeatureSchema) {
    this.contextSlots = context.names.map(() => this.next++);
    const ch = context.indexOf('channel');
    this.channelSlot = ch >= 0 ? this.contextSlots[ch]! : -1;
  }

  /** Slot of output 0 of a model, given out on first use. */
  modelSlot(t: ModelTable): number {
    let s = this.modelSlots.get(t.id);
    if (s === undefined) {
      s = this.next;
      this.next += t.nOutputs;
      this.modelSlots.set(t.id, s);
      this.models.push({ id: t.id, slot: s });
    }
    return s;
  }

  /** Slot of an adaptive model that learns per action: each candidate's own propensity, filled by the kernel. */
  adaptiveSlot(id: string): number {
    let s = this.adaptiveSlots.get(id);
    if (s === undefined) {
      s = this.next++;
      this.adaptiveSlots.set(id, s);
      this.adaptive.push({ id, slot: s });
    }
    return s;
  }

  /** True when the slot is an adaptive model's. */
  isAdaptiveSlot(slot: number): boolean {
    return this.adaptive.some((a) => a.slot === slot);
  }

  journeySlot(valueId: number): number {
    let s = this.journeySlots.get(valueId);
    if (s === undefined) {
      s = this.next++;
      this.journeySlots.set(valueId, s);
      this.journeys.push({ valueId, slot: s });
    }
    return s;
  }

  layout(): FrameLayout {
    return {
      slots: this.next,
      contextSlots: [...this.contextSlots],
      channelSlot: this.channelSlot,
      models: this.models.map((m) => ({ ...m })),
      adaptive: this.adaptive.map((a) => ({ ...a })),
      journeys: this.journeys.map((j) => ({ ...j })),
    };
  }
}

/** An action's attributes as the constants `action.*` of its expressions. */
export interface ActionConstants {
  id: number;
  kind: number;
  group: number;
  issue: number;
  mandatory: boolean;
  attributes: ReadonlyMap<string, number>;
}

/** Dictionaries of the `action.*` categories, shared by every action of a bundle. */
export interface ActionDictionaries {
  ids: readonly string[];
  groups: readonly string[];
  issues: readonly string[];
  /** Custom numeric attributes any action declares. */
  attributes: ReadonlySet<string>;
}

export const ACTION_BUILTINS = ['id', 'kind', 'group', 'issue', 'mandatory'] as const;

export interface DecisionEnvOptions {
  schema: FeatureSchema;
  frame: DecisionFrame;
  models: ReadonlyMap<string, ModelTable>;
  journeys?: JourneyResolver;
  /** The action being compiled and the bundle's action dictionaries (for `action.*`). */
  action?: { constants: ActionConstants; dictionaries: ActionDictionaries };
  /** Bind propensity, value, context and lever (the arbitration priority). */
  factors?: boolean;
  /**
   * An action's propensity: `score.<m>` of an adaptive model that learns per
   * action is the action's own (explored) propensity. Elsewhere such a name
   * is refused.
   */
  propensity?: boolean;
}

export function decisionEnv(o: DecisionEnvOptions): ExprEnv {
  const features = featureBindings(o.schema);
  const context = o.frame.context;
  const ctxBindings: Record<string, Binding> = {};
  context.defs.forEach((d, i) => {
    const type: ExprType = d.categories ? { kind: 'category', dict: `context.${d.name}`, values: d.categories } : NUMBER;
    ctxBindings[formatPath(['context', d.name])] = { type, source: 'frame', slot: o.frame.contextSlots[i]! };
  });
  const factors: Record<string, Binding> = o.factors
    ? Object.fromEntries(Object.entries(FACTOR_SLOTS).map(([k, slot]) => [k, { type: NUMBER, source: 'frame', slot } as Binding]))
    : {};
  const actionBinding = (attr: string): Binding | undefined => {
    if (!o.action) return undefined;
    const { constants: c, dictionaries: d } = o.action;
    const cat = (dict: string, values: readonly string[], code: number): Binding => ({
      type: { kind: 'category', dict: `action.${dict}`, values },
      source: 'const',
      value: code < 0 ? NaN : code,
    });
    switch (attr) {
      case 'id':
        return cat('id', d.ids, c.id);
      case 'kind':
        return cat('kind', ['sale', 'service'], c.kind);
      case 'group':
        return cat('group', d.groups, c.group);
      case 'issue':
        return cat('issue', d.issues, c.issue);
      case 'mandatory':
        return { type: BOOL, source: 'const', value: c.mandatory ? 1 : 0 };
      default:
        if (!d.attributes.has(attr)) return undefined;
        return { type: NUMBER, source: 'const', value: c.attributes.get(attr) ?? NaN };
    }
  };
  const scoreBinding = (path: readonly string[]): Binding | undefined => {
    const t = o.models.get(path[1]!);
    if (!t) return undefined;
    if (t.kind === 'adaptive' && t.instances !== 'model') {
      // Its propensity depends on the action (and channel): the kernel fills it per candidate, before the propensity.
      if (!o.propensity || path.length !== 2) {
        throw new NextbestError(
          'SPEC_INVALID',
          `score.${t.id}: adaptive model "${t.id}" learns per ${t.instances === 'action' ? 'action' : 'action and channel'}: read it in an action's propensity, where score.${t.id} is that action's own propensity`,
        );
      }
      return { type: NUMBER, source: 'frame', slot: o.frame.adaptiveSlot(t.id) };
    }
    let k = 0;
    if (path.length === 3) {
      if (!/^\d+$/.test(path[2]!)) return undefined;
      k = Number(path[2]);
    }
    if (k >= t.nOutputs) return undefined;
    return { type: NUMBER, source: 'frame', slot: o.frame.modelSlot(t) + k };
  };
  return {
    resolve(path) {
      const head = path[0];
      if (path.length === 1) {
        if (head === 'now') return { type: NUMBER, source: 'frame', slot: SLOT_NOW };
        // own keys only: a name like `constructor` is not Object.prototype's
        if (Object.hasOwn(factors, head!)) return factors[head!];
        return Object.hasOwn(features, head!) ? features[head!] : undefined;
      }
      switch (head) {
        case 'context':
          return path.length === 2 && Object.hasOwn(ctxBindings, formatPath(path)) ? ctxBindings[formatPath(path)] : undefined;
        case 'score':
          return path.length <= 3 ? scoreBinding(path) : undefined;
        case 'journey': {
          const j = o.journeys?.resolve(path);
          return j ? { type: j.type, source: 'frame', slot: o.frame.journeySlot(j.valueId) } : undefined;
        }
        case 'action':
          return path.length === 2 ? actionBinding(path[1]!) : undefined;
        default:
          return features[formatPath(path)];
      }
    },
    *names() {
      yield 'now';
      yield* Object.keys(factors);
      yield* Object.keys(features);
      yield* Object.keys(ctxBindings);
      for (const t of o.models.values()) {
        yield `score.${t.id}`;
        for (let k = 1; k < t.nOutputs; k++) yield `score.${t.id}[${k}]`;
      }
      if (o.journeys) yield* o.journeys.names();
      if (o.action) {
        for (const a of ACTION_BUILTINS) yield `action.${a}`;
        for (const a of o.action.dictionaries.attributes) yield `action.${a}`;
      }
    },
  };
}
