/**
 * SlabStore (`memoryStore: { wasm: true }`: states in wasm memory): CLOCK
 * eviction, TTL (lazy, by the hand, by sweep), capacity, slot reuse, copies
 * through the StateStore interface, and the state bytes it keeps equal to the
 * pure form's on random streams (both builds, customers interleaved, memory
 * growing while states live in it).
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, MemoryStore, SpecSource, type JourneyEvent } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { SlabStore } from '../../src/state/slab.js';
import { mulberry32, randInt, VARIANTS } from '../helpers/random.js';
import { randomJourneySpec, randomStream } from '../helpers/journeys.js';

const SPEC = `
bundle: slab
version: "1"
features:
  f: numeric
events:
  a: { x: numeric }
  b: {}
journeys:
  patterns:
    ab:
      steps:
        - { event: a, where: event.x > 1 }
        - { followedBy: b }
      within: 1h
    a_then_no_b:
      steps:
        - { event: a }
        - { notFollowedBy: b, within: 10m }
      within: 1h
`;

const T = Date.UTC(2024, 10, 23, 9, 0);
const MIN = 60_000;
const PER = 80; // events per customer in the random streams

async function engine(memoryStore: Record<string, unknown> = {}, wasm: 'release' | 'debug' = 'release'): Promise<Engine> {
  const payload = compileSpec(new SpecSource(SPEC, 'slab.yaml'), { created: 'fixed' });
  return Engine.load(encodeBundle(payload), { wasm, memoryStore: { wasm: true, ...memoryStore } });
}

/** Byte equality (fast: toEqual on typed arrays is slow for thousands of comparisons). */
function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function slab(e: Engine): SlabStore {
  expect(e.store).toBeInstanceOf(SlabStore);
  return e.store as SlabStore;
}

describe('SlabStore', () => {
  it('is the store of an engine given memoryStore: { wasm: true } (whose bundle keeps customer state)', async () => {
    const e = await engine();
    const s = slab(e);
    expect(s.stateSize).toBe(e.journeys!.stateSize);
    expect(s.size).toBe(0);
    expect(s.slabBytes).toBe(0); // nothing reserved before the first customer
  });

  it('keeps a customer state that equals the pure form, event by event', async () => {
    const e = await engine();
    let pure: Uint8Array | undefined;
    const events: JourneyEvent[] = [
      { type: 'a', time: T, x: 2 },
      { type: 'b', time: T + MIN },
      { type: 'a', time: T + 2 * MIN, x: 0 },
    ];
    for (const ev of events) {
      const r = e.observe('c1', ev);
      const p = e.observeState(pure, ev);
      pure = p.state;
      expect(r.matches).toEqual(p.matches);
      expect(e.store.get('c1')).toEqual(pure);
    }
    expect(e.advance('c1', T + 30 * MIN)).toEqual(e.advanceState(pure!, T + 30 * MIN).matches);
  });

  it('get and peek return copies; set copies in and checks the size', async () => {
    const e = await engine();
    e.observe('c1', { type: 'a', time: T, x: 2 });
    const s = e.store;
    const got = s.get('c1')!;
    got[20] ^= 0xff;
    expect(s.get('c1')![20]).toBe(got[20] ^ 0xff);
    expect(s.peek!('c1')).toEqual(s.get('c1'));
    const mine = s.get('c1')!;
    s.set('c2', mine);
    mine[20] ^= 0xff;
    expect(s.get('c2')).toEqual(s.get('c1'));
    expect(() => s.set('c3', new Uint8Array(3))).toThrow(expect.objectContaining({ code: 'STATE_INVALID' }));
    expect(s.get('c3')).toBeUndefined();
    // bytes of another layout put in by set are refused when observed, with the reason
    const alien = s.get('c1')!;
    alien[4] ^= 1;
    s.set('c4', alien);
    expect(() => e.observe('c4', { type: 'b', time: T })).toThrow(expect.objectContaining({ code: 'STATE_INVALID' }));
  });

  it('an event refused as invalid creates no customer', async () => {
    const e = await engine();
    expect(() => e.observe('c1', { type: 'nope', time: T })).toThrow(expect.objectContaining({ code: 'EVENT_TYPE' }));
    expect(() => e.observe('c1', { type: 'a', time: -1 })).toThrow(expect.objectContaining({ code: 'EVENT_TIME' }));
    expect(e.store.size).toBe(0);
  });

  it('evicts with second chance (CLOCK): a customer used since the hand passed survives', async () => {
    const e = await engine({ maxEntries: 3 });
    const s = slab(e);
    for (const id of ['a', 'b', 'c']) e.observe(id, { type: 'b', time: T });
    e.observe('d', { type: 'b', time: T }); // every bit was set: the hand clears them all and takes a
    expect(s.get('a')).toBeUndefined();
    expect(s.evictions).toBe(1);
    s.get('b'); // b used again
    e.observe('e', { type: 'b', time: T }); // the hand passes b (clearing its bit) and takes c
    expect(s.peek('c')).toBeUndefined();
    expect(s.peek('b')).toBeDefined();
    expect(s.peek('d')).toBeDefined();
    expect(s.peek('e')).toBeDefined();
    expect(s.size).toBe(3);
    expect(s.evictions).toBe(2);
  });

  it('never holds more than maxEntries and reuses slots: memory stays at the high-water mark', async () => {
    const e = await engine({ maxEntries: 1500 });
    const s = slab(e);
    for (let i = 0; i < 5000; i++) e.observe(`c${i}`, { type: 'a', time: T + i, x: 2 });
    expect(s.size).toBe(1500);
    expect(s.evictions).toBe(3500);
    const bytes = s.slabBytes;
    expect(bytes).toBe(2 * 1024 * (16 + Math.ceil(s.stateSize / 16) * 16)); // two chunks of 1,024 slots
    for (let i = 0; i < 1500; i++) s.delete(`c${i + 3500}`);
    expect(s.size).toBe(0);
    for (let i = 0; i < 1500; i++) e.observe(`n${i}`, { type: 'a', time: T, x: 2 });
    expect(s.size).toBe(1500);
    expect(s.slabBytes).toBe(bytes);
    expect(s.evictions).toBe(3500);
    // every new customer started from fresh state: one run of ab each
    expect(e.store.get('n7')).toEqual(e.observeState(undefined, { type: 'a', time: T, x: 2 }).state);
    s.clear();
    expect(s.size).toBe(0);
    expect([...s.keys()]).toEqual([]);
    e.observe('z', { type: 'b', time: T });
    expect(s.slabBytes).toBe(bytes);
  });

  it('expires idle customers lazily, by the hand and by sweep', async () => {
    let now = 1000;
    const e = await engine({ maxEntries: 2, ttlMs: 100, clock: () => now });
    const s = slab(e);
    e.observe('a', { type: 'b', time: T });
    e.observe('b', { type: 'b', time: T });
    now = 1050;
    expect(s.get('a')).toBeDefined(); // touched at 1050
    now = 1120;
    expect(s.get('b')).toBeUndefined(); // expired on read
    expect(s.expirations).toBe(1);
    expect(s.size).toBe(1);
    e.observe('c', { type: 'b', time: T }); // takes b's freed slot
    now = 1200; // a expired (touched at 1050), c not (1120)
    e.observe('d', { type: 'b', time: T }); // full: the hand meets expired a first
    expect(s.expirations).toBe(2);
    expect(s.evictions).toBe(0);
    expect(s.peek('a')).toBeUndefined();
    now = 1400;
    expect(s.sweepExpired()).toBe(2);
    expect(s.size).toBe(0);
    expect(s.expirations).toBe(4);
    // an expired customer starts over from fresh state
    e.observe('a', { type: 'b', time: T });
    expect(s.get('a')).toEqual(e.observeState(undefined, { type: 'b', time: T }).state);
  });

  it('keeps serving after a swap to a bundle of the same state size (states copied in and out from then on)', async () => {
    const payload = compileSpec(new SpecSource(SPEC, 'slab.yaml'), { created: 'fixed' });
    const bytes = encodeBundle(payload);
    const e = await Engine.load(bytes, { memoryStore: { wasm: true } });
    let pure = e.observeState(undefined, { type: 'a', time: T, x: 2 }).state;
    e.observe('c1', { type: 'a', time: T, x: 2 });
    await e.swap(encodeBundle(compileSpec(new SpecSource(SPEC.replace('version: "1"', 'version: "2"'), 'slab.yaml'), { created: 'fixed' })));
    const r = e.observe('c1', { type: 'b', time: T + MIN });
    const p = e.observeState(pure, { type: 'b', time: T + MIN });
    pure = p.state;
    expect(r.matches).toEqual(p.matches);
    expect(r.matches.map((m) => m.journey)).toEqual(['ab']);
    expect(e.store.get('c1')).toEqual(pure);
  });

  it('rejects bad options with OPTION_INVALID', async () => {
    await expect(engine({ maxEntries: 0 })).rejects.toMatchObject({ code: 'OPTION_INVALID' });
    await expect(engine({ ttlMs: -1 })).rejects.toMatchObject({ code: 'OPTION_INVALID' });
  });

  for (const variant of VARIANTS) {
    it(`holds the same bytes as the pure form on random patterns and interleaved customers, with advance and advanceAll (${variant})`, async () => {
      for (let seed = 1; seed <= 4; seed++) {
        const rand = mulberry32(seed * 7919);
        const payload = compileSpec(new SpecSource(randomJourneySpec(rand), `random-${seed}.yaml`), { created: 'fixed' });
        const bytes = encodeBundle(payload);
        // a small cap on some seeds, so that eviction happens under the stream
        const cap = seed % 2 === 0 ? 20 : 1_000_000;
        const e = await Engine.load(bytes, { wasm: variant, memoryStore: { wasm: true, maxEntries: cap } });
        const peer = await Engine.load(bytes, { wasm: variant, store: new MemoryStore({ maxEntries: 1_000_000 }) });
        const pure = new Map<string, Uint8Array>();
        const customers = 30;
        const streams = Array.from({ length: customers }, () => randomStream(rand, PER, { longGaps: seed === 3 }));
        const at = new Array<number>(customers).fill(0);
        let left = customers * PER;
        let latest = 0;
        while (left > 0) {
          const c = randInt(rand, 0, customers - 1);
          if (at[c]! >= PER) continue;
          const item = streams[c]![at[c]++]!;
          left--;
          const id = `cust-${c}`;
          if (item.kind === 'advance') {
            const had = e.store.peek!(id) !== undefined;
            const mine = e.advance(id, item.now);
            if (!had) {
              pure.delete(id); // evicted, or never seen
              expect(mine).toEqual([]);
            } else {
              const r = e.advanceState(pure.get(id)!, item.now);
              pure.set(id, r.state);
              expect(mine).toEqual(r.matches);
            }
            latest = Math.max(latest, item.now);
          } else {
            const opts = item.features ? { features: item.features } : undefined;
            if (e.store.peek!(id) === undefined) pure.delete(id); // evicted (or new): starts over
            const mine = e.observe(id, item.event as JourneyEvent, opts);
            const r = e.observeState(pure.get(id), item.event as JourneyEvent, opts);
            pure.set(id, r.state);
            expect(mine.matches).toEqual(r.matches);
            expect(mine.rejected).toEqual(r.rejected);
            latest = Math.max(latest, item.event.time);
          }
          if (!sameBytes(e.store.peek!(id), pure.get(id))) expect(e.store.peek!(id)).toEqual(pure.get(id));
          if (cap > customers) {
            // the MemoryStore path (copies in and out) agrees too
            if (item.kind === 'event') peer.observe(id, item.event as JourneyEvent, item.features ? { features: item.features } : undefined);
            else peer.advance(id, item.now);
            if (!sameBytes(peer.store.get(id), pure.get(id))) expect(peer.store.get(id)).toEqual(pure.get(id));
          }
        }
        // a sweep fires the same matches as advancing each pure state
        const now = latest + 3 * 86_400_000;
        const swept = e.advanceAll(now);
        for (const id of e.store.keys()) {
          const r = e.advanceState(pure.get(id)!, now);
          expect(swept.get(id) ?? []).toEqual(r.matches);
          expect(e.store.get(id)).toEqual(r.state);
        }
        if (cap > customers) expect(new Map(peer.advanceAll(now))).toEqual(swept);
      }
    });
  }
});
