/**
 * The journeys section is validated at load like every table: a bad index,
 * program reference, count, size or layout is BUNDLE_INVALID, never a kernel
 * fault. Targeted corruptions, then random ones (a bundle that still loads
 * must run on the debug build without an assertion).
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, NextbestError, SpecSource } from '../../../src/index.js';
import { encodeBundle } from '../../../src/bundle/codec.js';
import type { BundlePayload } from '../../../src/bundle/format.js';
import { mulberry32, randInt } from '../../helpers/random.js';

const SPEC = `bundle: v
version: "1"
features:
  tenure: numeric
events:
  a:
    x: numeric
    k: [p, q]
  b:
    x: numeric
  c: {}
journeys:
  aggregates:
    sx:
      event: a
      value: event.x
      where: event.k == "p"
      functions: [sum, count]
      over: 1h
      resolution: 10m
  patterns:
    seq:
      steps:
        - event: a
          capture: [k, x]
        - notFollowedBy: c
        - followedBy: b
          as: second
          times: "{2,3}"
          where: event.x > steps.a.x and journey.sx.sum > 1
      within: 30m
    tail:
      steps:
        - event: b
          where: event.x > 0
        - notFollowedBy: c
          within: 5m
      within: 1m
`;

const base = compileSpec(new SpecSource(SPEC, 'v.yaml'), { created: 'x' });

type Mutable = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function loadWith(mutate: (j: Mutable, p: Mutable) => void): Promise<string> {
  const p = structuredClone(base) as BundlePayload & Mutable;
  mutate(p.journeys as Mutable, p);
  try {
    await Engine.load(encodeBundle(p), { wasm: 'debug' });
  } catch (e) {
    if (e instanceof NextbestError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'loaded';
}

describe('journeys section validation', () => {
  it('loads the valid section', async () => {
    expect(await loadWith(() => {})).toBe('loaded');
  });

  const cases: [string, (j: Mutable, p: Mutable) => void, string][] = [
    ['unknown section version', (j) => (j.version = 2), 'unsupported section version'],
    ['maxPartialMatches 0', (j) => (j.settings.maxPartialMatches = 0), 'settings.maxPartialMatches'],
    ['maxPartialMatches 9', (j) => (j.settings.maxPartialMatches = 9), 'settings.maxPartialMatches'],
    ['negative lateness', (j) => (j.settings.allowedLatenessMs = -1), 'allowedLatenessMs'],
    ['event type name', (j) => (j.events[0].name = 'no spaces'), 'events[0].name'],
    ['duplicate event type', (j) => (j.events[1].name = 'a'), 'event type "a" appears twice'],
    ['attribute type', (j) => (j.events[0].attributes[0].type = 'text'), 'attributes[0].type'],
    ['reserved attribute name', (j) => (j.events[0].attributes[0].name = 'time'), 'cannot name an attribute'],
    ['duplicate categories', (j) => (j.events[0].attributes[1].categories = ['p', 'p']), 'a category appears twice'],
    ['frame too small', (j) => (j.frameSlots = 2), 'frameSlots'],
    ['step event out of range', (j) => (j.journeys[0].steps[0].event = 3), 'steps[0].event'],
    ['step program out of range', (j) => (j.journeys[0].steps[1].where = 99), 'steps[1].where'],
    ['step program of the wrong kind', (j) => (j.journeys[1].steps[0].where = j.aggregates[0].value), 'returns a number, expected a bool'],
    ['step program reading slots its context does not fill', (j) => (j.journeys[1].steps[0].where = j.journeys[0].steps[1].where), 'which its context does not fill'],
    ['guard program reading a later step', (j, p) => {
      // the program of step "second" reads steps.a.x, visible to the guard after step a: but give the guard to "tail"
      j.journeys[1].absence.guards[0].where = j.journeys[0].steps[1].where;
      void p;
    }, 'which its context does not fill'],
    ['min 0', (j) => (j.journeys[0].steps[1].min = 0), 'steps[1].min'],
    ['max below min', (j) => (j.journeys[0].steps[1].max = 1), 'steps[1].max'],
    ['max over 255', (j) => (j.journeys[0].steps[1].max = 300), 'steps[1].max'],
    ['no steps', (j) => (j.journeys[0].steps = []), 'no steps'],
    ['17 steps', (j) => (j.journeys[0].steps = Array.from({ length: 17 }, () => j.journeys[0].steps[0])), 'at most 16'],
    ['optional first step', (j) => (j.journeys[0].steps[0].optional = true), 'the first step can be neither optional nor strict'],
    ['optional last step', (j) => (j.journeys[0].steps[1].optional = true), 'the last step cannot be optional'],
    ['capture out of range', (j) => (j.journeys[0].steps[0].captures = [5]), 'captures[0]'],
    ['duplicate step names', (j) => (j.journeys[0].steps[1].name = 'a'), 'two steps share a name'],
    ['guards of the wrong length', (j) => (j.journeys[0].guards = []), 'expected 1 lists'],
    ['guard event out of range', (j) => (j.journeys[0].guards[0][0].event = -1), 'guards[0][0].event'],
    ['absence without guards', (j) => (j.journeys[1].absence.guards = []), 'absence: no guards'],
    ['absence window 0', (j) => (j.journeys[1].absence.windowMs = 0), 'absence.windowMs'],
    ['no within for several events', (j) => (j.journeys[0].withinMs = null), 'needs withinMs'],
    ['within over 40 days', (j) => (j.journeys[0].withinMs = 41 * 86_400_000), 'withinMs'],
    ['windows summing over 40 days', (j) => {
      j.journeys[1].withinMs = 30 * 86_400_000;
      j.journeys[1].absence.windowMs = 20 * 86_400_000;
    }, 'more than the 3456000000 ms'],
    ['unknown skip policy', (j) => (j.journeys[0].skip = 'skipToNext'), 'skip'],
    ['ref in the attribute slots', (j) => (j.journeys[0].refs[0].slot = 1), 'refs[0].slot'],
    ['ref slot shared with an aggregate value', (j) => (j.journeys[0].refs[0].slot = j.aggValues[0].slot), 'is also used by'],
    ['ref to a missing step', (j) => (j.journeys[0].refs[0].step = 5), 'refs[0].step'],
    ['ref field', (j) => (j.journeys[0].refs[0].field = 'bogus'), 'refs[0].field'],
    ['ref capture out of range', (j) => (j.journeys[0].refs[0].capture = 7), 'refs[0].capture'],
    ['aggregate value not kept', (j) => (j.aggValues[0].fn = 'max'), 'does not keep'],
    ['aggregate buckets not dividing the window', (j) => (j.aggregates[0].buckets = 7), 'do not split'],
    ['aggregate buckets 65', (j) => (j.aggregates[0].buckets = 65), 'buckets'],
    ['aggregate sum without value', (j) => (j.aggregates[0].value = -1), 'only count works without a value'],
    ['aggregate filter of the wrong kind', (j) => (j.aggregates[0].where = j.aggregates[0].value), 'expected a bool'],
    ['journey id shared with an aggregate', (j) => (j.journeys[0].id = 'sx'), 'is used twice'],
    ['corrupt bytecode', (j) => (j.programs.code = new Uint8Array(j.programs.code.byteLength).fill(0xff)), 'unknown opcode'],
    ['no state layout', (_j, p) => delete p.state, 'no state layout'],
    ['state layout of another size', (_j, p) => (p.state.sections[0].size += 1), 'state'],
    ['state layout of another shape', (_j, p) => (p.state.sections[0].shape = '0000000000000000'), 'state'],
  ];
  for (const [what, mutate, msg] of cases) {
    it(`refuses ${what}`, async () => {
      const r = await loadWith(mutate);
      expect(r.startsWith('BUNDLE_INVALID: '), r).toBe(true);
      expect(r).toContain(msg);
    });
  }

  it('refuses or safely runs randomly corrupted sections', async () => {
    const rand = mulberry32(5);
    const paths: (string | number)[][] = [];
    const walk = (o: unknown, path: (string | number)[]) => {
      if (o instanceof Uint8Array) return;
      if (Array.isArray(o)) o.forEach((v, i) => walk(v, [...path, i]));
      else if (o !== null && typeof o === 'object') for (const [k, v] of Object.entries(o)) walk(v, [...path, k]);
      else paths.push(path);
    };
    walk(base.journeys, []);
    const values = [-1, 0, 1, 2, 3, 7, 255, 256, 2 ** 31, -(2 ** 31), 1.5, NaN, Infinity, null, 'x', true, [], {}];
    let loaded = 0;
    for (let i = 0; i < 400; i++) {
      const p = structuredClone(base) as Mutable;
      for (let m = randInt(rand, 1, 3); m > 0; m--) {
        const path = paths[randInt(rand, 0, paths.length - 1)]!;
        let o = p.journeys;
        for (const key of path.slice(0, -1)) o = o[key];
        o[path[path.length - 1]!] = values[randInt(rand, 0, values.length - 1)];
      }
      let engine: Engine;
      try {
        engine = await Engine.load(encodeBundle(p as BundlePayload), { wasm: 'debug' });
      } catch (e) {
        expect(e).toBeInstanceOf(NextbestError);
        expect((e as NextbestError).code).toBe('BUNDLE_INVALID');
        continue;
      }
      loaded++;
      let s: Uint8Array | undefined;
      for (let t = 0; t < 40; t++) {
        const type = ['a', 'b', 'c'][t % 3]!;
        s = engine.observeState(s, { type, time: 1e12 + t * 60_000, x: t % 5, k: t % 2 ? 'p' : 'q' }).state;
      }
      engine.advanceState(s!, 1e12 + 1e9);
    }
    expect(loaded).toBeGreaterThan(10);
  });
});
