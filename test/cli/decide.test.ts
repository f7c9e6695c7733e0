/**
 * `nextbest decide`: every input line is accounted for (a decision row or
 * an error row with its line and reason), output order is input order,
 * decisions equal engine.decide's, and the options do what the usage says.
 * Runs the shipped telco bundle.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Engine, Model, runCli, type DecisionRequest } from '../../src/index.js';
import { EXIT_ROWS_REJECTED } from '../../src/cli/stream.js';
// @ts-expect-error: a plain .mjs module (the demo population) without types
import { rng, telcoCustomer } from '../../scripts/demo-population.mjs';

const TELCO = join(__dirname, '..', '..', 'models', 'telco.nbb');
const SAMPLES = join(__dirname, '..', '..', 'models', 'telco', 'customers.ndjson');
const NOW = Date.UTC(2026, 2, 2, 12);
const dir = mkdtempSync(join(tmpdir(), 'nb-decide-cli-'));
let engine: Engine;
let scoringOnly: string;

beforeAll(async () => {
  engine = await Engine.load(TELCO);
  scoringOnly = join(dir, 'linear.nbb');
  writeFileSync(scoringOnly, (await Model.fromLinear({ weights: { a: 1 } })).toBundle());
});

function io(extra: Record<string, unknown> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), ...extra }, out, err };
}
let fileNo = 0;
function file(name: string, text: string): string {
  const p = join(dir, `${fileNo++}-${name}`);
  writeFileSync(p, text);
  return p;
}
function out(): string {
  return join(dir, `${fileNo++}-out.ndjson`);
}
function ndjson(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
function summary(err: string[]): { rowsIn: number; ok: number; rejected: number } {
  const m = /rows in ([\d,]+), decided ([\d,]+), rejected ([\d,]+)/.exec(err.join('\n'));
  expect(m, err.join('\n')).not.toBeNull();
  const n = (s: string) => Number(s.replace(/,/g, ''));
  return { rowsIn: n(m![1]!), ok: n(m![2]!), rejected: n(m![3]!) };
}
/** engine.decide's actions as the CLI writes them (JSON numbers are exact). */
function want(req: DecisionRequest & { state?: Uint8Array }, opts: { seed?: number; limit?: number; explain?: boolean } = {}): unknown {
  const { state, customerId: _id, ...rest } = req;
  const d = state === undefined ? engine.decide(rest, opts) : engine.decideState(state, rest, opts).decision;
  return JSON.parse(JSON.stringify(opts.explain ? { actions: d.actions, explanation: d.explanation } : { actions: d.actions }));
}
function customer(seed: number): DecisionRequest['features'] {
  return telcoCustomer(rng(seed));
}

describe('nextbest decide: row accounting', () => {
  it('every line is a decision row or an error row with its line and reason', async () => {
    const f = customer(1);
    const ctx = { channel: 'app', now: NOW };
    const state = engine.recordState(undefined, { actionId: 'device_insurance', channel: 'app', outcome: 'reject', at: NOW - 3_600_000 });
    const lines = [
      JSON.stringify({ customerId: 'ok1', features: f, context: ctx }), //                            1 ok
      '{broken', //                                                                                    2 broken JSON
      '[1,2]', //                                                                                      3 not an object
      JSON.stringify({ customerId: 'u', features: { ...f, fax: 1 }, context: ctx }), //               4 unknown feature
      JSON.stringify({ customerId: 't', features: { ...f, age: 'old' }, context: ctx }), //           5 wrong type
      JSON.stringify({ customerId: 'k', features: { ...f, plan: 'gold' }, context: ctx }), //         6 not in the dictionary
      JSON.stringify({ customerId: 'nc', features: f }), //                                           7 no context
      JSON.stringify({ customerId: 'nn', features: f, context: { channel: 'app' } }), //              8 no now
      JSON.stringify({ customerId: 'ch', features: f, context: { channel: 'fax', now: NOW } }), //    9 unknown channel
      JSON.stringify({ customerId: 'all', features: f, context: { now: NOW } }), //                  10 ok: every channel
      '', //                                                                                          11 blank: not a row
      JSON.stringify({ customerId: 'st', features: f, context: ctx, state: 'not base64!' }), //      12 bad state
      JSON.stringify({ customerId: 'sz', features: f, context: ctx, state: 'AAAA' }), //             13 state of another layout
      JSON.stringify({ customerId: 'xk', features: f, context: ctx, extra: 1 }), //                  14 unknown request key
      JSON.stringify({ customerId: 7, features: f, context: ctx }), //                               15 customerId not a string
      JSON.stringify({ customerId: 'nf', context: ctx }), //                                         16 no features
      JSON.stringify({ customerId: 'hs', features: f, context: ctx, state: Buffer.from(state).toString('base64') }), // 17 ok, with history
      JSON.stringify({ customerId: 'cr', features: f, context: { ...ctx, call_reason: 'bored' } }), // 18 bad context value
      JSON.stringify({ customerId: 'long', features: f, context: ctx, pad: 'x'.repeat(5000) }), //   19 too long
    ];
    const o = out();
    const r = io();
    const code = await runCli(['decide', '-b', TELCO, '-i', file('bad.ndjson', lines.join('\r\n') + '\r\n'), '-o', o, '-t', '2', '--seed', '10', '--max-line-bytes', '4096'], r.io);
    expect(code).toBe(EXIT_ROWS_REJECTED);
    const rows = ndjson(o);
    expect(rows.map((x) => x.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19]);
    const codes = Object.fromEntries(rows.map((x) => [x.line, (x.error as { code?: string } | undefined)?.code ?? 'ok']));
    expect(codes).toEqual({
      1: 'ok',
      2: 'INPUT_PARSE',
      3: 'INPUT_PARSE',
      4: 'FEATURE_UNKNOWN',
      5: 'FEATURE_TYPE',
      6: 'FEATURE_CATEGORY',
      7: 'CONTEXT_INVALID',
      8: 'TIME_INVALID',
      9: 'CHANNEL_UNKNOWN',
      10: 'ok',
      12: 'STATE_INVALID',
      13: 'STATE_INVALID',
      14: 'ARGUMENT_INVALID',
      15: 'ARGUMENT_INVALID',
      16: 'ARGUMENT_INVALID',
      17: 'ok',
      18: 'CONTEXT_INVALID',
      19: 'LIMIT_EXCEEDED',
    });
    const row = (line: number) => rows.find((x) => x.line === line)!;
    expect(row(1).customerId).toBe('ok1');
    expect({ actions: row(1).actions }).toEqual(want({ features: f, context: ctx }, { seed: 11 }));
    expect({ actions: row(10).actions }).toEqual(want({ features: f, context: { now: NOW } }, { seed: 20 }));
    expect(new Set((row(10).actions as { channel: string }[]).map((a) => a.channel)).size).toBeGreaterThan(1); // every channel
    expect({ actions: row(17).actions }).toEqual(want({ features: f, context: ctx, state }, { seed: 27 }));
    expect(row(4).customerId).toBe('u'); // the id is kept on error rows
    expect((row(4).error as { message: string }).message).toMatch(/unknown feature "fax".*--ignore-unknown/);
    expect((row(14).error as { message: string }).message).toMatch(/unknown request key "extra".*--columns/);
    expect((row(8).error as { message: string }).message).toMatch(/context\.now is required/);
    expect(summary(r.err)).toEqual({ rowsIn: 18, ok: 3, rejected: 15 });
  });

  it('keeps input order across many batches and threads; decisions equal engine.decide with seed + line', async () => {
    const r0 = rng(77);
    const lines: string[] = [];
    const expected: (unknown | null)[] = [];
    for (let i = 0; i < 1500; i++) {
      if (r0.chance(0.05)) {
        lines.push(r0.chance(0.5) ? `{"customerId":"x${i}","features":{"age":"x"},"context":{"now":1}}` : `{"customerId":"x${i}",`);
        expected.push(null);
      } else {
        const req = { customerId: `c${i}`, features: telcoCustomer(r0), context: { now: NOW + i, channel: r0.pick(['app', 'email', 'sms', 'store']) } };
        lines.push(JSON.stringify(req));
        expected.push(want(req, { seed: 1000 + i + 1, limit: 2 }));
      }
    }
    const o = out();
    const r = io();
    expect(await runCli(['decide', '-b', TELCO, '-i', file('order.ndjson', lines.join('\n')), '-o', o, '--batch-size', '37', '-t', '3', '--seed', '1000', '--limit', '2'], r.io)).toBe(
      EXIT_ROWS_REJECTED,
    );
    const got = ndjson(o);
    expect(got.map((x) => x.line)).toEqual(lines.map((_, i) => i + 1));
    got.forEach((x, i) => {
      const e = expected[i];
      expect('error' in x, `line ${i + 1}`).toBe(e === null);
      if (e !== null) expect({ actions: x.actions }, `line ${i + 1}`).toEqual(e);
    });
    expect(summary(r.err).rejected).toBe(expected.filter((e) => e === null).length);
  });

  it('decides every sample request of the shipped telco bundle', async () => {
    const o = out();
    const r = io();
    expect(await runCli(['decide', '-b', TELCO, '-i', SAMPLES, '-o', o, '--explain', '-q'], r.io)).toBe(0);
    const got = ndjson(o);
    const samples = readFileSync(SAMPLES, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(got.map((x) => x.customerId)).toEqual(samples.map((s) => s.customerId));
    expect(got.every((x) => Array.isArray(x.actions) && typeof x.explanation === 'object')).toBe(true);
    expect(r.err).toEqual([]);
  });
});

describe('nextbest decide: options', () => {
  it('--explain, --id, --columns, --errors, --ignore-unknown', async () => {
    const f = customer(3);
    const input = file(
      'opts.ndjson',
      [
        JSON.stringify({ acct: 'A1', region: 'north', features: { ...f, fax: 1 }, context: { now: NOW, channel: 'app' }, note: 'x' }),
        JSON.stringify({ acct: 'A2', region: 'south', features: f, context: { now: NOW, channel: 'warp' } }),
      ].join('\n'),
    );
    const o = out();
    const errs = out();
    const r = io();
    const code = await runCli(['decide', '-b', TELCO, '-i', input, '-o', o, '--errors', errs, '--id', 'acct', '--columns', 'region', '--ignore-unknown', '--explain', '--seed', '5'], r.io);
    expect(code).toBe(EXIT_ROWS_REJECTED);
    const [ok] = ndjson(o);
    const [bad] = ndjson(errs);
    expect(Object.keys(ok!)).toEqual(['line', 'acct', 'region', 'actions', 'explanation']);
    expect(ok!.region).toBe('north');
    const { actions, explanation } = want({ features: f, context: { now: NOW, channel: 'app' } }, { seed: 6, explain: true }) as { actions: unknown; explanation: unknown };
    expect(ok!.actions).toEqual(actions);
    expect(ok!.explanation).toEqual(explanation);
    expect(bad).toMatchObject({ line: 2, acct: 'A2', region: 'south', error: { code: 'CHANNEL_UNKNOWN' } });
  });

  it('reads stdin and writes stdout as streams', async () => {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const line = JSON.stringify({ customerId: 's1', features: customer(4), context: { now: NOW, channel: 'web' } });
    const r = io({ stdin: Readable.from([Buffer.from(line.slice(0, 40)), Buffer.from(line.slice(40) + '\n')]), stdout });
    expect(await runCli(['decide', '-b', TELCO, '-i', '-', '-q'], r.io)).toBe(0);
    const rows = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.customerId)).toEqual(['s1']);
  });

  it('reports usage errors, CSV, and a bundle without actions', async () => {
    const input = file('u.ndjson', JSON.stringify({ features: {}, context: { now: NOW } }) + '\n');
    const cases: [string[], number, RegExp][] = [
      [['decide', '-i', input], 1, /decide needs --bundle/],
      [['decide', '-b', TELCO], 1, /needs --input customers\.ndjson/],
      [['decide', '-b', TELCO, '-i', input, '--limit', 'x'], 1, /--limit must be an integer/],
      [['decide', '-b', TELCO, '-i', input, '--seed=-1'], 1, /--seed must be an integer/],
      [['decide', '-b', TELCO, '-i', file('c.csv', 'a\n1\n')], 1, /reads and writes ndjson only; the input is csv/],
      [['decide', '-b', TELCO, '-i', input, '-o', join(dir, 'x.csv')], 1, /ndjson only; the output is csv/],
      [['decide', '-b', scoringOnly, '-i', input], 1, /DECISIONS_MISSING/],
      [['decide', '-b', TELCO, '-i', input, '--bogus'], 2, /bogus/],
    ];
    for (const [args, code, msg] of cases) {
      const r = io();
      expect(await runCli(args, r.io), args.join(' ')).toBe(code);
      expect(r.err.join('\n')).toMatch(msg);
    }
  });
});
