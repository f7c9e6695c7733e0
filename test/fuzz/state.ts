/**
 * Fuzz target for the bytes a host keeps between calls: customer state
 * (decideState, observeState, advanceState, recordState, journeyValues) and
 * learning snapshots (learning.merge, learning.restore). A case is a valid
 * state or snapshot built by a short random history on one of the shipped
 * demo bundles (journeys, decisions, triggers, adaptive learning), then
 * mutated: bit flips, edge f32/f64/u32 values, truncation, extension. The
 * kernels must treat any bit pattern safely (debug build: no assertion, no
 * out-of-bounds read) and the loaders must refuse what they cannot read with
 * STATE_INVALID / LEARNING_INVALID / LEARNING_INCOMPATIBLE.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/engine.js';
import { packValue, sha256, unpackValue } from '../../src/bundle/codec.js';
import { concat, EDGE_NUMBERS, int, mutateBytes, mutateTree, pick, type Rand } from './mutate.js';
import { exercise, FuzzFailure, typed, type Target } from './targets.js';

const MODELS = join(__dirname, '..', '..', 'models');
const BUNDLES = ['journeys', 'bank', 'retail'];
const T0 = 1_767_225_600_000; // 2026-01-01

let engines: Engine[] | undefined;

export async function stateEngines(): Promise<Engine[]> {
  engines ??= await Promise.all(BUNDLES.map((b) => Engine.load(new Uint8Array(readFileSync(join(MODELS, `${b}.nbb`))), { wasm: 'debug' })));
  return engines;
}

/** A random event of one of the engine's types, with values of its attributes' types. */
function event(e: Engine, rand: Rand, time: number, skip = 0.2): Record<string, unknown> {
  const types = e.journeys!.set.events;
  const t = pick(rand, types);
  const ev: Record<string, unknown> = { type: t.name, time };
  for (const a of t.attributes) {
    if (rand() < skip) continue;
    ev[a.name] = a.type === 'categorical' ? (a.categories?.length ? pick(rand, a.categories) : int(rand, 0, 3)) : rand() < 0.1 ? pick(rand, EDGE_NUMBERS) : int(rand, 0, 500);
  }
  return ev;
}

/** Overwrites 1..3 aligned words of a copy with edge values read as f32, f64, u32 or u16. */
function mutateWords(rand: Rand, src: Uint8Array): Uint8Array {
  const b = src.slice();
  const dv = new DataView(b.buffer);
  for (let k = int(rand, 1, 3); k > 0; k--) {
    const width = pick(rand, [2, 4, 4, 8]);
    if (b.length < width) break;
    const at = int(rand, 0, Math.floor((b.length - width) / width)) * width;
    const x = pick(rand, EDGE_NUMBERS);
    if (width === 8) dv.setFloat64(at, x, true);
    else if (width === 2) dv.setUint16(at, Number.isFinite(x) ? x & 0xffff : 0xffff, true);
    else if (rand() < 0.5) dv.setFloat32(at, x, true);
    else dv.setUint32(at, Number.isFinite(x) ? x >>> 0 : 0xffffffff, true);
  }
  return b;
}

/** A learning snapshot with its payload mutated as a tree and a valid checksum, so the validation behind it is reached. */
function mutateLearning(rand: Rand, src: Uint8Array): Uint8Array {
  const env = unpackValue(src, 'seed') as Record<string, unknown>;
  const payload = unpackValue(env.payload as Uint8Array, 'seed');
  const body = packValue(mutateTree(rand, payload, rand() < 0.7 ? 1 : 3));
  return packValue({ ...env, payload: body, sha256: sha256(body) });
}

function mutateState(rand: Rand, s: Uint8Array): Uint8Array {
  const r = rand();
  // the 8-byte header (magic, layout hash) is kept most of the time, so the sections behind it are reached
  if (r < 0.55) {
    const body = mutateWords(rand, s.subarray(8));
    return concat(s.subarray(0, 8), body);
  }
  if (r < 0.8) {
    const body = s.subarray(8).slice();
    for (let k = int(rand, 1, 8); k > 0 && body.length > 0; k--) body[int(rand, 0, body.length - 1)] ^= 1 << int(rand, 0, 7);
    return concat(s.subarray(0, 8), body);
  }
  return mutateBytes(rand, s, 3);
}

/** The input: bundle index, then the mutated bytes (state, or a learning snapshot when the first byte is odd). */
export const stateTarget: Target = {
  name: 'state',
  kind: 'bytes',
  generate(rand) {
    const es = engines!;
    const which = int(rand, 0, es.length - 1);
    const e = es[which]!;
    const learning = e.learning.modelIds.length > 0 && rand() < 0.25;
    let bytes: Uint8Array;
    if (learning) {
      const src = rand() < 0.7 ? e.learning.snapshot() : e.learning.delta();
      bytes = rand() < 0.3 ? mutateBytes(rand, src, 3) : mutateLearning(rand, src);
    } else {
      // a short random history: events and contacts
      let s: Uint8Array | undefined;
      let t = T0;
      for (let k = int(rand, 0, 8); k > 0; k--) {
        t += int(rand, 0, 6 * 3_600_000);
        try {
          if (e.actionIds.length && rand() < 0.3) {
            s = e.recordState(s, { actionId: pick(rand, e.actionIds), outcome: pick(rand, ['impression', 'accept', 'reject'] as const), at: t, ...channelOf(e, rand) });
          } else if (e.journeys) {
            s = e.observeState(s, event(e, rand, t) as never, { decide: false } as never).state;
          }
        } catch {
          // an action without this channel, a required attribute: the history just skips it
        }
      }
      // no step succeeded: the state of a customer without history
      s ??= e.actionIds.length ? e.decideState(undefined, { features: {}, context: { now: T0 } } as never).state : e.observeState(undefined, event(e, rand, T0, 0) as never, { decide: false } as never).state;
      bytes = mutateState(rand, s);
    }
    return concat(Uint8Array.of(which * 2 + (learning ? 1 : 0)), bytes);
  },
  async run(input, rand, seen) {
    const es = await stateEngines();
    const b = input as Uint8Array;
    if (b.length === 0) return;
    const e = es[(b[0]! >> 1) % es.length]!;
    const bytes = b.subarray(1).slice();
    if (b[0]! & 1) {
      try {
        e.learning.merge(bytes);
        seen('MERGED');
      } catch (err) {
        typed(err, seen);
      }
      e.learning.restore(bytes);
      seen('RESTORED');
      exercise(e, rand, seen);
      return;
    }
    const now = T0 + int(rand, 0, 30 * 86_400_000);
    const attempt = (f: () => void) => {
      try {
        f();
      } catch (err) {
        typed(err, seen);
      }
    };
    if (e.actionIds.length) attempt(() => {
      const d = e.decideState(bytes, { features: {}, context: { now, ...channelContext(e, rand) } } as never, { explain: rand() < 0.5 }).decision;
      for (const a of d.actions) if (!Number.isFinite(a.priority)) throw new FuzzFailure(`decideState ranked ${a.id} with priority ${a.priority}`);
    });
    if (e.journeys) {
      attempt(() => void e.journeyValues(bytes, now));
      attempt(() => void e.advanceState(bytes, now, { decide: false } as never));
      attempt(() => void e.observeState(bytes, event(e, rand, now) as never));
    }
    if (e.actionIds.length) attempt(() => void e.recordState(bytes, { actionId: pick(rand, e.actionIds), outcome: 'impression', at: now, ...channelOf(e, rand) }));
  },
};

function channelOf(e: Engine, rand: Rand): { channel?: string } {
  const i = e.context.indexOf('channel');
  const cats = i >= 0 ? e.context.defs[i]!.categories : undefined;
  return cats && cats.length ? { channel: pick(rand, cats) } : {};
}

function channelContext(e: Engine, rand: Rand): Record<string, unknown> {
  return channelOf(e, rand);
}
