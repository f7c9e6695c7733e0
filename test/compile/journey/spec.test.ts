/**
 * The journeys compiler: what a spec compiles to, and every error kind with
 * its message and its file:line:column.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, NextbestError, SpecSource } from '../../../src/index.js';
import { validateJourneys } from '../../../src/compile/journey/bundle.js';
import { journeyBindings } from '../../../src/compile/journey/bindings.js';
import { computeLayout } from '../../../src/compile/journey/layout.js';

const HEAD = `bundle: j
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
`;

function compile(journeys: string) {
  return compileSpec(new SpecSource(HEAD + journeys, 'spec.yaml'), { created: 'x' });
}

function errorOf(journeys: string, head = HEAD): NextbestError {
  try {
    compileSpec(new SpecSource(head + journeys, 'spec.yaml'));
  } catch (e) {
    if (e instanceof NextbestError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

/** Line of the first line of `journeys` containing `needle`, in the whole spec. */
function lineOf(journeys: string, needle: string): number {
  const lines = (HEAD + journeys).split('\n');
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`no ${needle}`);
  return i + 1;
}

const GOOD = `journeys:
  settings:
    maxPartialMatches: 3
    allowedLateness: 30s
    activeFor: 2h
  aggregates:
    sx:
      event: a
      value: event.x
      functions: [sum, avg]
      over: 1h
      resolution: 10m
  patterns:
    seq:
      steps:
        - event: a
          capture: [k]
        - notFollowedBy: c
        - next: b
          as: second
          times: "{2,3}"
          where: event.x > journey.sx.avg and steps.a.k == "p"
      within: 30m
      activeFor: 10m
    tail:
      steps:
        - event: b
        - notFollowedBy: c
          within: 5m
      within: 1m
      afterMatch: noSkip
`;

describe('journeys compiler', () => {
  it('compiles events, settings, aggregates and patterns', () => {
    const p = compile(GOOD);
    const v = validateJourneys(p.journeys, 1, p.state);
    const set = v.set;
    expect(set.events.map((e) => e.name)).toEqual(['a', 'b', 'c']);
    expect(set.settings).toEqual({ maxPartialMatches: 3, allowedLatenessMs: 30_000 });
    expect(set.aggregates[0]).toMatchObject({ id: 'sx', windowMs: 3_600_000, buckets: 6, functions: ['sum', 'avg'] });
    const seq = set.journeys[0]!;
    expect(seq.steps.map((s) => [s.name, s.min, s.max, s.strict])).toEqual([
      ['a', 1, 1, false],
      ['second', 2, 3, true],
    ]);
    expect(seq.guards).toEqual([[{ event: 2, where: -1 }]]);
    expect(seq.withinMs).toBe(1_800_000);
    expect(seq.activeForMs).toBe(600_000);
    expect(seq.refs).toHaveLength(1);
    expect(seq.maxPartialMatches).toBe(3);
    const tail = set.journeys[1]!;
    expect(tail.absence).toEqual({ guards: [{ event: 2, where: -1 }], windowMs: 300_000 });
    expect(tail.skip).toBe('noSkip');
    expect(tail.activeForMs).toBe(7_200_000);
    expect([...journeyBindings(set).keys()]).toEqual([
      'journey.seq',
      'journey.seq.lastMatch',
      'journey.seq.count',
      'journey.tail',
      'journey.tail.lastMatch',
      'journey.tail.count',
      'journey.sx.sum',
      'journey.sx.avg',
    ]);
    expect(journeyBindings(set).get('journey.seq')!.type).toEqual({ kind: 'bool' });
    expect(p.state).toMatchObject({ sections: [{ name: 'journeys', offset: 8, size: computeLayout(set).size }] });
  });

  it('accepts every quantifier form', () => {
    const forms: [string, number, number | null][] = [
      ['3', 3, 3],
      ['"{3}"', 3, 3],
      ['"3+"', 3, null],
      ['"{3,}"', 3, null],
      ['"{2,4}"', 2, 4],
      ['"2..4"', 2, 4],
      ['"{ 2 , 4 }"', 2, 4],
    ];
    for (const [form, min, max] of forms) {
      const p = compile(`journeys:\n  patterns:\n    q:\n      steps:\n        - event: a\n          times: ${form}\n      within: 1h\n`);
      const s = validateJourneys(p.journeys, 1, p.state).set.journeys[0]!.steps[0]!;
      expect([s.min, s.max], form).toEqual([min, max]);
    }
  });

  const cases: [string, string, string, RegExp | string][] = [
    ['unknown event type', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: zz\n`, 'event: zz', 'unknown event type "zz"; declared: a, b, c'],
    ['first step not "event"', `journeys:\n  patterns:\n    p:\n      steps:\n        - followedBy: a\n`, 'followedBy: a', 'the first step is written `event: <type>`'],
    ['"event" after the first step', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n        - event: b\n      within: 1h\n`, 'event: b', 'write `followedBy: <type>` (relaxed contiguity) or `next: <type>`'],
    ['two kinds in one step', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          next: b\n`, 'event: a', 'exactly one of: event (the first step), followedBy, next, notFollowedBy'],
    ['typo in a step field', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          wher: event.x > 1\n`, 'wher:', 'unknown field "wher"; did you mean "where"?'],
    ['bad quantifier', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          times: "{3,2}"\n      within: 1h\n`, 'times:', 'times is a count (3), at least n ("3+" or "{3,}")'],
    ['zero times', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          times: 0\n`, 'times:', 'with counts from 1 to 255'],
    ['over 255', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          times: "256+"\n`, 'times:', 'with counts from 1 to 255'],
    ['optional first step', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          optional: true\n        - followedBy: b\n      within: 1h\n`, 'optional: true', 'the first step cannot be optional'],
    ['optional last step', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n        - followedBy: b\n          optional: true\n      within: 1h\n`, 'optional: true', 'the last step cannot be optional'],
    ['absence next to an optional step', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n        - followedBy: b\n          optional: true\n        - notFollowedBy: c\n        - followedBy: a\n          as: a2\n      within: 1h\n`, 'notFollowedBy: c', 'an absence must stand between two required steps'],
    ['absence first', `journeys:\n  patterns:\n    p:\n      steps:\n        - notFollowedBy: c\n        - event: a\n`, 'notFollowedBy: c', 'a pattern cannot start with an absence'],
    ['final absence without within', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n        - notFollowedBy: c\n      within: 1h\n`, 'notFollowedBy: c', 'an absence at the end of a pattern needs `within`'],
    ['within on an absence between steps', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n        - notFollowedBy: c\n          within: 5m\n        - followedBy: b\n      within: 1h\n`, 'within: 5m', '`within` on an absence only applies at the end of a pattern'],
    ['final absences with different windows', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n        - notFollowedBy: c\n          within: 5m\n        - notFollowedBy: b\n          within: 6m\n      within: 1h\n`, 'within: 6m', 'absences that end a pattern share one window'],
    ['several events without within', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n        - followedBy: b\n`, 'steps:', 'a journey of more than one event needs `within`'],
    ['a repeated step without within', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          times: 2\n`, 'steps:', 'needs `within`'],
    ['duplicate step names', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n        - followedBy: a\n      within: 1h\n`, 'followedBy: a', 'two steps are named "a"; name them apart with `as: <name>`'],
    ['capture of an unknown attribute', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: b\n          capture: [k]\n`, '[k]', 'b has no attribute "k"; it has: x'],
    ['consecutive on a single event', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          consecutive: true\n`, 'consecutive: true', '`consecutive` applies to a step that repeats'],
    ['bad afterMatch', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n      afterMatch: skipToNext\n`, 'afterMatch', 'afterMatch is one of skipPastLastEvent, noSkip'],
    ['maxPartialMatches over 8', `journeys:\n  settings:\n    maxPartialMatches: 9\n`, 'maxPartialMatches: 9', 'must be at most 8'],
    ['window over 40 days', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n        - followedBy: b\n      within: 41d\n`, 'within: 41d', 'durations are at most 40d'],
    ['sum of windows over 40 days', `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n        - notFollowedBy: c\n          within: 30d\n      within: 20d\n`, 'patterns:', 'more than the 3456000000 ms (40 days) a customer\'s state keeps'],
    ['bad duration', `journeys:\n  settings:\n    activeFor: soon\n`, 'activeFor', 'expected a duration like 30s, 15m, 24h, 7d or 2w'],
    ['aggregate function needs a value', `journeys:\n  aggregates:\n    s:\n      event: a\n      functions: [sum]\n      over: 1h\n`, 'functions', 'sum needs a value: add `value:`'],
    ['unknown aggregate function', `journeys:\n  aggregates:\n    s:\n      event: a\n      value: event.x\n      functions: [median]\n      over: 1h\n`, 'median', 'unknown function "median"; one of count, sum, min, max, avg'],
    ['resolution does not divide the window', `journeys:\n  aggregates:\n    s:\n      event: a\n      functions: [count]\n      over: 1h\n      resolution: 7m\n`, 'resolution: 7m', 'is not a whole number of 420000 ms buckets'],
    ['too many buckets', `journeys:\n  aggregates:\n    s:\n      event: a\n      functions: [count]\n      over: 7d\n      resolution: 1h\n`, 'resolution: 1h', '168 buckets; at most 64'],
    ['pattern named like an aggregate', `journeys:\n  aggregates:\n    s:\n      event: a\n      functions: [count]\n      over: 1h\n  patterns:\n    s:\n      steps:\n        - event: a\n`, 'steps:', 'already an aggregate'],
    ['journeys without events', `journeys:\n  patterns: {}\n`, 'patterns: {}', 'journeys need an `events:` section'],
    ['reserved attribute', `journeys: {}\n`, 'time: numeric', '"time" is reserved'],
  ];
  for (const [what, journeys, at, msg] of cases) {
    it(`error: ${what}`, () => {
      const head = what === 'journeys without events' ? HEAD.replace(/events:[\s\S]*$/, '') : what === 'reserved attribute' ? HEAD.replace('c: {}', 'c:\n    time: numeric') : HEAD;
      const e = errorOf(journeys, head);
      expect(e.code).toBe('SPEC_INVALID');
      expect(e.message).toContain(typeof msg === 'string' ? msg : '');
      const full = (head + journeys).split('\n');
      const want = full.findIndex((l) => l.includes(at)) + 1; // errors about a node point at the first line of its body
      expect(e.details?.line, `${e.message}`).toBe(want);
      expect(e.message).toMatch(new RegExp(`^spec\\.yaml:${want}:\\d+: `));
    });
  }

  it('points expression errors in conditions at their line and column', () => {
    const j = `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          where: event.y > 1\n`;
    const e = errorOf(j);
    expect(e.code).toBe('EXPR_NAME');
    expect(e.details).toMatchObject({ line: lineOf(j, 'event.y'), column: 18 });
    expect(e.message).toContain('unknown name `event.y`; did you mean `event.k`, `event.x`?');
    // attributes of another event type are not visible
    expect(errorOf(`journeys:\n  patterns:\n    p:\n      steps:\n        - event: c\n          where: event.x > 1\n`).code).toBe('EXPR_NAME');
    // a later step is not visible
    const later = errorOf(`journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          where: steps.b.count > 0\n        - followedBy: b\n      within: 1h\n`);
    expect(later.code).toBe('EXPR_NAME');
    // an attribute that is not captured
    const cap = `journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n        - followedBy: b\n          where: event.x > steps.a.x\n      within: 1h\n`;
    const ce = errorOf(cap);
    expect(ce.code).toBe('EXPR_NAME');
    expect(ce.message).toContain('`steps.a.x` is not captured: add `capture: [x]` to step "a"');
    expect(ce.details).toMatchObject({ line: lineOf(cap, 'steps.a.x'), column: 28 });
    // aggregate functions that are not kept
    const agg = errorOf(`journeys:\n  aggregates:\n    s:\n      event: a\n      value: event.x\n      functions: [sum]\n      over: 1h\n  patterns:\n    p:\n      steps:\n        - event: b\n          where: journey.s.max > 1\n`);
    expect(agg.code).toBe('EXPR_NAME');
    expect(agg.message).toContain('journey.s.sum');
    // types: a category is compared with one of its values
    const ty = errorOf(`journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          where: event.k == "zz"\n`);
    expect(ty.code).toBe('EXPR_TYPE');
    expect(ty.message).toContain('"zz" is not a value of category "a.k"');
    // a condition must be a bool
    expect(errorOf(`journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          where: event.x + 1\n`).code).toBe('EXPR_TYPE');
    // features are visible
    expect(() => compile(`journeys:\n  patterns:\n    p:\n      steps:\n        - event: a\n          where: tenure > 2\n`)).not.toThrow();
  });
});
