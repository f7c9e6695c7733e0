/**
 * The example tables of docs/journeys.md, run as tests: each example's
 * pattern is compiled into a bundle, the table's events are observed (or
 * `advance` called) in order for one customer, and the matches must be those
 * the table lists, on both wasm builds; the reference twin runs alongside.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, SpecSource, type JourneyMatch } from '../../../src/index.js';
import { encodeBundle } from '../../../src/bundle/codec.js';
import { parseDuration } from '../../../src/compile/source.js';
import { ReferenceJourneys } from '../../../src/reference/journeys.js';
import { VARIANTS } from '../../helpers/random.js';

const ORIGIN = Date.UTC(2024, 0, 1);
const KINDS = ['p', 'q', 'r'];

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'journeys.md'), 'utf8');

interface Row {
  time: number;
  event: { type: string; time: number; [k: string]: unknown } | 'advance';
  expect: string;
}

interface Example {
  line: number;
  yaml: string;
  rows: Row[];
}

function ms(text: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  const v = parseDuration(t);
  if (v === undefined) throw new Error(`bad time ${t}`);
  return v;
}

function examples(): Example[] {
  const out: Example[] = [];
  const lines = doc.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '<!-- journey-example -->') continue;
    const line = i + 1;
    let j = i + 1;
    if (lines[j] !== '```yaml') throw new Error(`docs/journeys.md:${line}: an example starts with a yaml block`);
    const yaml: string[] = [];
    for (j++; lines[j] !== '```'; j++) yaml.push(lines[j]!);
    j++;
    while (lines[j]!.trim() === '') j++;
    if (!lines[j]!.startsWith('| time | event | matches |')) throw new Error(`docs/journeys.md:${j + 1}: expected the table header`);
    const rows: Row[] = [];
    for (j += 2; j < lines.length && lines[j]!.startsWith('|'); j++) {
      const cells = lines[j]!.split('|').slice(1, -1).map((c) => c.trim());
      const time = ms(cells[0]!);
      const [type, ...attrs] = cells[1]!.split(/\s+/);
      let event: Row['event'] = 'advance';
      if (type !== 'advance') {
        event = { type: type!, time: ORIGIN + time };
        for (const a of attrs) {
          const [k, v] = a.split('=');
          event[k!] = k === 'x' ? Number(v) : v;
        }
      }
      rows.push({ time, event, expect: cells[2]! });
    }
    out.push({ line, yaml: yaml.join('\n'), rows });
  }
  return out;
}

function specOf(yaml: string): string {
  const full = /^(patterns|aggregates|settings):/m.test(yaml);
  const indent = (s: string, n: number) => s.split('\n').map((l) => ' '.repeat(n) + l).join('\n');
  return [
    'bundle: doc',
    'version: "1"',
    'features:',
    '  f: numeric',
    'events:',
    ...['a', 'b', 'c', 'd'].map((t) => `  ${t}:\n    x: numeric\n    k: [${KINDS.join(', ')}]`),
    'journeys:',
    full ? indent(yaml, 2) : `  patterns:\n    j:\n${indent(yaml, 6)}`,
  ].join('\n');
}

function rel(t: number | undefined): string {
  const m = (t! - ORIGIN) / 60000;
  return m === 0 ? '0' : `${m}m`;
}

/** The notation of the tables: `j at 20m: a 0, b×3 10m–30m {x=5}, c skipped`. */
function show(m: JourneyMatch, withSteps: boolean): string {
  const head = `${m.journey} at ${rel(m.time)}`;
  if (!withSteps) return head;
  const steps = m.events.map((e) => {
    if (e.count === 0) return `${e.step} skipped`;
    const times = e.count === 1 ? rel(e.firstTime) : `×${e.count} ${rel(e.firstTime)}–${rel(e.lastTime)}`;
    const caps = e.attributes ? ` {${Object.entries(e.attributes).map(([k, v]) => `${k}=${v}`).join(', ')}}` : '';
    return `${e.step}${e.count === 1 ? ' ' : ''}${times}${caps}`;
  });
  return `${head}: ${steps.join(', ')}`;
}

const all = examples();

describe('docs/journeys.md examples', () => {
  it('has an example for every operator', () => {
    expect(all.length).toBeGreaterThanOrEqual(15);
    for (const op of ['followedBy', 'next:', 'times:', 'optional:', 'consecutive:', 'notFollowedBy', 'aggregates:', 'noSkip', 'allowedLateness']) {
      expect(all.some((e) => e.yaml.includes(op)), op).toBe(true);
    }
  });
  for (const ex of all) {
    it(`example at docs/journeys.md:${ex.line}`, async () => {
      const payload = compileSpec(new SpecSource(specOf(ex.yaml), `docs/journeys.md:${ex.line}`), { created: 'x' });
      for (const variant of VARIANTS) {
        const engine = await Engine.load(encodeBundle(payload), { wasm: variant });
        const twin = new ReferenceJourneys(engine.journeys!.set);
        const st = twin.fresh();
        for (const row of ex.rows) {
          let got: string;
          let twinCount: number;
          if (row.event === 'advance') {
            got = engine.advance('c', ORIGIN + row.time).map((m) => show(m, /:/.test(row.expect))).join('; ');
            twinCount = twin.advance(st, ORIGIN + row.time).matches.length;
          } else {
            const r = engine.observe('c', row.event);
            got = r.rejected ? `rejected: ${r.rejected}` : r.matches.map((m) => show(m, /:/.test(row.expect.replace('rejected:', '')))).join('; ');
            const ev = row.event;
            const type = ['a', 'b', 'c', 'd'].indexOf(ev.type);
            const tr = twin.observe(st, { type, time: ev.time, attributes: [typeof ev.x === 'number' ? ev.x : NaN, typeof ev.k === 'string' ? KINDS.indexOf(ev.k) : NaN] }, new Float32Array([NaN]));
            twinCount = tr.matches.length;
          }
          expect(got, `docs/journeys.md:${ex.line}, row at ${rel(ORIGIN + row.time)} (${variant})`).toBe(row.expect);
          expect(twinCount, 'the twin agrees on the number of matches').toBe(got === '' || got.startsWith('rejected') ? 0 : got.split('; ').length);
        }
      }
    });
  }
});
