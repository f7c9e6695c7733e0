/**
 * The `journeys` section of a bundle and its validation at load.
 *
 * Bundle form (msgpack map, version 1): settings, events, journeys,
 * aggregates, aggValues, frameSlots and the condition programs
 * (programsToBundle). Byte offsets are never stored: the loader recomputes
 * the state layout from the descriptions (layout.ts) and checks it against
 * the bundle's state section. Validation proves what the kernel relies on
 * (every index, program reference, count and size in range; conditions read
 * only the frame slots their context fills); anything else is BUNDLE_INVALID.
 */
import { NextbestError } from '../../errors.js';
import { describe } from '../../bundle/binary.js';
import { requireNumber, requireObject } from '../../models/table.js';
import { programsToBundle, validatePrograms, type ValidProgram } from '../expr/bytecode.js';
import { IDENT_PATTERN, KEYWORDS } from '../expr/ast.js';
import { section, validateLayout, type StateLayout, type StateSection } from '../../state/layout.js';
import { computeLayout, SECTION_NAME, SECTION_VERSION, type SectionLayout } from './layout.js';
import {
  AGG_FUNCTIONS,
  JOURNEY_LIMITS,
  REF_FIELDS,
  isInstant,
  type AggFn,
  type AggValueDef,
  type AggregateDef,
  type AttributeDef,
  type EventTypeDef,
  type GuardDef,
  type JourneyDef,
  type JourneySet,
  type RefDef,
  type StepDef,
} from './model.js';

export const JOURNEYS_SECTION_VERSION = 1;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The state section entry of the journeys (to compose with other sections' entries). */
export function journeysStateSection(set: JourneySet): Omit<StateSection, 'offset'> {
  const l = computeLayout(set);
  return { name: SECTION_NAME, size: l.size, version: SECTION_VERSION, shape: l.shape };
}

export function journeysToBundle(set: JourneySet): Record<string, unknown> {
  const strip = <T extends object>(o: T) => JSON.parse(JSON.stringify(o)) as T;
  return {
    version: JOURNEYS_SECTION_VERSION,
    settings: { ...set.settings },
    events: strip(set.events),
    journeys: set.journeys.map((j) => strip(j)),
    aggregates: set.aggregates.map((a) => strip(a)),
    aggValues: strip(set.aggValues),
    frameSlots: set.frameSlots,
    programs: programsToBundle(set.programs),
  };
}

function invalid(msg: string): never {
  throw new NextbestError('BUNDLE_INVALID', `journeys: ${msg}`);
}

function int(v: unknown, what: string, min: number, max: number): number {
  return requireNumber(v, `journeys: ${what}`, { integer: true, min, max });
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') invalid(`${what}: expected true or false, got ${describe(v)}`);
  return v as boolean;
}

function name(v: unknown, what: string, pattern = NAME): string {
  if (typeof v !== 'string' || !pattern.test(v)) invalid(`${what}: expected a name matching ${pattern}, got ${describe(v)}`);
  return v as string;
}

function array(v: unknown, what: string, max: number): unknown[] {
  if (!Array.isArray(v)) invalid(`${what}: expected an array, got ${describe(v)}`);
  if ((v as unknown[]).length > max) invalid(`${what}: at most ${max} entries, got ${(v as unknown[]).length}`);
  return v as unknown[];
}

function optionalText(v: unknown, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > 4096) invalid(`${what}: expected a string of at most 4096 characters`);
  return v as string;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  try {
    return requireObject(v, `journeys: ${what}`);
  } catch (e) {
    throw e;
  }
}

export interface ValidatedJourneys {
  set: JourneySet;
  layout: SectionLayout;
  /** Where the journeys section sits in the customer state. */
  state: StateLayout;
  sectionOffset: number;
}

/**
 * Validates a decoded journeys section against the feature schema size and the
 * bundle's state layout. Throws BUNDLE_INVALID naming the field.
 */
export function validateJourneys(raw: unknown, numFeatures: number, stateRaw: unknown): ValidatedJourneys {
  const o = obj(raw, 'section');
  if (o.version !== JOURNEYS_SECTION_VERSION) invalid(`unsupported section version ${describe(o.version)} (this engine reads ${JOURNEYS_SECTION_VERSION})`);
  const s = obj(o.settings, 'settings');
  const settings = {
    maxPartialMatches: int(s.maxPartialMatches, 'settings.maxPartialMatches', 1, JOURNEY_LIMITS.maxPartialMatches),
    allowedLatenessMs: int(s.allowedLatenessMs, 'settings.allowedLatenessMs', 0, JOURNEY_LIMITS.horizonMs),
  };

  const events: EventTypeDef[] = array(o.events, 'events', JOURNEY_LIMITS.eventTypes).map((e, i) => validateEventType(e, i));
  const seenTypes = new Set<string>();
  for (const e of events) {
    if (seenTypes.has(e.name)) invalid(`event type "${e.name}" appears twice`);
    seenTypes.add(e.name);
  }
  const maxAttrs = Math.max(0, ...events.map((e) => e.attributes.length));
  const firstFree = 1 + maxAttrs;
  const frameSlots = int(o.frameSlots, 'frameSlots', firstFree, 1 << 16);
  const programs = validatePrograms(o.programs, { frameSlots, features: numFeatures }).programs;

  // Frame slots beyond the attributes: each belongs to exactly one aggregate value or step reference.
  const slotOwner = new Map<number, string>();
  const claim = (slot: unknown, what: string): number => {
    const v = int(slot, `${what}.slot`, firstFree, frameSlots - 1);
    if (slotOwner.has(v)) invalid(`${what}: frame slot ${v} is also used by ${slotOwner.get(v)}`);
    slotOwner.set(v, what);
    return v;
  };

  const aggregates: AggregateDef[] = array(o.aggregates, 'aggregates', JOURNEY_LIMITS.aggregates).map((a, i) =>
    validateAggregate(a, i, events, programs),
  );
  const aggValues: AggValueDef[] = array(o.aggValues, 'aggValues', JOURNEY_LIMITS.aggregates * AGG_FUNCTIONS.length).map((raw, i) => {
    const v = obj(raw, `aggValues[${i}]`);
    const aggregate = int(v.aggregate, `aggValues[${i}].aggregate`, 0, aggregates.length - 1);
    const fn = v.fn as AggFn;
    if (!aggregates[aggregate]!.functions.includes(fn)) invalid(`aggValues[${i}]: aggregate "${aggregates[aggregate]!.id}" does not keep ${describe(fn)}`);
    return { slot: claim(v.slot, `aggValues[${i}]`), aggregate, fn };
  });
  const aggSlots = new Set(aggValues.map((v) => v.slot));

  const ids = new Set(aggregates.map((a) => a.id));
  if (ids.size !== aggregates.length) invalid('two aggregates share an id');
  const journeys: JourneyDef[] = array(o.journeys, 'journeys', JOURNEY_LIMITS.journeys).map((j, i) => {
    const d = validateJourney(j, i, events, programs, claim, aggSlots);
    if (ids.has(d.id)) invalid(`journey id "${d.id}" is used twice (journeys and aggregates share journey.<id>)`);
    ids.add(d.id);
    return d;
  });

  const set: JourneySet = { settings, events, journeys, aggregates, aggValues, frameSlots, programs };
  let layout: SectionLayout;
  try {
    layout = computeLayout(set);
  } catch (e) {
    if (e instanceof NextbestError) invalid(e.message);
    throw e;
  }
  if (stateRaw === undefined) invalid('the bundle has journeys but no state layout');
  const state = validateLayout(stateRaw);
  const sec = section(state, SECTION_NAME);
  if (!sec) invalid('the state layout has no "journeys" section');
  if (sec!.size !== layout.size || sec!.version !== SECTION_VERSION || sec!.shape !== layout.shape) {
    invalid(`the state layout's journeys section (${sec!.size} bytes, version ${sec!.version}, shape ${sec!.shape}) does not match the journeys (${layout.size} bytes, version ${SECTION_VERSION}, shape ${layout.shape})`);
  }
  return { set, layout, state, sectionOffset: sec!.offset };
}

function validateAttribute(raw: unknown, what: string): AttributeDef {
  const a = obj(raw, what);
  const n = name(a.name, `${what}.name`);
  if (KEYWORDS.has(n) || n === 'type' || n === 'time') invalid(`${what}: "${n}" cannot name an attribute`);
  if (a.type !== 'numeric' && a.type !== 'categorical') invalid(`${what}.type: expected numeric or categorical, got ${describe(a.type)}`);
  const out: AttributeDef = { name: n, type: a.type as AttributeDef['type'] };
  if (a.categories !== undefined) {
    if (a.type !== 'categorical') invalid(`${what}: a numeric attribute has no categories`);
    const cats = array(a.categories, `${what}.categories`, 1 << 24);
    if (cats.some((c) => typeof c !== 'string')) invalid(`${what}.categories: expected strings`);
    if (new Set(cats).size !== cats.length) invalid(`${what}.categories: a category appears twice`);
    out.categories = cats as string[];
  }
  if (a.required !== undefined) out.required = bool(a.required, `${what}.required`);
  return out;
}

function validateEventType(raw: unknown, i: number): EventTypeDef {
  const e = obj(raw, `events[${i}]`);
  const n = name(e.name, `events[${i}].name`);
  const attributes = array(e.attributes, `events[${i}].attributes`, JOURNEY_LIMITS.attributes).map((a, k) => validateAttribute(a, `events[${i}].attributes[${k}]`));
  if (new Set(attributes.map((a) => a.name)).size !== attributes.length) invalid(`events[${i}]: an attribute name appears twice`);
  return { name: n, attributes };
}

/** A program reference: -1, or an index of a program of the given result kind that reads only `allowed` slots. */
function programRef(v: unknown, what: string, programs: ValidProgram[], kind: 'bool' | 'number', allowed: (slot: number) => boolean): number {
  const p = int(v, what, -1, programs.length - 1);
  if (p < 0) return -1;
  const prog = programs[p]!;
  if (prog.resultKind !== kind) invalid(`${what}: program ${p} returns a ${prog.resultKind}, expected a ${kind}`);
  for (const s of prog.slotsRead) if (!allowed(s)) invalid(`${what}: program ${p} reads frame slot ${s}, which its context does not fill`);
  return p;
}

function attrSlots(ev: EventTypeDef): (slot: number) => boolean {
  return (s) => s >= 0 && s <= ev.attributes.length;
}

function validateAggregate(raw: unknown, i: number, events: EventTypeDef[], programs: ValidProgram[]): AggregateDef {
  const what = `aggregates[${i}]`;
  const a = obj(raw, what);
  const id = name(a.id, `${what}.id`);
  const event = int(a.event, `${what}.event`, 0, events.length - 1);
  const allowed = attrSlots(events[event]!);
  const where = programRef(a.where, `${what}.where`, programs, 'bool', allowed);
  const value = programRef(a.value, `${what}.value`, programs, 'number', allowed);
  const windowMs = int(a.windowMs, `${what}.windowMs`, 1, JOURNEY_LIMITS.horizonMs);
  const buckets = int(a.buckets, `${what}.buckets`, 1, JOURNEY_LIMITS.buckets);
  if (windowMs % buckets !== 0) invalid(`${what}: ${windowMs} ms do not split into ${buckets} whole-millisecond buckets`);
  const fns = array(a.functions, `${what}.functions`, AGG_FUNCTIONS.length);
  if (fns.length === 0 || fns.some((f) => !AGG_FUNCTIONS.includes(f as AggFn)) || new Set(fns).size !== fns.length) {
    invalid(`${what}.functions: expected distinct names among ${AGG_FUNCTIONS.join(', ')}`);
  }
  if (value < 0 && fns.some((f) => f !== 'count')) invalid(`${what}: only count works without a value program`);
  const description = optionalText(a.description, `${what}.description`);
  return { id, ...(description ? { description } : {}), event, where, value, windowMs, buckets, functions: fns as AggFn[] };
}

function validateGuards(raw: unknown, what: string, events: EventTypeDef[], programs: ValidProgram[], allowedRefs: (slot: number) => boolean, aggSlots: Set<number>): GuardDef[] {
  return array(raw, what, JOURNEY_LIMITS.guardsPerGap).map((g, i) => {
    const o = obj(g, `${what}[${i}]`);
    const event = int(o.event, `${what}[${i}].event`, 0, events.length - 1);
    const base = attrSlots(events[event]!);
    const where = programRef(o.where, `${what}[${i}].where`, programs, 'bool', (s) => base(s) || aggSlots.has(s) || allowedRefs(s));
    return { event, where };
  });
}

function validateJourney(
  raw: unknown,
  i: number,
  events: EventTypeDef[],
  programs: ValidProgram[],
  claim: (slot: unknown, what: string) => number,
  aggSlots: Set<number>,
): JourneyDef {
  const what = `journeys[${i}]`;
  const j = obj(raw, what);
  const id = name(j.id, `${what}.id`);
  const W = `journey "${id}"`;
  const rawSteps = array(j.steps, `${W}.steps`, JOURNEY_LIMITS.steps);
  if (rawSteps.length === 0) invalid(`${W}: no steps`);
  const k = rawSteps.length;
  // Steps without their conditions first: references name steps.
  const steps: StepDef[] = rawSteps.map((r, s) => {
    const sw = `${W}.steps[${s}]`;
    const o = obj(r, sw);
    const event = int(o.event, `${sw}.event`, 0, events.length - 1);
    const min = int(o.min, `${sw}.min`, 1, JOURNEY_LIMITS.count);
    const max = o.max === null ? null : int(o.max, `${sw}.max`, min, JOURNEY_LIMITS.count);
    const captures = array(o.captures, `${sw}.captures`, JOURNEY_LIMITS.captures).map((c, n) => int(c, `${sw}.captures[${n}]`, 0, events[event]!.attributes.length - 1));
    if (new Set(captures).size !== captures.length) invalid(`${sw}.captures: an attribute is captured twice`);
    const step: StepDef = {
      name: name(o.name, `${sw}.name`, IDENT_PATTERN),
      event,
      where: -1,
      min,
      max,
      optional: bool(o.optional, `${sw}.optional`),
      strict: bool(o.strict, `${sw}.strict`),
      consecutive: bool(o.consecutive, `${sw}.consecutive`),
      captures,
    };
    if (step.name.length > 64 || KEYWORDS.has(step.name)) invalid(`${sw}.name: not a valid step name`);
    if (s === 0 && (step.optional || step.strict)) invalid(`${sw}: the first step can be neither optional nor strict`);
    if (s === k - 1 && step.optional) invalid(`${sw}: the last step cannot be optional`);
    if (step.consecutive && step.max === 1) invalid(`${sw}: consecutive needs a step that repeats`);
    return step;
  });
  if (new Set(steps.map((s) => s.name)).size !== k) invalid(`${W}: two steps share a name`);

  const refs: RefDef[] = array(j.refs, `${W}.refs`, 1024).map((r, n) => {
    const rw = `${W}.refs[${n}]`;
    const o = obj(r, rw);
    const step = int(o.step, `${rw}.step`, 0, k - 1);
    const field = o.field as RefDef['field'];
    if (!REF_FIELDS.includes(field)) invalid(`${rw}.field: expected one of ${REF_FIELDS.join(', ')}, got ${describe(o.field)}`);
    const capture = field === 'capture' ? int(o.capture, `${rw}.capture`, 0, steps[step]!.captures.length - 1) : int(o.capture, `${rw}.capture`, -1, -1);
    return { slot: claim(o.slot, rw), step, field, capture };
  });
  const refsUpTo = (s: number) => {
    const slots = new Set(refs.filter((r) => r.step <= s).map((r) => r.slot));
    return (slot: number) => slots.has(slot);
  };
  steps.forEach((st, s) => {
    const base = attrSlots(events[st.event]!);
    const mine = refsUpTo(s);
    st.where = programRef((rawSteps[s] as Record<string, unknown>).where, `${W}.steps[${s}].where`, programs, 'bool', (x) => base(x) || aggSlots.has(x) || mine(x));
  });

  const gaps = array(j.guards, `${W}.guards`, JOURNEY_LIMITS.steps);
  if (gaps.length !== k - 1) invalid(`${W}.guards: expected ${k - 1} lists (one per gap between steps), got ${gaps.length}`);
  const guards = gaps.map((g, n) => {
    const list = validateGuards(g, `${W}.guards[${n}]`, events, programs, refsUpTo(n), aggSlots);
    if (list.length > 0 && (steps[n]!.optional || steps[n + 1]!.optional)) invalid(`${W}.guards[${n}]: an absence must stand between two required steps`);
    return list;
  });
  let absence: JourneyDef['absence'] = null;
  if (j.absence !== null) {
    const a = obj(j.absence, `${W}.absence`);
    const list = validateGuards(a.guards, `${W}.absence.guards`, events, programs, refsUpTo(k - 1), aggSlots);
    if (list.length === 0) invalid(`${W}.absence: no guards`);
    absence = { guards: list, windowMs: int(a.windowMs, `${W}.absence.windowMs`, 1, JOURNEY_LIMITS.horizonMs) };
  }
  const withinMs = j.withinMs === null ? null : int(j.withinMs, `${W}.withinMs`, 1, JOURNEY_LIMITS.horizonMs);
  const skip = j.skip;
  if (skip !== 'skipPastLastEvent' && skip !== 'noSkip') invalid(`${W}.skip: expected skipPastLastEvent or noSkip, got ${describe(skip)}`);
  const def: JourneyDef = {
    id,
    steps,
    guards,
    absence,
    withinMs,
    activeForMs: int(j.activeForMs, `${W}.activeForMs`, 1, JOURNEY_LIMITS.horizonMs),
    skip: skip as JourneyDef['skip'],
    maxPartialMatches: int(j.maxPartialMatches, `${W}.maxPartialMatches`, 1, JOURNEY_LIMITS.maxPartialMatches),
    refs,
  };
  const description = optionalText(j.description, `${W}.description`);
  if (description) def.description = description;
  if (withinMs === null && !isInstant(def)) invalid(`${W}: a journey of more than one event needs withinMs`);
  return def;
}
