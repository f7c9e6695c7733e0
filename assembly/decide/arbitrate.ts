// The decision kernel: one call ranks every action for one customer.
//
//   for each action (spec order) x each requested channel it is offered on:
//     eligibility -> applicability -> suitability   (rule programs, first false drops)
//     -> contact policies                           (customer state, section contacts)
//     -> propensity, value, context weight, lever   (non-finite drops)
//     -> priority                                   (non-finite or below the minimum drops)
//   then over the survivors: service-before-sell suppression -> mutual
//   exclusion -> top-k per channel (each action at most once, caps consumed
//   by the actions placed). Semantics: docs/decisions.md. Twin:
//   src/reference/decide.ts.
//
// Models are scored inside the call, lazily: a program that reads score.<m>
// carries a bit per model it needs, and each model is scored at most once.
//
// Decision table (src/decide/place.ts), 128 bytes, 16-aligned:
//   +0   nActions       i32
//   +4   actions        usize -> nActions ACTION records
//   +8   nChannels      i32    >= 1 (1 when the bundle has no channels)
//   +12  channelLimits  usize -> i32[nChannels] hard limit per channel
//   +16  nPolicies      i32
//   +20  policies       usize -> POLICY records (assembly/decide/policy.ts)
//   +24  nModels        i32    models that decision programs read (<= 64)
//   +28  models         usize -> MODEL refs: +0 model ptr, +4 frame byte of output 0, +8 nOutputs
//   +32  nSets          i32    mutually exclusive sets
//   +36  setTaken       usize -> i32[nSets] scratch
//   +40  nTrackers      i32
//   +44  capUsed        usize -> i32[nTrackers] scratch, zero between calls
//   +48  candidates     usize -> CAND records scratch
//   +52  maxCandidates  i32
//   +56  order          usize -> i32[maxCandidates] scratch
//   +60  orderTmp       usize -> i32[maxCandidates] scratch
//   +64  placed         usize -> i32[nActions] scratch
//   +68  channelCount   usize -> i32[nChannels] scratch
//   +72  margins        usize -> f32 scratch for one model's outputs
//   +76  strideBytes    i32    feature vector bytes (schema size * 4)
//   +80  contacts       i32    byte offset of the contacts section in the state
//   +84  slotChannel    i32    frame byte offset of context.channel, -1 if none
//   +88  slotP, +92 slotV, +96 slotC, +100 slotL   frame byte offsets of the factors
//   +104 flags          i32    bit 0: minPriority is set
//   +108 nCandidates    i32    out: candidate records written by the last call
//   +112 minPriority    f64
//   +120 scored         u64    out: bit per model scored by the last call
//   +128 nAdaptive      i32    adaptive models (per action) that propensities read (<= 64)
//   +132 adaptive       usize -> ADAPTIVE refs
//   +136 rng            usize  the exploration stream of this call (32-byte xoshiro128** state)
//   +144 journeys       usize  the placed journeys table (src/runtime/journeys.ts), 0 when no program reads journeys
//   +148 nJourneyValues i32    +152 journeyValues usize: {frame byte offset, value id} per journey value programs read,
//        filled with journeyValue(journeys, state, now, id) before anything runs
//   +156 ruleMemo       usize -> RULE MEMO entries scratch (8 bytes each), zeroed at placement
//   +160 ruleMemoBytes  i32
//   +164 memoEpoch      u32    scratch: the epoch of the current run (entries stamped with it are valid)
//
// RULE MEMO: a rule program shared by several actions (a group's rules are
//   every member's) runs once per decision run, or once per channel when it
//   reads context.channel: +0 epoch u32 (the run that computed it), +4 result
//   i32 (0 or 1). Valid because nothing a rule can read changes within a run
//   except context.channel (the factor and adaptive slots, written per
//   candidate, make a program unshared at placement), and a model a memoized
//   program needs was scored when the program first ran in that run.
//
// ADAPTIVE ref, 32 bytes: +0 model ptr, +4 frame byte of its slot, +8 bins scratch (u16 per
//   predictor), +12 state i32 (scratch: bit 0 the row is binned, bit 1 the coin is drawn),
//   +16 coin f64 (scratch: the decision's epsilon coin), +24 nPredictors i32,
//   +28 force i32 (decideSample only: 0 draw the coin, COIN_EXPLOIT or COIN_EXPLORE).
//
// ACTION record, 128 bytes:
//   +0   channelMask u64   bit c: offered on channel c
//   +8   flags       i32   bit 0: mandatory
//   +12  nElig, +16 nAppl, +20 nSuit  i32
//   +24  rules       usize -> RULE refs, the three tiers in order
//   +28  nChecks     i32
//   +32  checks      usize -> CHECK records (policy.ts)
//   +36  nSets       i32
//   +40  sets        usize -> i32[nSets]
//   +44  suppress    usize -> u32 bitset over actions this action suppresses, or 0
//   +48  lever       f64
//   +56  propensity, +72 value, +88 context, +104 priority: PROG refs
//   +120 adaptive    i32   the ADAPTIVE ref its propensity reads, or -1
//   +124 instances   usize -> usize per channel: the action's learning instance on that channel
// RULE ref, 24 bytes: a PROG ref (+0 program ptr, +4 rule index, +8 need u64), then +16 memo i32
//   (byte offset of its RULE MEMO entries in ruleMemo, -1: not shared, run every time), +20 memo
//   stride i32 (8: one entry per channel, the program reads context.channel; 0: one entry).
// PROG ref, 16 bytes: +0 program ptr (REF_SLOT: the frame byte of the slot it reads), +4 rule
//   index (rules) or how to get a factor (REF_*), +8 need u64 (bit per model), or the f64 value
//   of a REF_CONSTANT factor.
//
// CAND record, 80 bytes (the output; src/decide/decider.ts reads it):
//   +0 action i32, +4 channel i32 (-1: on none of the requested channels),
//   +8 stage i32, +12 reason i32, +16 reason2 i32, +20 flags i32 (bit 0 mandatory),
//   +24 propensity f64, +32 value f64, +40 context f64, +48 lever f64, +56 priority f64,
//   +64 model propensity f64 (adaptive: before exploration), +72 score bin i32 (adaptive)
//
// Inputs are not trusted: features, frame and state may hold any bits.
import { journeyValue } from "../journey/values";
import { evalProgram, evalProgramInline } from "./rules";
import { modelMargins, modelTransform } from "../score/model";
import { adaptiveBinRow, adaptiveScore, adaptiveScoreBin, AD_EXPLORE, AD_OFF_CLASSIFIER, INST_NACTIVE } from "../score/adaptive";
import { adaptiveAdmit, adaptiveExplore, EXPLORE_EPSILON } from "../score/explore";
import { prngUniform } from "../shared/prng";
import {
  CHECK_CHANNEL,
  CHECK_POLICY,
  CHECK_SIZE,
  CHECK_TRACKER,
  CHECK_TRACKER_BYTE,
  POLICY_CONSUMES,
  POLICY_OUTCOMES,
  POLICY_SIZE,
  capRemaining,
  policyBlocks,
  trackerRecord,
} from "./policy";

export const DT_N_ACTIONS: usize = 0;
export const DT_ACTIONS: usize = 4;
export const DT_N_CHANNELS: usize = 8;
export const DT_CHANNEL_LIMITS: usize = 12;
export const DT_N_POLICIES: usize = 16;
export const DT_POLICIES: usize = 20;
export const DT_N_MODELS: usize = 24;
export const DT_MODELS: usize = 28;
export const DT_N_SETS: usize = 32;
export const DT_SET_TAKEN: usize = 36;
export const DT_N_TRACKERS: usize = 40;
export const DT_CAP_USED: usize = 44;
export const DT_CANDIDATES: usize = 48;
export const DT_MAX_CANDIDATES: usize = 52;
export const DT_ORDER: usize = 56;
export const DT_ORDER_TMP: usize = 60;
export const DT_PLACED: usize = 64;
export const DT_CHANNEL_COUNT: usize = 68;
export const DT_MARGINS: usize = 72;
export const DT_STRIDE: usize = 76;
export const DT_CONTACTS: usize = 80;
export const DT_SLOT_CHANNEL: usize = 84;
export const DT_SLOT_P: usize = 88;
export const DT_SLOT_V: usize = 92;
export const DT_SLOT_C: usize = 96;
export const DT_SLOT_L: usize = 100;
export const DT_FLAGS: usize = 104;
export const DT_N_CANDIDATES: usize = 108;
export const DT_MIN_PRIORITY: usize = 112;
export const DT_SCORED: usize = 120;
export const DT_N_ADAPTIVE: usize = 128;
export const DT_ADAPTIVE: usize = 132;
export const DT_RNG: usize = 136;
// journeys: the placed journeys table (0: none), and frame.journeys: {frame byte offset, value id} each
export const DT_JOURNEYS: usize = 144;
export const DT_N_JOURNEY_VALUES: usize = 148;
export const DT_JOURNEY_VALUES: usize = 152;
export const DT_RULE_MEMO: usize = 156;
export const DT_RULE_MEMO_BYTES: usize = 160;
export const DT_MEMO_EPOCH: usize = 164;
export const DT_SIZE: usize = 176;

export const ADAPTIVE_REF_SIZE: usize = 32;
const AR_MODEL: usize = 0;
const AR_SLOT: usize = 4;
const AR_BINS: usize = 8;
const AR_STATE: usize = 12;
const AR_COIN: usize = 16;
const AR_FORCE: usize = 28;
/** decideSample: the epsilon coin of an adaptive model fixed to "do not explore" or "explore". */
export const COIN_EXPLOIT: i32 = 1;
export const COIN_EXPLORE: i32 = 2;

export const ACTION_SIZE: usize = 128;
export const A_CHANNELS: usize = 0;
export const A_FLAGS: usize = 8;
export const A_N_ELIG: usize = 12;
export const A_N_APPL: usize = 16;
export const A_N_SUIT: usize = 20;
export const A_RULES: usize = 24;
export const A_N_CHECKS: usize = 28;
export const A_CHECKS: usize = 32;
export const A_N_SETS: usize = 36;
export const A_SETS: usize = 40;
export const A_SUPPRESS: usize = 44;
export const A_LEVER: usize = 48;
export const A_PROPENSITY: usize = 56;
export const A_VALUE: usize = 72;
export const A_CONTEXT: usize = 88;
export const A_PRIORITY: usize = 104;
export const A_ADAPTIVE: usize = 120;
export const A_INSTANCES: usize = 124;

export const PROG_REF_SIZE: usize = 16;
export const RULE_REF_SIZE: usize = 24;
const RR_MEMO: usize = 16;
const RR_MEMO_STRIDE: usize = 20;
// How a factor is computed (PROG ref +4): run its program, take the constant at +8,
// ((propensity * context) * value) * lever natively (the default priority's program, same order),
// or read the one frame slot its program reads (`score.offers`), after scoring the models it needs.
export const REF_PROGRAM: i32 = 0;
export const REF_CONSTANT: i32 = 1;
export const REF_DEFAULT_PRIORITY: i32 = 2;
export const REF_SLOT: i32 = 3;
export const MODEL_REF_SIZE: usize = 16;

export const CAND_SIZE: usize = 80;
export const C_ACTION: usize = 0;
export const C_CHANNEL: usize = 4;
export const C_STAGE: usize = 8;
export const C_REASON: usize = 12;
export const C_REASON2: usize = 16;
export const C_FLAGS: usize = 20;
export const C_P: usize = 24;
export const C_V: usize = 32;
export const C_C: usize = 40;
export const C_L: usize = 48;
export const C_PRIORITY: usize = 56;
export const C_MODEL_P: usize = 64;
export const C_SCORE_BIN: usize = 72;

// Stages (src/decide/tables.ts STAGES keeps the names in this order).
export const STAGE_SELECTED: i32 = 0;
export const STAGE_CHANNEL: i32 = 1;
export const STAGE_ELIGIBILITY: i32 = 2;
export const STAGE_APPLICABILITY: i32 = 3;
export const STAGE_SUITABILITY: i32 = 4;
export const STAGE_POLICY: i32 = 5;
export const STAGE_PROPENSITY: i32 = 6;
export const STAGE_VALUE: i32 = 7;
export const STAGE_CONTEXT: i32 = 8;
export const STAGE_PRIORITY: i32 = 9;
export const STAGE_SUPPRESSION: i32 = 10;
export const STAGE_EXCLUSION: i32 = 11;
export const STAGE_LIMIT: i32 = 12;
/** Internal: survived the per-candidate stages; never left in a record after the call. */
const STAGE_RANKING: i32 = 13;

// Reasons of the number stages (propensity, value, context, priority).
export const REASON_MISSING: i32 = 0;
export const REASON_INFINITE: i32 = 1;
export const REASON_BELOW_MIN: i32 = 2;
/** Propensity stage: the adaptive model's exposure ramp did not admit the action to this decision. */
export const REASON_NOT_ADMITTED: i32 = 3;
// Reasons of STAGE_LIMIT.
export const LIMIT_CHANNEL_FULL: i32 = 0;
export const LIMIT_ACTION_PLACED: i32 = 1;
export const LIMIT_CAP: i32 = 2;

/** Bit per model ref scored during the current call. */
let scored: u64 = 0;
/** The current run's RULE MEMO epoch, and the memo entries (decideRun sets both). */
let memoEpoch: u32 = 0;
let ruleMemo: usize = 0;

/** Scores the models in `missing` (bits of model refs) into their frame slots. */
function scoreModels(dt: usize, missing: u64, features: usize, frame: usize): void {
  const models = load<usize>(dt, DT_MODELS);
  const margins = load<usize>(dt, DT_MARGINS);
  const stride = load<i32>(dt, DT_STRIDE);
  while (missing != 0) {
    const i = <i32>ctz(missing);
    missing &= missing - 1;
    assert(i < load<i32>(dt, DT_N_MODELS), "decide: model bit out of range");
    const ref = models + (<usize>i) * MODEL_REF_SIZE;
    const model = load<usize>(ref);
    modelMargins(model, features, 1, stride, margins);
    modelTransform(model, margins, 1, margins);
    const slot = frame + <usize>load<i32>(ref, 4);
    const n = load<i32>(ref, 8);
    for (let k = 0; k < n; k++) {
      store<f64>(slot + (<usize>k << 3), <f64>load<f32>(margins + (<usize>k << 2)));
    }
    scored |= (<u64>1) << <u64>i;
  }
}

@inline function ensureModels(dt: usize, need: u64, features: usize, frame: usize): void {
  const missing = need & ~scored;
  if (missing != 0) scoreModels(dt, missing, features, frame);
}

/** A factor from its PROG ref: a constant, or its program run (scoring the models it reads first). */
@inline function runRef(dt: usize, ref: usize, features: usize, frame: usize): f64 {
  const how = load<i32>(ref, 4);
  if (how == REF_CONSTANT) return load<f64>(ref, 8);
  ensureModels(dt, load<u64>(ref, 8), features, frame);
  if (how == REF_SLOT) return load<f64>(frame + <usize>load<i32>(ref));
  return evalProgram(load<usize>(ref), frame, features);
}

/** 0 for NaN, 1 for an infinity, -1 for a finite number. */
@inline function badNumber(x: f64): i32 {
  if (x != x) return REASON_MISSING;
  return x - x != 0 ? REASON_INFINITE : -1;
}

@inline function drop(rec: usize, stage: i32, reason: i32): bool {
  store<i32>(rec, stage, C_STAGE);
  store<i32>(rec, reason, C_REASON);
  return false;
}

/**
 * The per-candidate stages for action `act` (index a) on channel c, into the
 * record at rec. Returns true when the candidate reaches the ranking stages.
 */
function evalCandidate(
  dt: usize,
  act: usize,
  c: i32,
  rec: usize,
  features: usize,
  frame: usize,
  contacts: usize,
  nowS: f64,
): bool {
  // Rules: three tiers, first false drops; a shared program's result from the memo when this run has it.
  let ref = load<usize>(act, A_RULES);
  const nElig = load<i32>(act, A_N_ELIG);
  const nEA = nElig + load<i32>(act, A_N_APPL);
  const nRules = nEA + load<i32>(act, A_N_SUIT);
  for (let r = 0; r < nRules; r++, ref += RULE_REF_SIZE) {
    const memo = load<i32>(ref, RR_MEMO);
    let entry: usize = 0;
    let ok: bool;
    if (memo >= 0) {
      const at = memo + c * load<i32>(ref, RR_MEMO_STRIDE);
      if (!ASC_NO_ASSERT) assert(at + 8 <= load<i32>(dt, DT_RULE_MEMO_BYTES), "decide: rule memo entry out of bounds");
      entry = ruleMemo + <usize>at;
      if (load<u32>(entry) == memoEpoch) {
        ok = load<i32>(entry, 4) != 0;
      } else {
        ensureModels(dt, load<u64>(ref, 8), features, frame);
        ok = evalProgram(load<usize>(ref), frame, features) != 0;
        store<u32>(entry, memoEpoch);
        store<i32>(entry, <i32>ok, 4);
      }
    } else {
      ensureModels(dt, load<u64>(ref, 8), features, frame);
      ok = evalProgramInline(load<usize>(ref), frame, features) != 0;
    }
    if (!ok) {
      const stage = r < nElig ? STAGE_ELIGIBILITY : r < nEA ? STAGE_APPLICABILITY : STAGE_SUITABILITY;
      return drop(rec, stage, load<i32>(ref, 4));
    }
  }
  // Contact policies.
  const nChecks = load<i32>(act, A_N_CHECKS);
  let chk = load<usize>(act, A_CHECKS);
  const policies = load<usize>(dt, DT_POLICIES);
  for (let k = 0; k < nChecks; k++, chk += CHECK_SIZE) {
    const ch = load<i32>(chk, CHECK_CHANNEL);
    if (ch >= 0 && ch != c) continue;
    const p = load<i32>(chk, CHECK_POLICY);
    if (policyBlocks(policies + (<usize>p) * POLICY_SIZE, contacts + <usize>load<i32>(chk, CHECK_TRACKER_BYTE), nowS)) {
      return drop(rec, STAGE_POLICY, p);
    }
  }
  // Factors. An adaptive propensity first: the candidate's own instance, admitted and explored.
  const am = load<i32>(act, A_ADAPTIVE);
  if (am >= 0 && !adaptivePropensity(dt, act, am, c, rec, features, frame)) return drop(rec, STAGE_PROPENSITY, REASON_NOT_ADMITTED);
  const pr = runRef(dt, act + A_PROPENSITY, features, frame);
  store<f64>(rec, pr, C_P);
  let bad = badNumber(pr);
  if (bad >= 0) return drop(rec, STAGE_PROPENSITY, bad);
  const v = runRef(dt, act + A_VALUE, features, frame);
  store<f64>(rec, v, C_V);
  bad = badNumber(v);
  if (bad >= 0) return drop(rec, STAGE_VALUE, bad);
  const cw = runRef(dt, act + A_CONTEXT, features, frame);
  store<f64>(rec, cw, C_C);
  bad = badNumber(cw);
  if (bad >= 0) return drop(rec, STAGE_CONTEXT, bad);
  const lever = load<f64>(act, A_LEVER);
  store<f64>(rec, lever, C_L);
  let priority: f64;
  const how = load<i32>(act + A_PRIORITY, 4);
  if (how == REF_DEFAULT_PRIORITY) {
    priority = pr * cw * v * lever;
  } else if (how == REF_CONSTANT) {
    priority = load<f64>(act + A_PRIORITY, 8);
  } else {
    store<f64>(frame + <usize>load<i32>(dt, DT_SLOT_P), pr);
    store<f64>(frame + <usize>load<i32>(dt, DT_SLOT_V), v);
    store<f64>(frame + <usize>load<i32>(dt, DT_SLOT_C), cw);
    store<f64>(frame + <usize>load<i32>(dt, DT_SLOT_L), lever);
    priority = runRef(dt, act + A_PRIORITY, features, frame);
  }
  store<f64>(rec, priority, C_PRIORITY);
  bad = badNumber(priority);
  if (bad >= 0) return drop(rec, STAGE_PRIORITY, bad);
  if ((load<i32>(dt, DT_FLAGS) & 1) != 0 && priority < load<f64>(dt, DT_MIN_PRIORITY)) {
    return drop(rec, STAGE_PRIORITY, REASON_BELOW_MIN);
  }
  store<i32>(rec, STAGE_RANKING, C_STAGE);
  return true;
}

/**
 * The adaptive propensity of action act on channel c (its learning instance
 * of ADAPTIVE ref am): bins the row once per model and decision, scores the
 * instance and maps the score to the model propensity as adaptiveObserve
 * does (score bin -1 and classifier bin 0 without an active predictor),
 * records both, then applies the exposure ramp and the exploration with the
 * call's stream (one epsilon coin per model and decision, drawn at its first
 * candidate, before that candidate's ramp draw). Writes the explored
 * propensity to the model's frame slot; returns false when the ramp does not
 * admit the action.
 */
function adaptivePropensity(dt: usize, act: usize, am: i32, c: i32, rec: usize, features: usize, frame: usize): bool {
  assert(am < load<i32>(dt, DT_N_ADAPTIVE), "decide: adaptive ref out of range");
  const aref = load<usize>(dt, DT_ADAPTIVE) + (<usize>am) * ADAPTIVE_REF_SIZE;
  const model = load<usize>(aref, AR_MODEL);
  const bins = load<usize>(aref, AR_BINS);
  let st = load<i32>(aref, AR_STATE);
  if ((st & 1) == 0) {
    adaptiveBinRow(model, features, bins);
    st |= 1;
    store<i32>(aref, st, AR_STATE);
  }
  const inst = load<usize>(load<usize>(act, A_INSTANCES) + (<usize>c << 2));
  const score = adaptiveScore(model, inst, bins);
  const sb = load<i32>(inst, INST_NACTIVE) == 0 ? -1 : adaptiveScoreBin(model, score);
  const p = load<f64>(inst + <usize>load<i32>(model + AD_OFF_CLASSIFIER) + (<usize>(sb < 0 ? 0 : sb) << 3));
  store<f64>(rec, p, C_MODEL_P);
  store<i32>(rec, sb, C_SCORE_BIN);
  store<f64>(rec, p, C_P);
  const rng = load<usize>(dt, DT_RNG);
  // The epsilon coin is drawn at the model's first candidate, before its ramp
  // draw, so whether a decision has a coin does not depend on the ramp.
  if ((st & 2) == 0) {
    store<f64>(aref, load<i32>(model, AD_EXPLORE) == EXPLORE_EPSILON ? prngUniform(rng) : 1.0, AR_COIN);
    store<i32>(aref, st | 2, AR_STATE);
  }
  if (adaptiveAdmit(model, inst, rng) == 0) return false;
  store<f64>(frame + <usize>load<i32>(aref, AR_SLOT), adaptiveExplore(model, inst, rng, p, load<f64>(aref, AR_COIN)));
  return true;
}

/** Candidate i ranks before candidate j: mandatory first, then priority (descending), then candidate order. */
@inline function ranksBefore(cands: usize, i: i32, j: i32): bool {
  const a = cands + (<usize>i) * CAND_SIZE;
  const b = cands + (<usize>j) * CAND_SIZE;
  const ma = load<i32>(a, C_FLAGS) & 1;
  const mb = load<i32>(b, C_FLAGS) & 1;
  if (ma != mb) return ma > mb;
  const pa = load<f64>(a, C_PRIORITY);
  const pb = load<f64>(b, C_PRIORITY);
  if (pa != pb) return pa > pb;
  return i < j;
}

/** Sorts n candidate indices at order by rank (a total order), using tmp; bottom-up merge sort. */
function sortByRank(cands: usize, order: usize, tmp: usize, n: i32): void {
  let src = order;
  let dst = tmp;
  for (let width = 1; width < n; width <<= 1) {
    for (let lo = 0; lo < n; lo += width << 1) {
      const mid = min(lo + width, n);
      const hi = min(lo + (width << 1), n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        const a = load<i32>(src + (<usize>i << 2));
        const b = load<i32>(src + (<usize>j << 2));
        if (ranksBefore(cands, b, a)) {
          store<i32>(dst + (<usize>k << 2), b);
          j++;
        } else {
          store<i32>(dst + (<usize>k << 2), a);
          i++;
        }
        k++;
      }
      while (i < mid) {
        store<i32>(dst + (<usize>k << 2), load<i32>(src + (<usize>i << 2)));
        i++;
        k++;
      }
      while (j < hi) {
        store<i32>(dst + (<usize>k << 2), load<i32>(src + (<usize>j << 2)));
        j++;
        k++;
      }
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src != order) memory.copy(order, src, <usize>n << 2);
}

/** Makes the n candidate indices at heap a binary heap, best-ranked at the top. */
function heapify(cands: usize, heap: usize, n: i32): void {
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(cands, heap, n, i);
}

function siftDown(cands: usize, heap: usize, n: i32, at: i32): void {
  const x = load<i32>(heap + (<usize>at << 2));
  let i = at;
  while (true) {
    let child = 2 * i + 1;
    if (child >= n) break;
    let best = load<i32>(heap + (<usize>child << 2));
    if (child + 1 < n) {
      const right = load<i32>(heap + (<usize>(child + 1) << 2));
      if (ranksBefore(cands, right, best)) {
        best = right;
        child++;
      }
    }
    if (!ranksBefore(cands, best, x)) break;
    store<i32>(heap + (<usize>i << 2), best);
    i = child;
  }
  store<i32>(heap + (<usize>i << 2), x);
}

/** Removes and returns the best-ranked candidate of a heap of n (> 0). */
function heapPop(cands: usize, heap: usize, n: i32): i32 {
  const top = load<i32>(heap);
  if (n > 1) {
    store<i32>(heap, load<i32>(heap + (<usize>(n - 1) << 2)));
    siftDown(cands, heap, n - 1, 0);
  }
  return top;
}

/**
 * The top-k stage's verdict on the n candidates left at `at` once every
 * channel is full: their action placed already, else their channel full
 * (the checks of the top-k loop, in its order, for a full channel).
 */
function finishLimited(cands: usize, at: usize, n: i32, placed: usize): void {
  for (let k = 0; k < n; k++) {
    const rec = cands + (<usize>load<i32>(at + (<usize>k << 2))) * CAND_SIZE;
    if (load<i32>(rec, C_STAGE) != STAGE_RANKING) continue;
    const already = load<i32>(placed + (<usize>load<i32>(rec, C_ACTION) << 2));
    store<i32>(rec, STAGE_LIMIT, C_STAGE);
    store<i32>(rec, already >= 0 ? LIMIT_ACTION_PLACED : LIMIT_CHANNEL_FULL, C_REASON);
    if (already >= 0) store<i32>(rec, already, C_REASON2);
  }
}

@inline function actionAt(dt: usize, a: i32): usize {
  return load<usize>(dt, DT_ACTIONS) + (<usize>a) * ACTION_SIZE;
}

/**
 * One decision. `now` is epoch ms (the kernel writes it to frame slot 0);
 * the caller has written the context fields into the frame and the features
 * into `features`. chanLo/chanHi: the requested channels as a 64-bit mask.
 * limit: actions per channel (each channel's hard limit still applies).
 * explain != 0 keeps a record for every candidate; otherwise only the
 * candidates that reach the ranking stages get one. Writes the selected
 * candidates' indices to out in rank order; returns how many.
 */
export function decide(
  dt: usize,
  features: usize,
  frame: usize,
  state: usize,
  now: f64,
  chanLo: u32,
  chanHi: u32,
  limit: i32,
  explain: i32,
  out: usize,
): i32 {
  scored = 0;
  const nAdaptive = load<i32>(dt, DT_N_ADAPTIVE);
  const adaptiveRefs = load<usize>(dt, DT_ADAPTIVE);
  for (let m = 0; m < nAdaptive; m++) store<i32>(adaptiveRefs + (<usize>m) * ADAPTIVE_REF_SIZE, 0, AR_STATE);
  return decideRun(dt, features, frame, state, now, (<u64>chanHi << 32) | <u64>chanLo, limit, explain, out);
}

/** Scratch of decideSample: the stream's four state words before a run. */
const SAMPLE_WORDS = memory.data(16, 16);

/**
 * Re-runs the decision just made by `decide` (same dt, features, frame, state,
 * now, channels and limit, none of them changed since) `draws` times with the
 * stream at DT_RNG, to estimate how often the policy selects each of the
 * nTargets (action i32, channel i32) pairs at `targets`; adds the count of
 * each to hits (i32 per target, zeroed first). Models the decision scored
 * keep their frame slots and adaptive rows stay binned; an adaptive model
 * whose ADAPTIVE ref has a force (COIN_EXPLOIT, COIN_EXPLORE) uses that coin
 * instead of drawing one. When the first run draws nothing from the stream
 * the decision is deterministic under these forces: the call stops there and
 * returns -1 (hits are exact, 0 or 1); otherwise it returns draws. Forces are
 * cleared before returning. `out` receives each run's selection (scratch).
 */
export function decideSample(
  dt: usize,
  features: usize,
  frame: usize,
  state: usize,
  now: f64,
  chanLo: u32,
  chanHi: u32,
  limit: i32,
  draws: i32,
  targets: usize,
  nTargets: i32,
  hits: usize,
  out: usize,
): i32 {
  const nAdaptive = load<i32>(dt, DT_N_ADAPTIVE);
  const adaptiveRefs = load<usize>(dt, DT_ADAPTIVE);
  const rng = load<usize>(dt, DT_RNG);
  const cands = load<usize>(dt, DT_CANDIDATES);
  const requested = (<u64>chanHi << 32) | <u64>chanLo;
  for (let t = 0; t < nTargets; t++) store<i32>(hits + (<usize>t << 2), 0);
  let result = draws;
  for (let d = 0; d < draws; d++) {
    for (let m = 0; m < nAdaptive; m++) {
      const aref = adaptiveRefs + (<usize>m) * ADAPTIVE_REF_SIZE;
      const force = load<i32>(aref, AR_FORCE);
      let st = load<i32>(aref, AR_STATE) & 1; // the row stays binned
      if (force != 0) {
        st |= 2;
        store<f64>(aref, force == COIN_EXPLORE ? 0.0 : 1.0, AR_COIN);
      }
      store<i32>(aref, st, AR_STATE);
    }
    if (d == 0) memory.copy(SAMPLE_WORDS, rng, 16);
    const nOut = decideRun(dt, features, frame, state, now, requested, limit, 0, out);
    for (let k = 0; k < nOut; k++) {
      const rec = cands + (<usize>load<i32>(out + (<usize>k << 2))) * CAND_SIZE;
      const a = load<i32>(rec, C_ACTION);
      const c = load<i32>(rec, C_CHANNEL);
      for (let t = 0; t < nTargets; t++) {
        const at = targets + (<usize>t << 3);
        if (load<i32>(at) == a && load<i32>(at, 4) == c) {
          store<i32>(hits + (<usize>t << 2), load<i32>(hits + (<usize>t << 2)) + 1);
        }
      }
    }
    if (d == 0 && load<u64>(SAMPLE_WORDS) == load<u64>(rng) && load<u64>(SAMPLE_WORDS, 8) == load<u64>(rng, 8)) {
      result = -1;
      break;
    }
  }
  for (let m = 0; m < nAdaptive; m++) store<i32>(adaptiveRefs + (<usize>m) * ADAPTIVE_REF_SIZE, 0, AR_FORCE);
  return result;
}

/**
 * The stages of one decision over the adaptive refs' current state (decide
 * clears it; decideSample keeps the binned rows and sets forced coins) and
 * the models already scored in this call.
 */
function decideRun(
  dt: usize,
  features: usize,
  frame: usize,
  state: usize,
  now: f64,
  requested: u64,
  limit: i32,
  explain: i32,
  out: usize,
): i32 {
  store<f64>(frame, now);
  // A new memo epoch: entries of earlier runs no longer match (after 2^32 runs the entries are cleared).
  ruleMemo = load<usize>(dt, DT_RULE_MEMO);
  memoEpoch = load<u32>(dt, DT_MEMO_EPOCH) + 1;
  if (memoEpoch == 0) {
    memory.fill(ruleMemo, 0, <usize>load<i32>(dt, DT_RULE_MEMO_BYTES));
    memoEpoch = 1;
  }
  store<u32>(dt, memoEpoch, DT_MEMO_EPOCH);
  // Journey results the programs read (journey.<id>, .lastMatch, .count, aggregates), from the customer state at now.
  const journeys = <usize>load<i32>(dt, DT_JOURNEYS);
  if (journeys != 0) {
    const nj = load<i32>(dt, DT_N_JOURNEY_VALUES);
    let jv = <usize>load<i32>(dt, DT_JOURNEY_VALUES);
    for (let i = 0; i < nj; i++, jv += 8) store<f64>(frame + <usize>load<i32>(jv), journeyValue(journeys, state, now, load<i32>(jv, 4)));
  }
  const nowS = Math.floor(now / 1000.0);
  const contacts = state + <usize>load<i32>(dt, DT_CONTACTS);
  const cands = load<usize>(dt, DT_CANDIDATES);
  const maxCands = load<i32>(dt, DT_MAX_CANDIDATES);
  const slotChannel = load<i32>(dt, DT_SLOT_CHANNEL);
  const nActions = load<i32>(dt, DT_N_ACTIONS);
  let n = 0;

  // Per-candidate stages, actions in spec order, channels in channel order.
  for (let a = 0; a < nActions; a++) {
    const act = actionAt(dt, a);
    const flags = load<i32>(act, A_FLAGS) & 1;
    let m = load<u64>(act, A_CHANNELS) & requested;
    if (m == 0) {
      if (explain != 0) {
        assert(n < maxCands, "decide: candidate scratch overflow");
        const rec = cands + (<usize>n) * CAND_SIZE;
        store<i32>(rec, a, C_ACTION);
        // A single requested channel is named; several are not.
        store<i32>(rec, popcnt(requested) == 1 ? <i32>ctz(requested) : -1, C_CHANNEL);
        store<i32>(rec, STAGE_CHANNEL, C_STAGE);
        store<i32>(rec, 0, C_REASON);
        store<i32>(rec, -1, C_REASON2);
        store<i32>(rec, flags, C_FLAGS);
        n++;
      }
      continue;
    }
    while (m != 0) {
      const c = <i32>ctz(m);
      m &= m - 1;
      assert(n < maxCands, "decide: candidate scratch overflow");
      const rec = cands + (<usize>n) * CAND_SIZE;
      store<i32>(rec, a, C_ACTION);
      store<i32>(rec, c, C_CHANNEL);
      store<i32>(rec, -1, C_REASON2);
      store<i32>(rec, flags, C_FLAGS);
      if (slotChannel >= 0) store<f64>(frame + <usize>slotChannel, <f64>c);
      const survived = evalCandidate(dt, act, c, rec, features, frame, contacts, nowS);
      if (survived || explain != 0) n++;
    }
  }

  // Service before sell: every surviving candidate whose action suppresses
  // others drops the survivors it targets (one pass: order never matters).
  const order = load<usize>(dt, DT_ORDER);
  let nSup = 0;
  for (let i = 0; i < n; i++) {
    const rec = cands + (<usize>i) * CAND_SIZE;
    if (load<i32>(rec, C_STAGE) != STAGE_RANKING) continue;
    if (load<usize>(actionAt(dt, load<i32>(rec, C_ACTION)), A_SUPPRESS) != 0) {
      store<i32>(order + (<usize>nSup << 2), i);
      nSup++;
    }
  }
  if (nSup > 0) {
    for (let i = 0; i < n; i++) {
      const rec = cands + (<usize>i) * CAND_SIZE;
      if (load<i32>(rec, C_STAGE) != STAGE_RANKING) continue;
      const victim = load<i32>(rec, C_ACTION);
      for (let s = 0; s < nSup; s++) {
        const by = load<i32>(cands + (<usize>load<i32>(order + (<usize>s << 2))) * CAND_SIZE, C_ACTION);
        const bits = load<usize>(actionAt(dt, by), A_SUPPRESS);
        if (((load<u32>(bits + (<usize>(victim >>> 5) << 2)) >>> (<u32>victim & 31)) & 1) != 0) {
          store<i32>(rec, STAGE_SUPPRESSION, C_STAGE);
          store<i32>(rec, by, C_REASON);
          break;
        }
      }
    }
  }

  // Rank the rest. Without explanations and exclusion sets, no record's
  // outcome depends on the order below the selected ones: the ranking is a
  // heap popped as far as the selection goes (the channels with candidates
  // fill up), then the rest are marked at once. Otherwise a full sort.
  const nSets = load<i32>(dt, DT_N_SETS);
  const lazy = explain == 0 && nSets == 0;
  let nRank = 0;
  let withCands: u64 = 0;
  for (let i = 0; i < n; i++) {
    const rec = cands + (<usize>i) * CAND_SIZE;
    if (load<i32>(rec, C_STAGE) == STAGE_RANKING) {
      store<i32>(order + (<usize>nRank << 2), i);
      nRank++;
      withCands |= (<u64>1) << <u64>load<i32>(rec, C_CHANNEL);
    }
  }
  if (lazy) heapify(cands, order, nRank);
  else sortByRank(cands, order, load<usize>(dt, DT_ORDER_TMP), nRank);

  // Mutual exclusion: of each set, only the best-ranked action stays.
  const setTaken = load<usize>(dt, DT_SET_TAKEN);
  for (let s = 0; s < nSets; s++) store<i32>(setTaken + (<usize>s << 2), -1);
  if (nSets > 0) {
    for (let k = 0; k < nRank; k++) {
      const rec = cands + (<usize>load<i32>(order + (<usize>k << 2))) * CAND_SIZE;
      const a = load<i32>(rec, C_ACTION);
      const act = actionAt(dt, a);
      const ns = load<i32>(act, A_N_SETS);
      const sets = load<usize>(act, A_SETS);
      let excluded = false;
      for (let j = 0; j < ns; j++) {
        const s = load<i32>(sets + (<usize>j << 2));
        const taken = load<i32>(setTaken + (<usize>s << 2));
        if (taken >= 0 && taken != a) {
          store<i32>(rec, STAGE_EXCLUSION, C_STAGE);
          store<i32>(rec, s, C_REASON);
          store<i32>(rec, taken, C_REASON2);
          excluded = true;
          break;
        }
      }
      if (!excluded) {
        for (let j = 0; j < ns; j++) store<i32>(setTaken + (<usize>load<i32>(sets + (<usize>j << 2)) << 2), a);
      }
    }
  }

  // Top-k per channel: each action once, each channel up to its limit, caps
  // that count impressions consumed by the actions placed.
  const placed = load<usize>(dt, DT_PLACED);
  for (let a = 0; a < nActions; a++) store<i32>(placed + (<usize>a << 2), -1);
  const nChannels = load<i32>(dt, DT_N_CHANNELS);
  const channelCount = load<usize>(dt, DT_CHANNEL_COUNT);
  const channelLimits = load<usize>(dt, DT_CHANNEL_LIMITS);
  for (let c = 0; c < nChannels; c++) store<i32>(channelCount + (<usize>c << 2), 0);
  const policies = load<usize>(dt, DT_POLICIES);
  const capUsed = load<usize>(dt, DT_CAP_USED);
  // lazy: the channels with candidates that can still take an action
  let open = 0;
  for (let c = 0; c < nChannels; c++) {
    if (((withCands >> <u64>c) & 1) != 0 && limit > 0 && load<i32>(channelLimits + (<usize>c << 2)) > 0) open++;
  }
  let nOut = 0;
  for (let k = 0; k < nRank; k++) {
    if (lazy && open == 0) {
      // every channel with candidates is full: the rest are limited, whatever their order
      finishLimited(cands, order, nRank - k, placed);
      break;
    }
    const i = lazy ? heapPop(cands, order, nRank - k) : load<i32>(order + (<usize>k << 2));
    const rec = cands + (<usize>i) * CAND_SIZE;
    if (load<i32>(rec, C_STAGE) != STAGE_RANKING) continue;
    const a = load<i32>(rec, C_ACTION);
    const c = load<i32>(rec, C_CHANNEL);
    const already = load<i32>(placed + (<usize>a << 2));
    if (already >= 0) {
      store<i32>(rec, STAGE_LIMIT, C_STAGE);
      store<i32>(rec, LIMIT_ACTION_PLACED, C_REASON);
      store<i32>(rec, already, C_REASON2);
      continue;
    }
    const count = load<i32>(channelCount + (<usize>c << 2));
    const hard = load<i32>(channelLimits + (<usize>c << 2));
    if (count >= limit || count >= hard) {
      store<i32>(rec, STAGE_LIMIT, C_STAGE);
      store<i32>(rec, LIMIT_CHANNEL_FULL, C_REASON);
      continue;
    }
    const act = actionAt(dt, a);
    const nChecks = load<i32>(act, A_N_CHECKS);
    const checks = load<usize>(act, A_CHECKS);
    let capped = -1;
    for (let j = 0; j < nChecks; j++) {
      const chk = checks + (<usize>j) * CHECK_SIZE;
      const ch = load<i32>(chk, CHECK_CHANNEL);
      if (ch >= 0 && ch != c) continue;
      const p = load<i32>(chk, CHECK_POLICY);
      const policy = policies + (<usize>p) * POLICY_SIZE;
      if (load<i32>(policy, POLICY_CONSUMES) == 0) continue;
      const used = load<i32>(capUsed + (<usize>load<i32>(chk, CHECK_TRACKER) << 2));
      if (used > 0 && capRemaining(policy, contacts + <usize>load<i32>(chk, CHECK_TRACKER_BYTE), nowS) - used <= 0) {
        capped = p;
        break;
      }
    }
    if (capped >= 0) {
      store<i32>(rec, STAGE_LIMIT, C_STAGE);
      store<i32>(rec, LIMIT_CAP, C_REASON);
      store<i32>(rec, capped, C_REASON2);
      continue;
    }
    store<i32>(rec, STAGE_SELECTED, C_STAGE);
    store<i32>(rec, 0, C_REASON);
    store<i32>(out + (<usize>nOut << 2), i);
    nOut++;
    store<i32>(placed + (<usize>a << 2), c);
    store<i32>(channelCount + (<usize>c << 2), count + 1);
    if (count + 1 >= limit || count + 1 >= hard) open--;
    for (let j = 0; j < nChecks; j++) {
      const chk = checks + (<usize>j) * CHECK_SIZE;
      const ch = load<i32>(chk, CHECK_CHANNEL);
      if (ch >= 0 && ch != c) continue;
      if (load<i32>(policies + (<usize>load<i32>(chk, CHECK_POLICY)) * POLICY_SIZE, POLICY_CONSUMES) == 0) continue;
      const at = capUsed + (<usize>load<i32>(chk, CHECK_TRACKER) << 2);
      store<i32>(at, load<i32>(at) + 1);
    }
  }
  // Leave the cap accounting at zero for the next call.
  for (let k = 0; k < nOut; k++) {
    const act = actionAt(dt, load<i32>(cands + (<usize>load<i32>(out + (<usize>k << 2))) * CAND_SIZE, C_ACTION));
    const nChecks = load<i32>(act, A_N_CHECKS);
    const checks = load<usize>(act, A_CHECKS);
    for (let j = 0; j < nChecks; j++) {
      store<i32>(capUsed + (<usize>load<i32>(checks + (<usize>j) * CHECK_SIZE, CHECK_TRACKER) << 2), 0);
    }
  }
  store<u64>(dt, scored, DT_SCORED);
  store<i32>(dt, n, DT_N_CANDIDATES);
  return nOut;
}

/**
 * Records one contact event (outcome bit: 1 impression, 2 accept, 4 reject)
 * of action a on channel c at tS (whole seconds since the epoch, >= 1) into
 * every tracker of the action whose policy counts that outcome on that
 * channel. Returns how many trackers changed.
 */
export function recordContact(dt: usize, state: usize, a: i32, c: i32, outcome: i32, tS: u32): i32 {
  assert(a >= 0 && a < load<i32>(dt, DT_N_ACTIONS), "recordContact: action out of range");
  const act = actionAt(dt, a);
  const contacts = state + <usize>load<i32>(dt, DT_CONTACTS);
  const policies = load<usize>(dt, DT_POLICIES);
  const nChecks = load<i32>(act, A_N_CHECKS);
  let chk = load<usize>(act, A_CHECKS);
  let changed = 0;
  for (let k = 0; k < nChecks; k++, chk += CHECK_SIZE) {
    const ch = load<i32>(chk, CHECK_CHANNEL);
    if (ch >= 0 && ch != c) continue;
    const policy = policies + (<usize>load<i32>(chk, CHECK_POLICY)) * POLICY_SIZE;
    if ((load<i32>(policy, POLICY_OUTCOMES) & outcome) == 0) continue;
    trackerRecord(policy, contacts + <usize>load<i32>(chk, CHECK_TRACKER_BYTE), tS);
    changed++;
  }
  return changed;
}
