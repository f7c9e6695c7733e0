/**
 * Places validated decision tables in linear memory, in the layout the
 * kernel reads (assembly/decide/arbitrate.ts and policy.ts, field by field),
 * with the kernel's scratch. Program pointers come from placePrograms, model
 * pointers from the engine's model hosts.
 */
import type { WasmInstance } from '../runtime/wasm.js';
import { placePrograms, type ProgramCode } from '../compile/expr/bytecode.js';
import { OP } from '../compile/expr/opcodes.js';
import type { ModelTable } from '../models/registry.js';
import { FACTOR_SLOTS, OUTCOMES, type DecisionTables } from './tables.js';

const DT_SIZE = 176;
export const ADAPTIVE_REF_SIZE = 32;
const ACTION_SIZE = 128;
const PROG_REF_SIZE = 16;
/** A PROG ref and its RULE MEMO entries: +16 byte offset (-1: not shared), +20 stride per channel (8 or 0). */
const RULE_REF_SIZE = 24;
const CHECK_SIZE = 16;
const POLICY_SIZE = 32;
const MODEL_REF_SIZE = 16;
export const CAND_SIZE = 80;
/** How the kernel gets a factor (PROG ref +4): run the program, a constant (f64 at +8), or the default product. */
const REF_PROGRAM = 0;
const REF_CONSTANT = 1;
const REF_DEFAULT_PRIORITY = 2;
const REF_SLOT = 3;

/** The value of a program that reads nothing and returns a constant, or undefined. */
export function constantOf(p: ProgramCode): number | undefined {
  const c = p.code;
  if (c.length === 1 && c[0] === OP.RET_0) return 0;
  if (c.length === 1 && c[0] === OP.RET_1) return 1;
  if (c.length === 3 && c[0] === OP.PUSH_K && c[2] === OP.RET) return p.consts[c[1]!];
  return undefined;
}

/** The frame slot of a program that only reads one (`LOAD_S slot; RET`, e.g. `score.offers`), or undefined. */
export function slotOf(p: ProgramCode): number | undefined {
  const c = p.code;
  return c.length === 3 && c[0] === OP.LOAD_S && c[2] === OP.RET ? c[1] : undefined;
}

/**
 * True when a program is the default priority, ((propensity * context) *
 * value) * lever over the factor slots, which the kernel then multiplies
 * itself, in the same order (so the result is bitwise the program's).
 */
export function isDefaultPriority(p: ProgramCode): boolean {
  const { LOAD_S, MUL, RET } = OP as Record<string, number>;
  const f = FACTOR_SLOTS;
  const want = [LOAD_S, f.propensity, LOAD_S, f.context, MUL, LOAD_S, f.value, MUL, LOAD_S, f.lever, MUL, RET];
  return p.code.length === want.length && want.every((w, i) => p.code[i] === w);
}

/**
 * The rule programs whose results the kernel keeps for the rest of a
 * decision run (assembly/decide/arbitrate.ts RULE MEMO): those that several
 * rule refs run (a group's rules run for every member) and that read no slot
 * the kernel writes per candidate (factors, adaptive propensities), by
 * program index: the byte offset of its entries and their stride per
 * channel (8 when it reads context.channel: one entry per channel).
 */
export function ruleMemo(tables: DecisionTables, nChannels: number): { entries: Map<number, { offset: number; stride: number }>; bytes: number } {
  const uses = new Map<number, number>();
  for (const a of tables.actions) for (const [, p] of a.rules) uses.set(p, (uses.get(p) ?? 0) + 1);
  const perCandidate = new Set<number>([...Object.values(FACTOR_SLOTS), ...tables.frame.adaptive.map((m) => m.slot)]);
  const entries = new Map<number, { offset: number; stride: number }>();
  let bytes = 0;
  for (const [p, n] of uses) {
    const read = tables.programs.programs[p]!.slotsRead;
    if (n < 2 || read.some((s) => perCandidate.has(s))) continue;
    const perChannel = tables.frame.channelSlot >= 0 && read.includes(tables.frame.channelSlot);
    entries.set(p, { offset: bytes, stride: perChannel ? 8 : 0 });
    bytes += perChannel ? 8 * nChannels : 8;
  }
  return { entries, bytes };
}

/** The learning instance of an adaptive model for an action on a channel (channel undefined without channels). */
export type InstanceOf = (modelId: string, actionId: string, channel: string | undefined) => number;

export interface PlacedDecisions {
  /** The decision table. */
  dt: number;
  /** Per frame.adaptive model: its bins scratch (u16 per predictor) and predictor count, for the decision log. */
  adaptiveBins: { ptr: number; n: number }[];
  /** Per action: its learning instance per channel index (0 where not offered), when its propensity is adaptive. */
  instances: (Int32Array | undefined)[];
  /** Candidate records (CAND_SIZE bytes each). */
  candidates: number;
  maxCandidates: number;
  /** Bit per model of tables.frame.models, per program: the models a program reads. */
  programNeeds: bigint[];
  /** Pointer of each placed program (tables.programs order). */
  programPtrs: Int32Array;
}

/** Models each program reads (bit i = tables.frame.models[i]). */
export function programNeeds(tables: DecisionTables, models: ReadonlyMap<string, ModelTable>): bigint[] {
  const ranges = tables.frame.models.map((m) => [m.slot, m.slot + models.get(m.id)!.nOutputs] as const);
  return tables.programs.programs.map((p) => {
    let need = 0n;
    for (const s of p.slotsRead) {
      ranges.forEach(([lo, hi], i) => {
        if (s >= lo && s < hi) need |= 1n << BigInt(i);
      });
    }
    return need;
  });
}

export function placeDecisions(
  wasm: WasmInstance,
  tables: DecisionTables,
  models: ReadonlyMap<string, { table: ModelTable; ptr: number }>,
  numFeatures: number,
  contactsOffset: number,
  instanceOf: InstanceOf,
  /** The placed journeys table, when the bundle has journeys (frame.journeys values are read from it). */
  journeysTable = 0,
): PlacedDecisions {
  const progPtrs = placePrograms(wasm, tables.programs);
  const needs = programNeeds(tables, new Map([...models].map(([k, v]) => [k, v.table])));
  const nActions = tables.actions.length;
  const nChannels = Math.max(1, tables.channels.length);
  const maxCandidates = Math.max(1, tables.actions.reduce((s, a) => s + a.channels.length, 0));

  const i32 = () => wasm.i32;
  const f64 = () => wasm.f64;
  const u32 = () => wasm.u32;
  const setI32 = (ptr: number, v: number) => (i32()[ptr >> 2] = v);
  const setF64 = (ptr: number, v: number) => (f64()[ptr >> 3] = v);
  const setU64 = (ptr: number, v: bigint) => {
    u32()[ptr >> 2] = Number(v & 0xffffffffn);
    u32()[(ptr >> 2) + 1] = Number((v >> 32n) & 0xffffffffn);
  };
  const placeI32 = (xs: number[]) => (xs.length ? wasm.place(Int32Array.from(xs)) : 0);
  const progRef = (ptr: number, program: number, rule: number) => {
    setI32(ptr, progPtrs[program]!);
    setI32(ptr + 4, rule);
    setU64(ptr + 8, needs[program]!);
  };
  /** A factor: a constant, a frame slot (after the models it reads) or the default priority need no program run. */
  const factorRef = (ptr: number, program: number) => {
    const p = tables.programs.programs[program]!;
    const k = constantOf(p);
    const slot = slotOf(p);
    if (k !== undefined) {
      setI32(ptr, 0);
      setI32(ptr + 4, REF_CONSTANT);
      setF64(ptr + 8, k);
    } else if (slot !== undefined) {
      progRef(ptr, program, REF_SLOT);
      setI32(ptr, slot * 8); // validated: slot < frame slots
    } else {
      progRef(ptr, program, isDefaultPriority(p) ? REF_DEFAULT_PRIORITY : REF_PROGRAM);
    }
  };

  // Policies and model refs.
  const policies = wasm.alloc(Math.max(1, tables.policies.length) * POLICY_SIZE, 16);
  tables.policies.forEach((p, k) => {
    const at = policies + k * POLICY_SIZE;
    setI32(at, p.kind === 'cap' ? 0 : 1);
    setI32(at + 4, p.n);
    setI32(at + 8, p.outcomes);
    setI32(at + 12, p.kind === 'cap' && (p.outcomes & (1 << OUTCOMES.indexOf('impression'))) !== 0 ? 1 : 0);
    setF64(at + 16, p.windowMs / 1000);
    setF64(at + 24, p.forMs / 1000);
  });
  const modelRefs = wasm.alloc(Math.max(1, tables.frame.models.length) * MODEL_REF_SIZE, 16);
  let maxGroups = 1;
  tables.frame.models.forEach((m, k) => {
    const host = models.get(m.id)!;
    const at = modelRefs + k * MODEL_REF_SIZE;
    setI32(at, host.ptr);
    setI32(at + 4, m.slot * 8);
    setI32(at + 8, host.table.nOutputs);
    maxGroups = Math.max(maxGroups, host.table.nGroups, host.table.nOutputs);
  });

  // Adaptive models (per action) read by propensities, with their bins scratch.
  const adaptiveRefs = wasm.alloc(Math.max(1, tables.frame.adaptive.length) * ADAPTIVE_REF_SIZE, 16);
  const adaptiveBins = tables.frame.adaptive.map((m, k) => {
    const t = models.get(m.id)!.table;
    const n = t.kind === 'adaptive' ? t.predictors.length : 0;
    const bins = wasm.alloc(Math.max(1, n) * 2, 16);
    const at = adaptiveRefs + k * ADAPTIVE_REF_SIZE;
    setI32(at, models.get(m.id)!.ptr);
    setI32(at + 4, m.slot * 8);
    setI32(at + 8, bins);
    setI32(at + 24, n);
    setI32(at + 28, 0); // no forced coin (decideSample sets it for its runs)
    return { ptr: bins, n };
  });
  const instances = tables.actions.map((a) => {
    if (a.adaptive < 0) return undefined;
    const id = tables.frame.adaptive[a.adaptive]!.id;
    const per = new Int32Array(nChannels);
    for (const c of a.channels) per[c] = instanceOf(id, a.id, tables.channels.length ? tables.channels[c] : undefined);
    return per;
  });

  // Actions.
  const memo = ruleMemo(tables, nChannels);
  const maskWords = Math.max(1, Math.ceil(nActions / 32));
  const actions = wasm.alloc(Math.max(1, nActions) * ACTION_SIZE, 16);
  tables.actions.forEach((a, k) => {
    const rules = a.rules.length ? wasm.alloc(a.rules.length * RULE_REF_SIZE, 16) : 0;
    a.rules.forEach(([rule, program], r) => {
      const at = rules + r * RULE_REF_SIZE;
      progRef(at, program, rule);
      const m = memo.entries.get(program);
      setI32(at + 16, m ? m.offset : -1);
      setI32(at + 20, m ? m.stride : 0);
    });
    const checks = a.checks.length ? wasm.alloc(a.checks.length * CHECK_SIZE, 16) : 0;
    a.checks.forEach(([policy, tracker], c) => {
      const at = checks + c * CHECK_SIZE;
      setI32(at, tables.trackers[tracker]!.offset);
      setI32(at + 4, policy);
      setI32(at + 8, tables.policies[policy]!.channel);
      setI32(at + 12, tracker);
    });
    const sets = placeI32(a.sets);
    let suppress = 0;
    if (a.suppresses.length) {
      const bits = new Uint32Array(maskWords);
      for (const v of a.suppresses) bits[v >>> 5]! |= 1 << (v & 31);
      suppress = wasm.place(bits);
    }
    const at = actions + k * ACTION_SIZE;
    let mask = 0n;
    for (const c of a.channels) mask |= 1n << BigInt(c);
    setU64(at, mask);
    setI32(at + 8, a.mandatory ? 1 : 0);
    setI32(at + 12, a.tiers[0]);
    setI32(at + 16, a.tiers[1]);
    setI32(at + 20, a.tiers[2]);
    setI32(at + 24, rules);
    setI32(at + 28, a.checks.length);
    setI32(at + 32, checks);
    setI32(at + 36, a.sets.length);
    setI32(at + 40, sets);
    setI32(at + 44, suppress);
    setF64(at + 48, a.lever);
    factorRef(at + 56, a.propensity);
    factorRef(at + 72, a.value);
    factorRef(at + 88, a.context);
    factorRef(at + 104, a.priority);
    setI32(at + 120, a.adaptive);
    setI32(at + 124, instances[k] ? wasm.place(instances[k]!) : 0);
  });

  // Scratch.
  const channelLimits = wasm.place(Int32Array.from(tables.arbitration.channelLimits));
  const setTaken = wasm.alloc(Math.max(1, tables.sets.length) * 4, 16);
  const capUsed = wasm.alloc(Math.max(1, tables.trackers.length) * 4, 16);
  const candidates = wasm.alloc(maxCandidates * CAND_SIZE, 16);
  const order = wasm.alloc(maxCandidates * 4, 16);
  const orderTmp = wasm.alloc(maxCandidates * 4, 16);
  const placed = wasm.alloc(Math.max(1, nActions) * 4, 16);
  const channelCount = wasm.alloc(nChannels * 4, 16);
  const margins = wasm.alloc(maxGroups * 4, 16);

  const dt = wasm.alloc(DT_SIZE, 16);
  setI32(dt, nActions);
  setI32(dt + 4, actions);
  setI32(dt + 8, nChannels);
  setI32(dt + 12, channelLimits);
  setI32(dt + 16, tables.policies.length);
  setI32(dt + 20, policies);
  setI32(dt + 24, tables.frame.models.length);
  setI32(dt + 28, modelRefs);
  setI32(dt + 32, tables.sets.length);
  setI32(dt + 36, setTaken);
  setI32(dt + 40, tables.trackers.length);
  setI32(dt + 44, capUsed);
  setI32(dt + 48, candidates);
  setI32(dt + 52, maxCandidates);
  setI32(dt + 56, order);
  setI32(dt + 60, orderTmp);
  setI32(dt + 64, placed);
  setI32(dt + 68, channelCount);
  setI32(dt + 72, margins);
  setI32(dt + 76, numFeatures * 4);
  setI32(dt + 80, contactsOffset);
  setI32(dt + 84, tables.frame.channelSlot >= 0 ? tables.frame.channelSlot * 8 : -1);
  setI32(dt + 88, FACTOR_SLOTS.propensity * 8);
  setI32(dt + 92, FACTOR_SLOTS.value * 8);
  setI32(dt + 96, FACTOR_SLOTS.context * 8);
  setI32(dt + 100, FACTOR_SLOTS.lever * 8);
  setI32(dt + 104, tables.arbitration.minPriority === undefined ? 0 : 1);
  setF64(dt + 112, tables.arbitration.minPriority ?? 0);
  setI32(dt + 128, tables.frame.adaptive.length);
  setI32(dt + 132, adaptiveRefs);
  // journey values (assembly/journey/values.ts): {frame byte offset, value id} per frame.journeys entry
  const journeyValues = wasm.alloc(Math.max(1, tables.frame.journeys.length) * 8, 16);
  tables.frame.journeys.forEach((j, i) => {
    setI32(journeyValues + i * 8, j.slot * 8);
    setI32(journeyValues + i * 8 + 4, j.valueId);
  });
  setI32(dt + 144, tables.frame.journeys.length > 0 ? journeysTable : 0);
  setI32(dt + 148, tables.frame.journeys.length);
  setI32(dt + 152, journeyValues);
  // the rule memo, zeroed (epoch 0 is never a run's)
  setI32(dt + 156, wasm.alloc(Math.max(8, memo.bytes), 16));
  setI32(dt + 160, memo.bytes);
  setI32(dt + 164, 0);
  return { dt, candidates, maxCandidates, programNeeds: needs, programPtrs: progPtrs, adaptiveBins, instances };
}

/** Outputs of the decision table header: candidate records written, and the models scored (u64). */
export const DT_N_CANDIDATES = 108;
export const DT_SCORED = 120;
/** Input set per call: the exploration stream (32-byte PRNG state). */
export const DT_RNG = 136;
/** The adaptive refs (ADAPTIVE_REF_SIZE each: +12 state, +16 coin, +28 forced coin). */
export const DT_ADAPTIVE = 132;
/** Adaptive refs' per-call state (bit 0: the row was binned), for reading the bins after a call. */
export function adaptiveBinned(wasm: WasmInstance, p: PlacedDecisions, k: number): boolean {
  const refs = wasm.i32[(p.dt + 132) >> 2]!;
  return (wasm.i32[(refs + k * ADAPTIVE_REF_SIZE + 12) >> 2]! & 1) === 1;
}
