/**
 * The journey kernel against its reference twin (src/reference/journeys.ts)
 * on random patterns and long random event streams, on both wasm builds:
 * identical matches (times, per-step first/last/count, captures) and
 * identical state bytes after every event and every advance.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { ReferenceJourneys, type RefMatch } from '../../src/reference/journeys.js';
import { encodeSection } from '../../src/state/journeys.js';
import { mulberry32, VARIANTS } from '../helpers/random.js';
import { randomJourneySpec, randomStream, refAttributes, TYPES } from '../helpers/journeys.js';

function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b) || (a !== a && b !== b);
}

function sameMatches(a: RefMatch[], b: RefMatch[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((m, i) => {
    const o = b[i]!;
    return (
      m.journey === o.journey &&
      sameNumber(m.time, o.time) &&
      m.steps.length === o.steps.length &&
      m.steps.every((s, si) => {
        const t = o.steps[si]!;
        return sameNumber(s.first, t.first) && sameNumber(s.last, t.last) && sameNumber(s.count, t.count) && s.captures.every((c, ci) => sameNumber(c, t.captures[ci]!));
      })
    );
  });
}

function hexDiff(a: Uint8Array, b: Uint8Array): string {
  const rows: string[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) rows.push(`@${i}: kernel ${a[i]} twin ${b[i]}`);
  return rows.slice(0, 12).join('\n');
}

async function runCase(seed: number, variant: (typeof VARIANTS)[number], events: number, longGaps: boolean): Promise<{ matches: number; events: number }> {
  const rand = mulberry32(seed);
  const yaml = randomJourneySpec(rand);
  const payload = compileSpec(new SpecSource(yaml, `random-${seed}.yaml`), { created: 'fixed' });
  const engine = await Engine.load(encodeBundle(payload), { wasm: variant });
  const rt = engine.journeys!;
  const twin = new ReferenceJourneys(rt.set);
  const st = twin.fresh();
  let state: Uint8Array | undefined;
  const mine = new Uint8Array(rt.stateSize);
  let total = 0;
  const stream = randomStream(rand, events, { longGaps });
  const noFeatures = new Float32Array([NaN]);
  for (let i = 0; i < stream.length; i++) {
    const item = stream[i]!;
    let kernelMatches: RefMatch[];
    let twinMatches: RefMatch[];
    const where = () => `seed ${seed} (${variant}) item ${i}: ${JSON.stringify(item)}\n${yaml}`;
    if (item.kind === 'event') {
      const r = engine.observeState(state, item.event, item.features ? { features: item.features } : undefined);
      state = r.state;
      kernelMatches = r.rejected ? [] : rt.rawMatches();
      const tr = twin.observe(st, { type: TYPES.indexOf(item.event.type as (typeof TYPES)[number]), time: item.event.time, attributes: refAttributes(item.event) }, item.features ?? noFeatures);
      twinMatches = tr.matches;
      expect(r.rejected, where()).toBe(tr.rejected);
    } else {
      if (state === undefined) continue;
      const r = engine.advanceState(state, item.now);
      state = r.state;
      kernelMatches = rt.rawMatches();
      twinMatches = twin.advance(st, item.now).matches;
    }
    if (!sameMatches(kernelMatches, twinMatches)) {
      expect(kernelMatches, where()).toEqual(twinMatches);
    }
    total += twinMatches.length;
    if (i % 25 === 0) {
      // journeyValue, as decisions read it, at a time around the stream's
      const t = item.kind === 'event' ? item.event.time : item.now;
      const now = t + Math.round((rand() - 0.3) * 3 * 3_600_000);
      const got = rt.valuesOf(state!, now);
      rt.values.forEach((v, id) => {
        const want = twin.value(st, now, id);
        const x = got[v.name]!;
        if (!sameNumber(typeof x === 'boolean' ? (x ? 1 : 0) : x, want)) throw new Error(`${v.name} at ${now}: kernel ${x}, twin ${want}: ${where()}`);
      });
    }
    mine.set(state!);
    encodeSection(rt.set, rt.layout, st, mine, rt.sectionOffset);
    if (!state!.every((b, k) => b === mine[k])) {
      throw new Error(`state bytes differ at ${where()}\n${hexDiff(state!, mine)}`);
    }
  }
  return { matches: total, events: stream.length };
}

describe('journey kernel vs reference twin', () => {
  for (const variant of VARIANTS) {
    it(`agrees on random patterns and streams (${variant})`, async () => {
      let matches = 0;
      for (let seed = 1; seed <= 60; seed++) matches += (await runCase(seed, variant, 1500, false)).matches;
      expect(matches).toBeGreaterThan(500); // the streams do exercise matching
    });
    it(`agrees across idle gaps of weeks and months (rebasing) (${variant})`, async () => {
      let matches = 0;
      for (let seed = 1001; seed <= 1020; seed++) matches += (await runCase(seed, variant, 1500, true)).matches;
      expect(matches).toBeGreaterThan(100);
    });
  }
});
