/**
 * The `events:` and `journeys:` sections of a bundle spec -> a JourneySet.
 *
 *   events:
 *     connect_fail:
 *       network: [mobile, wifi, fixed]       # categorical, with its dictionary
 *     card_payment:
 *       amount: numeric
 *   journeys:
 *     settings: { maxPartialMatches: 2, allowedLateness: 0s, activeFor: 24h }
 *     aggregates:
 *       spend7d: { event: card_payment, value: event.amount, functions: [sum], over: 7d, resolution: 1d }
 *     patterns:
 *       connection_trouble:
 *         steps:
 *           - event: device_change
 *             as: change
 *           - followedBy: connect_fail
 *             as: fails
 *             where: event.network == "mobile"
 *             times: 3+
 *         within: 1h
 *
 * The language and its exact semantics: docs/journeys.md. Every error points
 * at the file, line and column to fix.
 */
import { NextbestError } from '../../errors.js';
import type { FeatureSchema } from '../../runtime/features.js';
import { compileExpr, featureBindings, type Binding, type CompiledExpr, type ExprEnv, type ExprType } from '../expr/index.js';
import { DEFAULT_LIMITS, IDENT_PATTERN, KEYWORDS, type Ast, type ExprLimits } from '../expr/ast.js';
import { parseExpr } from '../expr/parser.js';
import { exprError } from '../expr/diagnostics.js';
import { formatPath } from '../expr/printer.js';
import type { ValidProgram } from '../expr/bytecode.js';
import { SpecNode } from '../source.js';
import { computeLayout } from './layout.js';
import {
  AGG_FUNCTIONS,
  JOURNEY_LIMITS,
  type AggFn,
  type AggValueDef,
  type AggregateDef,
  type AttributeDef,
  type EventTypeDef,
  type GuardDef,
  type JourneyDef,
  type JourneySet,
  type RefDef,
  type RefField,
  type SkipPolicy,
  type StepDef,
} from './model.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const RESERVED_ATTRIBUTES = new Set(['type', 'time']);
const DEFAULT_ACTIVE_FOR_MS = 86_400_000;
const DEFAULT_MAX_PARTIAL_MATCHES = 2;
const DEFAULT_BUCKETS = 8;
const STEP_FIELDS: Record<string, RefField> = { time: 'lastTime', lastTime: 'lastTime', firstTime: 'firstTime', count: 'count' };
const SKIP_POLICIES: SkipPolicy[] = ['skipPastLastEvent', 'noSkip'];

/** Compiles the journeys of a spec; undefined when it declares neither events nor journeys. */
export function compileJourneySections(root: SpecNode, schema: FeatureSchema, limits: ExprLimits = DEFAULT_LIMITS): JourneySet | undefined {
  const eventsNode = root.get('events');
  const journeysNode = root.get('journeys');
  const hasEvents = eventsNode !== undefined && !eventsNode.isNull;
  const hasJourneys = journeysNode !== undefined && !journeysNode.isNull;
  if (!hasEvents && !hasJourneys) return undefined;
  if (!hasEvents) throw journeysNode!.error('journeys need an `events:` section that declares the event types they use');
  return new JourneyCompiler(schema, limits).compile(eventsNode!, hasJourneys ? journeysNode! : undefined);
}

class JourneyCompiler {
  private readonly events: EventTypeDef[] = [];
  private readonly eventIndex = new Map<string, number>();
  private readonly programs: CompiledExpr[] = [];
  private readonly aggregates: AggregateDef[] = [];
  private readonly aggValues: AggValueDef[] = [];
  private readonly featureNames: Record<string, Binding>;
  private nextSlot = 0;
  private settings = { maxPartialMatches: DEFAULT_MAX_PARTIAL_MATCHES, allowedLatenessMs: 0, activeForMs: DEFAULT_ACTIVE_FOR_MS };

  private readonly limits: ExprLimits;

  constructor(schema: FeatureSchema, limits: ExprLimits) {
    this.featureNames = featureBindings(schema);
    this.limits = limits;
  }

  compile(eventsNode: SpecNode, journeysNode: SpecNode | undefined): JourneySet {
    this.compileEvents(eventsNode);
    this.nextSlot = 1 + Math.max(0, ...this.events.map((e) => e.attributes.length));
    const journeys: JourneyDef[] = [];
    let layoutNode: SpecNode | undefined;
    if (journeysNode) {
      layoutNode = journeysNode;
      journeysNode.checkKeys(['settings', 'aggregates', 'patterns']);
      const settings = journeysNode.get('settings');
      if (settings && !settings.isNull) this.compileSettings(settings);
      const aggs = journeysNode.get('aggregates');
      if (aggs && !aggs.isNull) {
        const entries = aggs.entries();
        if (entries.length > JOURNEY_LIMITS.aggregates) throw aggs.error(`at most ${JOURNEY_LIMITS.aggregates} aggregates`);
        for (const [id, node] of entries) this.aggregates.push(this.compileAggregate(id, node));
      }
      const patterns = journeysNode.get('patterns');
      if (patterns && !patterns.isNull) {
        const entries = patterns.entries();
        if (entries.length > JOURNEY_LIMITS.journeys) throw patterns.error(`at most ${JOURNEY_LIMITS.journeys} patterns`);
        for (const [id, node] of entries) {
          if (this.aggregates.some((a) => a.id === id)) throw node.error(`"${id}" is already an aggregate; journeys and aggregates share the names journey.<id>`);
          journeys.push(this.compilePattern(id, node));
        }
      }
    }
    const set: JourneySet = {
      settings: { maxPartialMatches: this.settings.maxPartialMatches, allowedLatenessMs: this.settings.allowedLatenessMs },
      events: this.events,
      journeys,
      aggregates: this.aggregates,
      aggValues: this.aggValues,
      frameSlots: this.nextSlot,
      programs: this.programs.map(toValidProgram),
    };
    try {
      computeLayout(set);
    } catch (e) {
      if (e instanceof NextbestError && layoutNode) throw layoutNode.error(e.message);
      throw e;
    }
    return set;
  }

  // ---- events

  private compileEvents(node: SpecNode): void {
    const entries = node.entries();
    if (entries.length > JOURNEY_LIMITS.eventTypes) throw node.error(`at most ${JOURNEY_LIMITS.eventTypes} event types`);
    for (const [name, body] of entries) {
      if (!NAME.test(name)) throw body.error(`event type "${name}" must start with a letter or _ and contain letters, digits and _ (at most 64)`);
      const attributes: AttributeDef[] = [];
      if (!body.isNull) {
        const attrs = body.entries();
        if (attrs.length > JOURNEY_LIMITS.attributes) throw body.error(`an event type has at most ${JOURNEY_LIMITS.attributes} attributes`);
        for (const [attr, v] of attrs) {
          if (!NAME.test(attr) || KEYWORDS.has(attr)) throw v.error(`attribute name "${attr}" must be an identifier (letters, digits, _) and not a keyword`);
          if (RESERVED_ATTRIBUTES.has(attr)) throw v.error(`"${attr}" is reserved: every event has a type and a time`);
          attributes.push(attributeDef(attr, v));
        }
      }
      this.eventIndex.set(name, this.events.length);
      this.events.push({ name, attributes });
    }
  }

  private eventType(node: SpecNode): number {
    const name = node.string();
    const i = this.eventIndex.get(name);
    if (i === undefined) {
      throw node.error(`unknown event type "${name}"; declared: ${[...this.eventIndex.keys()].join(', ') || 'none'}`);
    }
    return i;
  }

  // ---- settings

  private compileSettings(node: SpecNode): void {
    node.checkKeys(['maxPartialMatches', 'allowedLateness', 'activeFor']);
    const m = node.get('maxPartialMatches');
    if (m) this.settings.maxPartialMatches = m.number({ integer: true, min: 1, max: JOURNEY_LIMITS.maxPartialMatches });
    const late = node.get('allowedLateness');
    if (late) this.settings.allowedLatenessMs = wholeMs(late, 0);
    const active = node.get('activeFor');
    if (active) this.settings.activeForMs = wholeMs(active, 1);
  }

  // ---- conditions

  private env(eventType: number, extra?: (path: readonly string[]) => Binding | undefined, extraNames?: () => string[]): ExprEnv {
    const ev = this.events[eventType]!;
    return {
      resolve: (path) => {
        if (path[0] === 'event' && path.length === 2) {
          if (path[1] === 'time') return { type: { kind: 'number' }, source: 'frame', slot: 0 };
          const i = ev.attributes.findIndex((a) => a.name === path[1]);
          if (i >= 0) return { type: attributeType(ev, i), source: 'frame', slot: 1 + i };
          return undefined;
        }
        if (path[0] === 'event' || path[0] === 'steps' || path[0] === 'journey') return extra?.(path);
        return this.featureNames[formatPath(path)];
      },
      names: () => ['event.time', ...ev.attributes.map((a) => `event.${a.name}`), ...(extraNames?.() ?? []), ...Object.keys(this.featureNames)],
    };
  }

  /** Resolves journey.<aggregate>.<fn> to a frame slot filled before conditions run. */
  private aggregateBinding(path: readonly string[]): Binding | undefined {
    if (path.length !== 3) return undefined;
    const a = this.aggregates.findIndex((x) => x.id === path[1]);
    if (a < 0) return undefined;
    const fn = path[2] as AggFn;
    if (!this.aggregates[a]!.functions.includes(fn)) return undefined;
    let v = this.aggValues.find((x) => x.aggregate === a && x.fn === fn);
    if (!v) {
      v = { slot: this.nextSlot++, aggregate: a, fn };
      this.aggValues.push(v);
    }
    return { type: { kind: 'number' }, source: 'frame', slot: v.slot };
  }

  private aggregateNames(): string[] {
    return this.aggregates.flatMap((a) => a.functions.map((f) => `journey.${a.id}.${f}`));
  }

  private condition(node: SpecNode, env: ExprEnv, expect: 'bool' | 'number'): number {
    const source = node.text();
    const o = node.textOrigin();
    const prog = compileExpr(source, env, { origin: { file: o.file, line: o.line, column: o.column, indent: o.indent }, expect, limits: this.limits });
    this.programs.push(prog);
    return this.programs.length - 1;
  }

  // ---- aggregates

  private compileAggregate(id: string, node: SpecNode): AggregateDef {
    if (!NAME.test(id)) throw node.error(`aggregate id "${id}" must be an identifier (at most 64 characters)`);
    node.checkKeys(['description', 'event', 'where', 'value', 'functions', 'over', 'resolution', 'buckets']);
    const event = this.eventType(node.require('event'));
    const fnsNode = node.require('functions');
    const functions = fnsNode.itemsOrOne().map((f) => {
      const name = f.string() as AggFn;
      if (!AGG_FUNCTIONS.includes(name)) throw f.error(`unknown function "${name}"; one of ${AGG_FUNCTIONS.join(', ')}`);
      return name;
    });
    if (functions.length === 0) throw fnsNode.error('name at least one function');
    if (new Set(functions).size !== functions.length) throw fnsNode.error('a function is listed twice');
    const windowMs = wholeMs(node.require('over'), 1);
    const res = node.get('resolution');
    const bucketsNode = node.get('buckets');
    if (res && bucketsNode) throw bucketsNode.error('give either resolution or buckets, not both');
    let buckets = DEFAULT_BUCKETS;
    if (bucketsNode) buckets = bucketsNode.number({ integer: true, min: 1, max: JOURNEY_LIMITS.buckets });
    if (res) {
      const r = wholeMs(res, 1);
      if (windowMs % r !== 0) throw res.error(`the window (${windowMs} ms) is not a whole number of ${r} ms buckets`);
      buckets = windowMs / r;
      if (buckets > JOURNEY_LIMITS.buckets) throw res.error(`${buckets} buckets; at most ${JOURNEY_LIMITS.buckets}: choose a coarser resolution`);
    } else if (windowMs % buckets !== 0) {
      throw (bucketsNode ?? node.require('over')).error(`the window (${windowMs} ms) does not split into ${buckets} whole-millisecond buckets; set a resolution, e.g. \`resolution: 1h\``);
    }
    const env = this.env(event);
    const whereNode = node.get('where');
    const where = whereNode ? this.condition(whereNode, env, 'bool') : -1;
    const valueNode = node.get('value');
    const value = valueNode ? this.condition(valueNode, env, 'number') : -1;
    if (value < 0) {
      const needsValue = functions.find((f) => f !== 'count');
      if (needsValue) throw fnsNode.error(`${needsValue} needs a value: add \`value:\` (e.g. value: event.amount)`);
    }
    const description = node.get('description')?.string();
    return { id, ...(description ? { description } : {}), event, where, value, windowMs, buckets, functions };
  }

  // ---- patterns

  private compilePattern(id: string, node: SpecNode): JourneyDef {
    if (!NAME.test(id)) throw node.error(`journey id "${id}" must be an identifier (at most 64 characters)`);
    node.checkKeys(['description', 'steps', 'within', 'activeFor', 'afterMatch', 'maxPartialMatches']);
    const stepsNode = node.require('steps');
    const entries = stepsNode.items();
    if (entries.length === 0) throw stepsNode.error('a pattern has at least one step');

    // First pass: shapes (positive steps, absences between them, trailing absence).
    interface Pending {
      node: SpecNode;
      step: Omit<StepDef, 'where'>;
    }
    interface PendingGuard {
      node: SpecNode;
      event: number;
    }
    const positives: Pending[] = [];
    const gaps: PendingGuard[][] = [];
    let trailing: PendingGuard[] = [];
    let trailingWindow: { ms: number; node: SpecNode } | undefined;
    entries.forEach((e, i) => {
      if (!e.isMap) throw e.error('a step is a map, e.g. { event: device_change } or { followedBy: connect_fail, times: 3+ }');
      const kinds = ['event', 'followedBy', 'next', 'notFollowedBy'].filter((k) => e.get(k) !== undefined);
      if (kinds.length !== 1) throw e.error('a step has exactly one of: event (the first step), followedBy, next, notFollowedBy');
      const kind = kinds[0]!;
      if (kind === 'notFollowedBy') {
        e.checkKeys(['notFollowedBy', 'where', 'within', 'description']);
        if (positives.length === 0) throw e.error('a pattern cannot start with an absence: it starts with an event');
        trailing.push({ node: e, event: this.eventType(e.require('notFollowedBy')) });
        const w = e.get('within');
        if (w) {
          const ms = wholeMs(w, 1);
          if (trailingWindow && trailingWindow.ms !== ms) throw w.error(`absences that end a pattern share one window; an earlier one says ${trailingWindow.ms} ms`);
          trailingWindow = { ms, node: w };
        }
        return;
      }
      e.checkKeys([kind, 'as', 'where', 'times', 'optional', 'consecutive', 'capture', 'description']);
      if (i === 0 && kind !== 'event') throw e.get(kind)!.error('the first step is written `event: <type>`');
      if (i > 0 && kind === 'event') {
        throw e.get('event')!.error('after the first step, write `followedBy: <type>` (relaxed contiguity) or `next: <type>` (strict contiguity)');
      }
      if (trailing.length > 0) {
        if (trailingWindow) throw trailingWindow.node.error('`within` on an absence only applies at the end of a pattern; between steps an absence lasts until the next step');
        gaps[positives.length - 1] = trailing;
        trailing = [];
      }
      const eventNode = e.require(kind);
      const event = this.eventType(eventNode);
      const asNode = e.get('as');
      const name = asNode ? asNode.string() : this.events[event]!.name;
      if (!IDENT_PATTERN.test(name) || KEYWORDS.has(name) || name.length > 64) throw (asNode ?? eventNode).error(`step name "${name}" must be an identifier`);
      if (positives.some((p) => p.step.name === name)) {
        throw (asNode ?? eventNode).error(`two steps are named "${name}"; name them apart with \`as: <name>\``);
      }
      const { min, max } = quantifier(e.get('times'));
      const optional = e.get('optional')?.boolean() ?? false;
      const consecutiveNode = e.get('consecutive');
      const consecutive = consecutiveNode?.boolean() ?? false;
      if (consecutive && max === 1) throw consecutiveNode!.error('`consecutive` applies to a step that repeats (times)');
      const captureNode = e.get('capture');
      const captures = (captureNode ? captureNode.itemsOrOne() : []).map((c) => {
        const attr = c.string();
        const k = this.events[event]!.attributes.findIndex((a) => a.name === attr);
        if (k < 0) throw c.error(`${this.events[event]!.name} has no attribute "${attr}"; it has: ${this.events[event]!.attributes.map((a) => a.name).join(', ') || 'none'}`);
        return k;
      });
      if (new Set(captures).size !== captures.length) throw captureNode!.error('an attribute is captured twice');
      if (captures.length > JOURNEY_LIMITS.captures) throw captureNode!.error(`a step captures at most ${JOURNEY_LIMITS.captures} attributes`);
      positives.push({ node: e, step: { name, event, min, max, optional, strict: kind === 'next', consecutive, captures } });
    });
    if (positives.length > JOURNEY_LIMITS.steps) throw stepsNode.error(`a pattern has at most ${JOURNEY_LIMITS.steps} steps (not counting absences)`);
    const k = positives.length;
    if (trailing.length > 0 && !trailingWindow) {
      throw trailing[trailing.length - 1]!.node.error('an absence at the end of a pattern needs `within` (how long the absence must last), e.g. within: 24h');
    }
    if (positives[0]!.step.optional) throw positives[0]!.node.get('optional')!.error('the first step cannot be optional: a journey starts with an event');
    if (positives[k - 1]!.step.optional) throw positives[k - 1]!.node.get('optional')!.error('the last step cannot be optional: it would never change a match');
    for (let g = 0; g < k - 1; g++) {
      const guards = gaps[g];
      if (!guards) continue;
      if (guards.length > JOURNEY_LIMITS.guardsPerGap) throw guards[0]!.node.error(`at most ${JOURNEY_LIMITS.guardsPerGap} absences between two steps`);
      if (positives[g]!.step.optional || positives[g + 1]!.step.optional) {
        throw guards[0]!.node.error('an absence must stand between two required steps (neither may be optional)');
      }
    }
    if (trailing.length > JOURNEY_LIMITS.guardsPerGap) throw trailing[0]!.node.error(`at most ${JOURNEY_LIMITS.guardsPerGap} absences at the end`);

    // Second pass: conditions, which may read earlier steps.
    const refs: RefDef[] = [];
    const stepDefs: StepDef[] = positives.map((p) => ({ ...p.step, where: -1 }));
    const stepEnv = (eventType: number, visible: number) =>
      this.env(
        eventType,
        (path) => (path[0] === 'journey' ? this.aggregateBinding(path) : path[0] === 'steps' ? this.stepBinding(path, stepDefs, visible, refs) : undefined),
        () => [...this.stepNames(stepDefs, visible), ...this.aggregateNames()],
      );
    positives.forEach((p, i) => {
      const w = p.node.get('where');
      if (!w) return;
      this.checkCaptureHints(w, stepDefs, i);
      stepDefs[i]!.where = this.condition(w, stepEnv(p.step.event, i + 1), 'bool');
    });
    const guardDefs = (list: PendingGuard[], visible: number): GuardDef[] =>
      list.map((g) => {
        const w = g.node.get('where');
        if (w) this.checkCaptureHints(w, stepDefs, visible - 1);
        return { event: g.event, where: w ? this.condition(w, stepEnv(g.event, visible), 'bool') : -1 };
      });
    const guards: GuardDef[][] = [];
    for (let g = 0; g < k - 1; g++) guards.push(gaps[g] ? guardDefs(gaps[g]!, g + 1) : []);
    const absence = trailing.length > 0 ? { guards: guardDefs(trailing, k), windowMs: trailingWindow!.ms } : null;

    const withinNode = node.get('within');
    const withinMs = withinNode ? wholeMs(withinNode, 1) : null;
    const single = k === 1 && stepDefs[0]!.min === 1 && absence === null;
    if (withinMs === null && !single) {
      throw node.error('a journey of more than one event needs `within` (e.g. within: 1h): partial matches must expire so that state stays bounded');
    }
    const activeNode = node.get('activeFor');
    const activeForMs = activeNode ? wholeMs(activeNode, 1) : this.settings.activeForMs;
    const skipNode = node.get('afterMatch');
    const skip = (skipNode ? skipNode.string() : 'skipPastLastEvent') as SkipPolicy;
    if (!SKIP_POLICIES.includes(skip)) throw skipNode!.error(`afterMatch is one of ${SKIP_POLICIES.join(', ')}`);
    const mNode = node.get('maxPartialMatches');
    const maxPartialMatches = mNode ? mNode.number({ integer: true, min: 1, max: JOURNEY_LIMITS.maxPartialMatches }) : this.settings.maxPartialMatches;
    const description = node.get('description')?.string();
    return {
      id,
      ...(description ? { description } : {}),
      steps: stepDefs,
      guards,
      absence,
      withinMs,
      activeForMs,
      skip,
      maxPartialMatches,
      refs,
    };
  }

  /** steps.<name>.<field|captured attribute> for the first `visible` steps; allocates a frame slot per distinct reference. */
  private stepBinding(path: readonly string[], steps: StepDef[], visible: number, refs: RefDef[]): Binding | undefined {
    if (path.length !== 3) return undefined;
    const s = steps.findIndex((x, i) => i < visible && x.name === path[1]);
    if (s < 0) return undefined;
    const step = steps[s]!;
    let field: RefField;
    let capture = -1;
    let type: ExprType = { kind: 'number' };
    const f = STEP_FIELDS[path[2]!];
    if (f) field = f;
    else {
      const ev = this.events[step.event]!;
      capture = step.captures.findIndex((a) => ev.attributes[a]!.name === path[2]);
      if (capture < 0) return undefined;
      field = 'capture';
      type = attributeType(ev, step.captures[capture]!);
    }
    let ref = refs.find((r) => r.step === s && r.field === field && r.capture === capture);
    if (!ref) {
      ref = { slot: this.nextSlot++, step: s, field, capture };
      refs.push(ref);
    }
    return { type, source: 'frame', slot: ref.slot };
  }

  private stepNames(steps: StepDef[], visible: number): string[] {
    return steps.slice(0, visible).flatMap((s) => [
      ...['time', 'firstTime', 'lastTime', 'count'].map((f) => `steps.${s.name}.${f}`),
      ...s.captures.map((a) => `steps.${s.name}.${this.events[s.event]!.attributes[a]!.name}`),
    ]);
  }

  /** A clearer error than "unknown name" when a condition reads an attribute of an earlier step that is not captured. */
  private checkCaptureHints(node: SpecNode, steps: StepDef[], upTo: number): void {
    const source = node.text();
    let ast: Ast;
    try {
      ast = parseExpr(source);
    } catch {
      return; // compileExpr reports syntax errors with positions
    }
    const o = node.textOrigin();
    const visit = (n: Ast): void => {
      switch (n.kind) {
        case 'name': {
          const p = n.path;
          if (p[0] === 'steps' && p.length === 3 && !STEP_FIELDS[p[2]!]) {
            const s = steps.findIndex((x, i) => i <= upTo && x.name === p[1]);
            if (s < 0) return;
            const ev = this.events[steps[s]!.event]!;
            const a = ev.attributes.findIndex((x) => x.name === p[2]);
            if (a >= 0 && !steps[s]!.captures.includes(a)) {
              throw exprError(
                'EXPR_NAME',
                `\`${formatPath(p)}\` is not captured: add \`capture: [${p[2]}]\` to step "${p[1]}" to keep it`,
                source,
                n.span,
                { file: o.file, line: o.line, column: o.column, indent: o.indent },
              );
            }
          }
          return;
        }
        case 'unary':
          return visit(n.operand);
        case 'binary':
          visit(n.left);
          return visit(n.right);
        case 'in':
          visit(n.value);
          return n.list.forEach(visit);
        case 'cond':
          visit(n.test);
          visit(n.then);
          return visit(n.else);
        case 'call':
          return n.args.forEach(visit);
        default:
          return;
      }
    };
    visit(ast);
  }
}

function attributeDef(name: string, v: SpecNode): AttributeDef {
  if (v.isSeq) return { name, type: 'categorical', categories: categories(v) };
  if (v.isScalar && !v.isNull) {
    const t = v.string();
    if (t !== 'numeric' && t !== 'categorical') throw v.error('attribute type must be numeric, categorical, or a list of categories');
    return { name, type: t };
  }
  if (v.isMap) {
    v.checkKeys(['type', 'categories', 'required', 'description']);
    const t = v.require('type').string();
    if (t !== 'numeric' && t !== 'categorical') throw v.require('type').error('type must be numeric or categorical');
    const cats = v.get('categories');
    if (cats && t !== 'categorical') throw cats.error('only categorical attributes have categories');
    const required = v.get('required')?.boolean() ?? false;
    return { name, type: t, ...(cats ? { categories: categories(cats) } : {}), ...(required ? { required } : {}) };
  }
  throw v.error('expected numeric, categorical, a list of categories or { type, categories, required }');
}

function categories(node: SpecNode): string[] {
  const values = node.items().map((c) => c.text());
  const seen = new Set<string>();
  node.items().forEach((c, i) => {
    if (seen.has(values[i]!)) throw c.error(`category "${values[i]}" appears twice`);
    seen.add(values[i]!);
  });
  if (values.length > 1 << 24) throw node.error('at most 2^24 categories');
  return values;
}

/** The expression type of attribute i of an event type; a dictionary is named `<event>.<attribute>`. */
export function attributeType(ev: EventTypeDef, i: number): ExprType {
  const a = ev.attributes[i]!;
  return a.categories ? { kind: 'category', dict: `${ev.name}.${a.name}`, values: a.categories } : { kind: 'number' };
}

/** A duration in whole milliseconds, at least `min`. */
function wholeMs(node: SpecNode, min: number): number {
  const ms = node.duration();
  if (!Number.isInteger(ms) || ms < min) throw node.error(`expected a duration of at least ${min} ms, got ${ms}`);
  if (ms > JOURNEY_LIMITS.horizonMs) throw node.error(`durations are at most 40d (a customer's state keeps 40 days of times)`);
  return ms;
}

/** times: 3 | "3+" | "{3}" | "{3,}" | "{2,4}" | "2..4" -> { min, max } (max null: unbounded). */
function quantifier(node: SpecNode | undefined): { min: number; max: number | null } {
  if (node === undefined) return { min: 1, max: 1 };
  const limit = JOURNEY_LIMITS.count;
  const bad = () =>
    node.error(`times is a count (3), at least n ("3+" or "{3,}"), exactly n ("{3}") or a range ("{2,4}" or "2..4"), with counts from 1 to ${limit}`);
  let min: number;
  let max: number | null;
  if (node.isScalar && typeof (node.toJS() as unknown) === 'number') {
    min = node.number({ integer: true });
    max = min;
  } else {
    const s = node.isScalar ? String(node.toJS()).replace(/\s+/g, '') : '';
    let m: RegExpExecArray | null;
    if ((m = /^\{(\d+)\}$/.exec(s))) [min, max] = [Number(m[1]), Number(m[1])];
    else if ((m = /^\{(\d+),\}$/.exec(s)) || (m = /^(\d+)\+$/.exec(s))) [min, max] = [Number(m[1]), null];
    else if ((m = /^\{(\d+),(\d+)\}$/.exec(s)) || (m = /^(\d+)\.\.(\d+)$/.exec(s))) [min, max] = [Number(m[1]), Number(m[2])];
    else throw bad();
  }
  if (min < 1 || min > limit || (max !== null && (max < min || max > limit))) throw bad();
  return { min, max };
}

function toValidProgram(p: CompiledExpr): ValidProgram {
  const kind = p.type.kind;
  if (kind !== 'number' && kind !== 'bool' && kind !== 'category') throw new NextbestError('ARGUMENT_INVALID', `a condition cannot return a ${kind}`);
  return { code: p.code, consts: p.consts, maxStack: p.maxStack, resultKind: kind, source: p.source, slotsRead: p.slotsRead, featuresRead: p.featuresRead };
}
