// Contact policies over the customer's contact history (section `contacts`
// of the customer state; semantics in docs/decisions.md).
//
// A policy record (src/decide/tables.ts placePolicies), 32 bytes:
//   +0  kind      i32  POLICY_CAP | POLICY_SUPPRESS
//   +4  n         i32  cap: at most n events per window; suppress: after n events within window
//   +8  outcomes  i32  bit per outcome that the policy counts (1 impression, 2 accept, 4 reject)
//   +12 consumes  i32  1 when a cap counts impressions: each action placed by a decision uses one
//   +16 windowS   f64  seconds
//   +24 forS      f64  suppress: seconds of suppression after the n-th event
//
// A tracker is the history one policy keeps for one key (the whole scope, or
// one action when the policy is `each: action`), at a byte offset inside the
// contacts section:
//   +0        u32[n]  event times in whole seconds since the epoch, most recent
//                     first; 0 = empty
//   +4n       u32     suppress with n >= 2 only: suppressed until (seconds), 0 = never
// A check record ties an action to a tracker, 16 bytes:
//   +0  trackerByte  i32  offset of the tracker inside the contacts section
//   +4  policy       i32  policy index
//   +8  channel      i32  the policy's channel, or -1 for every channel
//   +12 tracker      i32  tracker index (in-decision cap accounting)
//
// State bytes are input, not tables: any content is read safely (every read
// is at a validated offset; unsorted or garbage times only change the answer).

export const POLICY_CAP: i32 = 0;
export const POLICY_SUPPRESS: i32 = 1;

export const POLICY_SIZE: usize = 32;
export const POLICY_KIND: usize = 0;
export const POLICY_N: usize = 4;
export const POLICY_OUTCOMES: usize = 8;
export const POLICY_CONSUMES: usize = 12;
export const POLICY_WINDOW: usize = 16;
export const POLICY_FOR: usize = 24;

export const CHECK_SIZE: usize = 16;
export const CHECK_TRACKER_BYTE: usize = 0;
export const CHECK_POLICY: usize = 4;
export const CHECK_CHANNEL: usize = 8;
export const CHECK_TRACKER: usize = 12;

const MAX_U32: f64 = 4294967295.0;

/** Events of the tracker at `tr` (ring of n times) that are younger than windowS at nowS. */
@inline function countRecent(tr: usize, n: i32, nowS: f64, windowS: f64): i32 {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const t = load<u32>(tr + (<usize>i << 2));
    if (t != 0 && nowS - <f64>t < windowS) count++;
  }
  return count;
}

/** True when the policy blocks at nowS (whole seconds) given its tracker. */
export function policyBlocks(policy: usize, tr: usize, nowS: f64): bool {
  const n = load<i32>(policy, POLICY_N);
  if (load<i32>(policy, POLICY_KIND) == POLICY_CAP) {
    return countRecent(tr, n, nowS, load<f64>(policy, POLICY_WINDOW)) >= n;
  }
  if (n == 1) {
    const t = load<u32>(tr);
    return t != 0 && nowS - <f64>t < load<f64>(policy, POLICY_FOR);
  }
  const until = load<u32>(tr + (<usize>n << 2));
  return until != 0 && nowS < <f64>until;
}

/** Units of the cap left at nowS before any placement by this decision (n - recent events). */
export function capRemaining(policy: usize, tr: usize, nowS: f64): i32 {
  const n = load<i32>(policy, POLICY_N);
  return n - countRecent(tr, n, nowS, load<f64>(policy, POLICY_WINDOW));
}

/**
 * Adds an event at tS (whole seconds, >= 1) to the tracker at `tr`. The ring
 * keeps the n most recent times, most recent first (equal times keep arrival
 * order); an event older than a full ring is not kept. A suppress policy with
 * n >= 2 then re-checks its window: when the n most recent events lie within
 * windowS, the most recent of them starts a suppression of forS.
 */
export function trackerRecord(policy: usize, tr: usize, tS: u32): void {
  const n = load<i32>(policy, POLICY_N);
  let i = 0;
  while (i < n && load<u32>(tr + (<usize>i << 2)) >= tS) i++;
  if (i == n) return;
  for (let j = n - 1; j > i; j--) {
    store<u32>(tr + (<usize>j << 2), load<u32>(tr + (<usize>(j - 1) << 2)));
  }
  store<u32>(tr + (<usize>i << 2), tS);
  if (load<i32>(policy, POLICY_KIND) == POLICY_SUPPRESS && n >= 2) {
    const newest = load<u32>(tr);
    const oldest = load<u32>(tr + (<usize>(n - 1) << 2));
    if (oldest != 0 && <f64>newest - <f64>oldest < load<f64>(policy, POLICY_WINDOW)) {
      const end = min<f64>(<f64>newest + load<f64>(policy, POLICY_FOR), MAX_U32);
      const untilAt = tr + (<usize>n << 2);
      if (end > <f64>load<u32>(untilAt)) store<u32>(untilAt, <u32>end);
    }
  }
}
