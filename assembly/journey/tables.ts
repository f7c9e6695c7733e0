// Layout of the placed journey tables (src/runtime/journeys.ts placeJourneys
// writes them; the numbers must match JT/JR/SR/AR there) and of the
// `journeys` section of a customer's state (src/compile/journey/layout.ts).
// All table fields are i32 unless marked f64; pointers are absolute.
//
// Journey set (JT):
//   +0  nJourneys      +4  nAggregates     +8  nEventTypes    +12 sectionOffset (in the state)
//   +16 sectionSize    +20 typeIndex: per event type 24 bytes {journeyStart, journeyCount, aggStart, aggCount,
//       valueStart, valueCount} (values: the aggregate values the conditions of its journeys read)
//   +24 typeJourneys: journey record pointers, grouped by event type
//   +28 typeAggs: aggregate record pointers, grouped by event type
//   +32 journeys: record pointer per journey (bundle order)
//   +36 aggregates: record pointer per aggregate
//   +40 deadlineJourneys: records of journeys that end with an absence   +44 their count
//   +48 aggValues: 12 bytes each {frame byte offset, aggregate record, fn}, grouped by event type  +52 their count
//   +56 values (journeyValue ids): 12 bytes each {kind, record, fn}          +60 their count
//   +64 f64 allowedLateness (ms)   +72 f64 horizon (ms)   +80 outBytes (capacity of the output region)
// Journey record (JR):
//   +0 k (steps)  +4 slots  +8 runBytes  +12 block offset in the section  +16 flags  +20 index
//   +24 f64 within (ms)  +32 f64 absence window (ms)  +40 f64 activeFor (ms)
//   +48 steps (k records of SR_SIZE)  +52 guard lists: k entries {start, count} (entry i: absences after
//   step i; entry k-1: the final absence)  +56 guards: 8 bytes each {eventType, program}
//   +60 nRefs  +64 refs: 16 bytes each {frame byte offset, step, field, capture entry pointer or 0}
//   +68 bytes of one match record  +72 run offset of the position byte (-1: none, position 1 when used)
// Step record (SR):
//   +0 eventType  +4 program (0: none)  +8 min  +12 max (0: unbounded)  +16 flags
//   +20 run offset of first time (-1: not stored)  +24 of last time  +28 of count
//   +32 nCaptures  +36 captures: 16 bytes each {frame byte offset of the attribute, run offset or -1,
//       kind (0 f32, 1 u8 code + 1, 2 u16 code + 1), dictionary size}
//   +40 offset of the step in a match record  +44 offset of its captures there
// Aggregate record (AR):
//   +0 eventType  +4 filter program (0: none)  +8 value program (0: none)  +12 buckets
//   +16 block offset in the section  +20 bucketBytes  +24 count offset (-1)  +28 sum  +32 min  +36 max
//   +40 f64 bucket width (ms)

export const JT_N_JOURNEYS: usize = 0;
export const JT_N_AGGS: usize = 4;
export const JT_N_TYPES: usize = 8;
export const JT_SECTION: usize = 12;
export const JT_SECTION_SIZE: usize = 16;
export const JT_TYPE_INDEX: usize = 20;
export const JT_TYPE_JOURNEYS: usize = 24;
export const JT_TYPE_AGGS: usize = 28;
export const JT_JOURNEYS: usize = 32;
export const JT_AGGS: usize = 36;
export const JT_DEADLINES: usize = 40;
export const JT_N_DEADLINES: usize = 44;
export const JT_AGG_VALUES: usize = 48;
export const JT_N_AGG_VALUES: usize = 52;
export const JT_VALUES: usize = 56;
export const JT_N_VALUES: usize = 60;
export const JT_LATENESS: usize = 64;
export const JT_HORIZON: usize = 72;
export const JT_OUT_BYTES: usize = 80;
export const TYPE_INDEX_SIZE: usize = 24;

export const JR_K: usize = 0;
export const JR_SLOTS: usize = 4;
export const JR_RUN_BYTES: usize = 8;
export const JR_BLOCK: usize = 12;
export const JR_FLAGS: usize = 16;
export const JR_INDEX: usize = 20;
export const JR_WITHIN: usize = 24;
export const JR_ABSENCE: usize = 32;
export const JR_ACTIVE_FOR: usize = 40;
export const JR_STEPS: usize = 48;
export const JR_GUARD_LISTS: usize = 52;
export const JR_GUARDS: usize = 56;
export const JR_N_REFS: usize = 60;
export const JR_REFS: usize = 64;
export const JR_MATCH_BYTES: usize = 68;
export const JR_POS: usize = 72;

export const JF_NO_SKIP: i32 = 1;
export const JF_ABSENCE: i32 = 2;
export const JF_GAPS: i32 = 4;
export const JF_PRUNE: i32 = 8;

export const SR_SIZE: usize = 48;
export const SR_TYPE: usize = 0;
export const SR_PROG: usize = 4;
export const SR_MIN: usize = 8;
export const SR_MAX: usize = 12;
export const SR_FLAGS: usize = 16;
export const SR_FIRST: usize = 20;
export const SR_LAST: usize = 24;
export const SR_COUNT: usize = 28;
export const SR_N_CAPS: usize = 32;
export const SR_CAPS: usize = 36;
export const SR_OUT: usize = 40;
export const SR_OUT_CAPS: usize = 44;

export const SF_OPTIONAL: i32 = 1;
export const SF_STRICT: i32 = 2;
export const SF_CONSECUTIVE: i32 = 4;

export const REF_FIRST: i32 = 0;
export const REF_LAST: i32 = 1;
export const REF_COUNT: i32 = 2;
export const REF_CAPTURE: i32 = 3;

export const CAP_SIZE: usize = 16;
export const CAP_F32: i32 = 0;
export const CAP_U8: i32 = 1;
export const CAP_U16: i32 = 2;

export const AR_TYPE: usize = 0;
export const AR_FILTER: usize = 4;
export const AR_VALUE: usize = 8;
export const AR_BUCKETS: usize = 12;
export const AR_BLOCK: usize = 16;
export const AR_BUCKET_BYTES: usize = 20;
export const AR_COUNT: usize = 24;
export const AR_SUM: usize = 28;
export const AR_MIN: usize = 32;
export const AR_MAX: usize = 36;
export const AR_WIDTH: usize = 40;

export const FN_COUNT: i32 = 0;
export const FN_SUM: i32 = 1;
export const FN_MIN: i32 = 2;
export const FN_MAX: i32 = 3;
export const FN_AVG: i32 = 4;

export const VALUE_ACTIVE: i32 = 0;
export const VALUE_LAST_MATCH: i32 = 1;
export const VALUE_COUNT: i32 = 2;
export const VALUE_AGGREGATE: i32 = 3;

// ---- the journeys section of a customer's state

export const SEC_BASE: usize = 0;
export const SEC_LAST_EVENT: usize = 4;
export const SEC_LATE: usize = 8;
export const SEC_DROPPED: usize = 9;
export const SEC_NEXT_DEADLINE: usize = 10;
export const SEC_HEADER: usize = 14;
/** SEC_NEXT_DEADLINE: no run waits for a final absence; 0: unknown (the next event or advance scans). */
export const DEADLINE_NONE: u32 = 0xffffffff;
/** The largest stored deadline (a later one is stored as this: an earlier bound is still a bound). */
export const DEADLINE_MAX: u32 = 0xfffffffe;
export const JB_LAST_MATCH: usize = 0;
export const JB_COUNT: usize = 4;
export const JB_RUNS: usize = 5;
export const GAP_BIT: u32 = 0x80;

export const BASE_UNIT: f64 = 65536;
export const MAX_V: f64 = 4294967295;
export const MAX_TIME: f64 = 281474976710655; // 2^48 - 1

// ---- output region: header, then match records
//   +0 i32 matches  +4 i32 partial matches dropped by this call  +8 i32 flags (1: rebased)  +12 pad
//   record: +0 i32 journey index  +4 pad  +8 f64 time, then per step at SR_OUT: f64 first, last, count;
//   at SR_OUT_CAPS: f64 per captured attribute (float32 precision; NaN when missing)
export const OUT_COUNT: usize = 0;
export const OUT_DROPPED: usize = 4;
export const OUT_FLAGS: usize = 8;
export const OUT_HEADER: usize = 16;
export const OUT_FLAG_REBASED: i32 = 1;

/** Base time of the section (ms). */
// @ts-ignore: decorator
@inline export function baseOf(sec: usize): f64 {
  return <f64>load<u32>(sec, SEC_BASE) * BASE_UNIT;
}

/** A stored time: 0 is none (NaN), v >= 1 is base + v - 1. */
// @ts-ignore: decorator
@inline export function decodeTime(base: f64, v: u32): f64 {
  return v == 0 ? NaN : base + <f64>(v - 1);
}

/** The stored form of time t >= base (callers ensure t - base + 1 <= MAX_V). */
// @ts-ignore: decorator
@inline export function encodeTime(base: f64, t: f64): u32 {
  return <u32>(t - base + 1);
}

/** Ring position of bucket number n (an integer) among m buckets: n mod m, in [0, m). */
// @ts-ignore: decorator
@inline export function bucketSlot(n: f64, m: i32): usize {
  let r = <i64>n % <i64>m; // saturating conversion: no trap on any input
  if (r < 0) r += <i64>m;
  return <usize>r;
}
