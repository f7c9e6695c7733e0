// Journey results as decisions read them (src/compile/journey/bindings.ts
// names them): `journey.<id>` (1 when the journey matched within its activeFor
// before `now`, else 0), `journey.<id>.lastMatch` (epoch ms, NaN if none),
// `journey.<id>.count` (matches so far, saturating at 255), and
// `journey.<aggregate>.<fn>` over the window ending at `now`.
//
// A pure read: any state bytes give a number, nothing is written.
import {
  JT_N_VALUES, JT_SECTION, JT_VALUES, JR_ACTIVE_FOR, JR_BLOCK, JB_COUNT, JB_LAST_MATCH, SEC_LAST_EVENT,
  VALUE_ACTIVE, VALUE_AGGREGATE, VALUE_COUNT, VALUE_LAST_MATCH, baseOf, decodeTime,
} from "./tables";
import { aggregateValue } from "./windows";

/** Value `valueId` of the journeys table `journeys` for the customer state at `state`, at time `now`. */
export function journeyValue(journeys: usize, state: usize, now: f64, valueId: i32): f64 {
  if (<u32>valueId >= <u32>load<i32>(journeys, JT_N_VALUES)) return NaN;
  const entry = <usize>load<i32>(journeys, JT_VALUES) + <usize>valueId * 12;
  const kind = load<i32>(entry);
  const target = <usize>load<i32>(entry, 4);
  const sec = state + <usize>load<i32>(journeys, JT_SECTION);
  const empty = load<u32>(sec, SEC_LAST_EVENT) == 0;
  const base = baseOf(sec);
  if (kind == VALUE_AGGREGATE) return aggregateValue(target, sec, base, now, load<i32>(entry, 8), empty);
  const block = sec + <usize>load<i32>(target, JR_BLOCK);
  if (kind == VALUE_COUNT) return empty ? 0 : <f64>load<u8>(block, JB_COUNT);
  const last = empty ? NaN : decodeTime(base, load<u32>(block, JB_LAST_MATCH));
  if (kind == VALUE_LAST_MATCH) return last;
  if (kind == VALUE_ACTIVE) return last > now - load<f64>(target, JR_ACTIVE_FOR) ? 1 : 0;
  return NaN;
}

/** Every value, in id order, into out (f64 each): one crossing for tooling and tests. */
export function journeyValues(journeys: usize, state: usize, now: f64, out: usize): void {
  const n = load<i32>(journeys, JT_N_VALUES);
  for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), journeyValue(journeys, state, now, i));
}
