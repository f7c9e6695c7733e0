/**
 * `nextbest score`: every input row is accounted for (an output row or an
 * error row with its line and reason), output order is input order, scores
 * equal the engine's, and the options do what the usage says.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Engine, buildBundle, generateKeyPair, runCli, signBundle, type FeatureObject } from '../../src/index.js';
import { EXIT_ROWS_REJECTED, ScoreRowTask } from '../../src/cli/score.js';
import { FeatureSchema } from '../../src/runtime/features.js';
import type { Pool } from '../../src/pool/pool.js';
import { Progress } from '../../src/cli/progress.js';
import { mulberry32, randInt } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'nb-score-'));
const bundle = join(dir, 'telco.nbb');
const twoModels = join(dir, 'two.nbb');
let engine: Engine;

beforeAll(async () => {
  writeFileSync(
    join(dir, 'telco.yaml'),
    [
      'bundle: telco',
      'version: "1"',
      'features:',
      '  tenure: numeric',
      '  spend: numeric',
      '  plan: { type: categorical, categories: [basic, premium, "with,comma"] }',
      'models:',
      '  churn:',
      '    linear: { intercept: -1, link: logit, weights: { tenure: -0.04, spend: 0.01, plan: { basic: 0.3, premium: -0.2, "with,comma": 1 } } }',
      '',
    ].join('\n'),
  );
  writeFileSync(bundle, await buildBundle(join(dir, 'telco.yaml')));
  writeFileSync(
    join(dir, 'two.yaml'),
    'bundle: two\nversion: "1"\nfeatures:\n  a: numeric\nmodels:\n  up:\n    linear: { weights: { a: 2 } }\n  down:\n    linear: { weights: { a: -1 } }\n',
  );
  writeFileSync(twoModels, await buildBundle(join(dir, 'two.yaml')));
  engine = await Engine.load(bundle);
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
function out(ext: string): string {
  return join(dir, `${fileNo++}-out.${ext}`);
}
function ndjson(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
function csv(path: string): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n');
}
/** The engine's score for a feature object, as float32. */
function want(features: FeatureObject): number {
  return engine.score('churn', features)[0]!;
}
function sameF32(text: unknown, expected: number): boolean {
  const v = text === null ? NaN : Math.fround(Number(text));
  return Object.is(v, expected) || (Number.isNaN(v) && Number.isNaN(expected));
}
function summary(err: string[]): { rowsIn: number; ok: number; rejected: number } {
  const m = /rows in ([\d,]+), scored ([\d,]+), rejected ([\d,]+)/.exec(err.join('\n'));
  expect(m).not.toBeNull();
  const n = (s: string) => Number(s.replace(/,/g, ''));
  return { rowsIn: n(m![1]!), ok: n(m![2]!), rejected: n(m![3]!) };
}

describe('nextbest score: row accounting', () => {
  it('CSV: every row is an output row or an error row with its line and reason', async () => {
    const input = file(
      'bad.csv',
      [
        'spend,id,plan,tenure', //                       1 header, any column order
        '10,c1,basic,12', //                              2 ok
        '0,c2,premium,', //                               3 ok, tenure missing
        '5,c3,gold,3', //                                 4 category not in the dictionary
        '5,c4,basic,abc', //                              5 wrong type
        '5,c5,basic', //                                  6 missing field
        '', //                                            7 blank: not a row
        '5,c6,"bas"ic,3', //                              8 bad quoting
        '1,c7,"with,comma",2\r', //                       9 ok, quoted delimiter, CRLF
        '5,c8,basic,3,extra', //                         10 too many fields
        '5,c9,basic,3' + ' '.repeat(300), //             11 longer than --max-line-bytes
        '5,c"10,basic,3', //                             12 quote inside an unquoted field
        '5,c11,"never closed,3', //                      13 unterminated quote
        'NA,c12,,1e1', //                                14 ok, spend and plan missing
      ].join('\n'),
    );
    const o = out('csv');
    const r = io();
    expect(await runCli(['score', '-b', bundle, '-i', input, '-o', o, '--max-line-bytes', '200', '-t', '2'], r.io)).toBe(EXIT_ROWS_REJECTED);
    const lines = csv(o);
    expect(lines[0]).toBe('line,id,score,error_code,error_message');
    const rows = lines.slice(1).map((l) => /^(\d+),([^,]*),([^,]*),([^,]*),?(.*)$/.exec(l)!);
    expect(rows.map((m) => Number(m[1]))).toEqual([2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14]);
    const codes = Object.fromEntries(rows.map((m) => [Number(m[1]), m[4]]));
    expect(codes).toEqual({
      2: '',
      3: '',
      4: 'FEATURE_CATEGORY',
      5: 'FEATURE_TYPE',
      6: 'INPUT_COLUMNS',
      8: 'INPUT_PARSE',
      9: '',
      10: 'INPUT_COLUMNS',
      11: 'LIMIT_EXCEEDED',
      12: 'INPUT_PARSE',
      13: 'INPUT_PARSE',
      14: '',
    });
    const score = (line: number) => rows.find((m) => Number(m[1]) === line)![3];
    expect(sameF32(score(2), want({ spend: 10, plan: 'basic', tenure: 12 }))).toBe(true);
    expect(sameF32(score(3), want({ spend: 0, plan: 'premium' }))).toBe(true);
    expect(sameF32(score(9), want({ spend: 1, plan: 'with,comma', tenure: 2 }))).toBe(true);
    expect(sameF32(score(14), want({ tenure: 10 }))).toBe(true);
    expect(rows.find((m) => m[1] === '5')![2]).toBe('c4'); // the id is kept on error rows
    expect(lines.find((l) => l.startsWith('4,'))).toContain('\\"gold\\"'.replace(/\\/g, '"'));
    expect(summary(r.err)).toEqual({ rowsIn: 12, ok: 4, rejected: 8 });
  });

  it('NDJSON: broken JSON, wrong types, unknown features; missing fields are scored as missing', async () => {
    const input = file(
      'bad.ndjson',
      [
        '{"id":"a","tenure":3,"plan":"basic","spend":1.5}', //  1 ok
        '{"id":"b","tenure":"3"}', //                          2 wrong type
        '{broken', //                                          3 broken JSON
        '[1,2]', //                                            4 not an object
        '{"id":"d","tenure":5,"fax":1}', //                    5 unknown feature
        '{"id":7,"tenure":null,"plan":null}', //               6 ok, all missing
        '   ', //                                              7 blank
        '{"id":"e","plan":"gold"}', //                         8 category not in the dictionary
        '{"id":"f","plan":{"x":1}}', //                        9 wrong type
        '{"id":"g","spend":true}', //                         10 ok, boolean is 1
        '"just a string"', //                                 11 not an object
        '{"id":"h","plan":1}', //                             12 ok, an integer code
        '{"id":"i","plan":1.5}', //                           13 not an integer code
      ].join('\r\n') + '\r\n',
    );
    const o = out('ndjson');
    const errs = out('ndjson');
    const r = io();
    expect(await runCli(['score', '-b', bundle, '-i', input, '-o', o, '--errors', errs], r.io)).toBe(EXIT_ROWS_REJECTED);
    const ok = ndjson(o);
    const bad = ndjson(errs);
    expect(ok.map((x) => x.line)).toEqual([1, 6, 10, 12]);
    expect(ok.map((x) => x.id)).toEqual(['a', 7, 'g', 'h']);
    expect(sameF32(ok[0]!.score, want({ tenure: 3, plan: 'basic', spend: 1.5 }))).toBe(true);
    expect(sameF32(ok[1]!.score, want({}))).toBe(true);
    expect(sameF32(ok[2]!.score, want({ spend: 1 }))).toBe(true);
    expect(sameF32(ok[3]!.score, want({ plan: 'premium' }))).toBe(true);
    expect(bad.map((x) => [x.line, (x.error as { code: string }).code])).toEqual([
      [2, 'FEATURE_TYPE'],
      [3, 'INPUT_PARSE'],
      [4, 'INPUT_PARSE'],
      [5, 'FEATURE_UNKNOWN'],
      [8, 'FEATURE_CATEGORY'],
      [9, 'FEATURE_TYPE'],
      [11, 'INPUT_PARSE'],
      [13, 'FEATURE_TYPE'],
    ]);
    expect(bad[0]!.id).toBe('b');
    expect((bad[3]!.error as { message: string }).message).toMatch(/unknown feature "fax".*--ignore-unknown/);
    expect(summary(r.err)).toEqual({ rowsIn: 12, ok: 4, rejected: 8 });
  });

  it('keeps input order across many batches and threads, with bad rows mixed in', async () => {
    const rand = mulberry32(99);
    const plans = ['basic', 'premium', 'with,comma'];
    const lines: string[] = [];
    const expected: ({ ok: true; score: number; id: string } | { ok: false })[] = [];
    for (let i = 0; i < 3000; i++) {
      if (rand() < 0.07) {
        lines.push(rand() < 0.5 ? `{"id":"x${i}","tenure":"oops"}` : `{"id":"x${i}",`);
        expected.push({ ok: false });
      } else {
        const f = { tenure: randInt(rand, 0, 120), spend: Math.round(rand() * 1e4) / 100, plan: plans[randInt(rand, 0, 2)]! };
        lines.push(JSON.stringify({ id: `c${i}`, ...f }));
        expected.push({ ok: true, score: want(f), id: `c${i}` });
      }
    }
    const input = file('order.ndjson', lines.join('\n'));
    const o = out('ndjson');
    const r = io();
    expect(await runCli(['score', '-b', bundle, '-i', input, '-o', o, '--batch-size', '37', '-t', '3'], r.io)).toBe(EXIT_ROWS_REJECTED);
    const got = ndjson(o);
    expect(got.map((x) => x.line)).toEqual(lines.map((_, i) => i + 1));
    got.forEach((x, i) => {
      const e = expected[i]!;
      expect('error' in x).toBe(!e.ok);
      if (e.ok) {
        expect(x.id).toBe(e.id);
        expect(sameF32(x.score, e.score)).toBe(true);
      }
    });
    const s = summary(r.err);
    expect(s.rowsIn).toBe(3000);
    expect(s.rejected).toBe(expected.filter((e) => !e.ok).length);
  });

  it('exits 0 and writes a header-only CSV for an input without rows', async () => {
    const o = out('csv');
    const r = io();
    expect(await runCli(['score', '-b', bundle, '-i', file('empty.csv', 'id,tenure\n\n'), '-o', o], r.io)).toBe(0);
    expect(csv(o)).toEqual(['line,id,score,error_code,error_message']);
    expect(summary(r.err)).toEqual({ rowsIn: 0, ok: 0, rejected: 0 });
  });
});

describe('nextbest score: options', () => {
  it('carries --columns and a custom --id, drops unknown columns with --ignore-unknown, writes NDJSON from CSV', async () => {
    const input = file('carry.csv', '\ufeffcustomer,segment,tenure,plan,junk\nk1,"north, east",5,basic,zz\nk2,south,7,premium,\n');
    const o = out('ndjson');
    const r = io();
    expect(await runCli(['score', '-b', bundle, '-i', input, '-o', o, '--id', 'customer', '--columns', 'segment', '--ignore-unknown'], r.io)).toBe(0);
    const got = ndjson(o);
    expect(got.map(({ score: _s, ...rest }) => rest)).toEqual([
      { line: 2, customer: 'k1', segment: 'north, east' },
      { line: 3, customer: 'k2', segment: 'south' },
    ]);
    expect(sameF32(got[0]!.score, want({ tenure: 5, plan: 'basic' }))).toBe(true);
    // spend is not in the input: said once, on stderr.
    expect(r.err.join('\n')).toMatch(/1 of the bundle's 3 features are not in the input.*spend/);
  });

  it('refuses a header with unknown or repeated columns (exit 1), unless told what to do with them', async () => {
    const r1 = io();
    expect(await runCli(['score', '-b', bundle, '-i', file('unk.csv', 'id,tenure,tenur\n1,2,3\n'), '-o', out('csv')], r1.io)).toBe(1);
    expect(r1.err[0]).toMatch(/INPUT_COLUMNS.*"tenur".*--columns.*--ignore-unknown/);
    const r2 = io();
    expect(await runCli(['score', '-b', bundle, '-i', file('dup.csv', 'tenure,tenure\n1,2\n'), '-o', out('csv')], r2.io)).toBe(1);
    expect(r2.err[0]).toMatch(/INPUT_COLUMNS.*twice/);
    const r3 = io();
    expect(await runCli(['score', '-b', bundle, '-i', file('noid.csv', 'tenure\n1\n'), '--id', 'cust', '-o', out('csv')], r3.io)).toBe(1);
    expect(r3.err[0]).toMatch(/no id column "cust"/);
  });

  it('--unknown-category missing, --multiline, TSV input', async () => {
    const o = out('csv');
    expect(await runCli(['score', '-b', bundle, '-i', file('cat.csv', 'id,plan\na,gold\n'), '-o', o, '--unknown-category', 'missing', '-q'], io().io)).toBe(0);
    expect(sameF32(csv(o)[1]!.split(',')[2], want({}))).toBe(true);
    const o2 = out('csv');
    const ml = file('ml.csv', 'id,plan,tenure\n"multi\nline id",basic,4\nb,premium,1\n');
    expect(await runCli(['score', '-b', bundle, '-i', ml, '-o', o2, '--multiline', '-q'], io().io)).toBe(0);
    const got = readFileSync(o2, 'utf8');
    expect(got).toContain('2,"multi\nline id",');
    expect(got).toContain('\n4,b,');
    const o3 = out('ndjson');
    expect(await runCli(['score', '-b', bundle, '-i', file('t.tsv', 'id\ttenure\nq\t4\n'), '-o', o3, '-q'], io().io)).toBe(0);
    expect(sameF32(ndjson(o3)[0]!.score, want({ tenure: 4 }))).toBe(true);
  });

  it('reads stdin and writes stdout as streams', async () => {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const r = io({ stdin: Readable.from([Buffer.from('{"id":1,"ten'), Buffer.from('ure":2}\n{"id":2}\n')]), stdout });
    expect(await runCli(['score', '-b', bundle, '-i', '-', '--input-format', 'ndjson'], r.io)).toBe(0);
    const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual([1, 2]);
    expect(sameF32(lines[0].score, want({ tenure: 2 }))).toBe(true);
  });

  it('picks a model by --model and needs it when the bundle has several', async () => {
    const input = file('a.csv', 'a\n3\n');
    const r = io();
    expect(await runCli(['score', '-b', twoModels, '-i', input, '-o', out('csv')], r.io)).toBe(1);
    expect(r.err[0]).toMatch(/MODEL_UNKNOWN.*up, down.*--model/);
    const o = out('csv');
    expect(await runCli(['score', '-b', twoModels, '-m', 'down', '-i', input, '-o', o, '-q'], io().io)).toBe(0);
    expect(csv(o)[1]).toBe('2,-3,,');
  });

  it('--trusted-key: runs a bundle signed by the key, refuses an unsigned one', async () => {
    const key = generateKeyPair();
    const pub = file('key.pub.pem', key.publicKeyPem);
    const signed = file('signed.nbb', '');
    writeFileSync(signed, signBundle(readFileSync(bundle), key.privateKeyPem));
    const input = file('s.csv', 'tenure\n1\n');
    expect(await runCli(['score', '-b', signed, '--trusted-key', pub, '-i', input, '-o', out('csv'), '-q'], io().io)).toBe(0);
    const r = io();
    expect(await runCli(['score', '-b', bundle, '--trusted-key', pub, '-i', input, '-o', out('csv')], r.io)).toBe(1);
    expect(r.err[0]).toMatch(/BUNDLE_UNSIGNED/);
  });

  it('reports usage errors', async () => {
    const input = file('u.csv', 'tenure\n1\n');
    const cases: [string[], number, RegExp][] = [
      [['score', '-i', input], 1, /needs --bundle/],
      [['score', '-b', bundle], 1, /needs --input/],
      [['score', '-b', bundle, '-i', input, '-t', '0'], 1, /--threads must be an integer/],
      [['score', '-b', bundle, '-i', input, '--batch-size', 'x'], 1, /--batch-size/],
      [['score', '-b', bundle, '-i', join(dir, 'nope.csv')], 1, /IO_FAILED.*ENOENT/],
      [['score', '-b', bundle, '-i', file('x.txt', 'a')], 1, /--input-format/],
      [['score', '-b', bundle, '-i', input, '--unknown-category', 'maybe'], 1, /--unknown-category/],
      [['score', '-b', bundle, '-i', input, '--delimiter', '"'], 1, /--delimiter/],
      [['score', '-b', bundle, '-i', input, '--bogus'], 2, /bogus/],
    ];
    for (const [args, code, msg] of cases) {
      const r = io();
      expect(await runCli(args, r.io)).toBe(code);
      expect(r.err.join('\n')).toMatch(msg);
    }
  });

  it('draws a progress bar with rows/s and ETA on a terminal, and clears it', async () => {
    const drawn: string[] = [];
    const stderr = { isTTY: true, write: (s: string) => drawn.push(s) };
    const r = io({ stderr });
    const input = file('p.ndjson', '{"tenure":1}\n'.repeat(50));
    expect(await runCli(['score', '-b', bundle, '-i', input, '-o', out('ndjson')], r.io)).toBe(0);
    expect(drawn.some((d) => /^\r\x1b\[2K\[[#.]+\]\s+\d+%.*rows\/s.*ETA/.test(d))).toBe(true);
    expect(drawn.at(-1)).toBe('\r\x1b[2K');
    const quiet = io({ stderr: { isTTY: true, write: (s: string) => drawn.push(`quiet:${s}`) } });
    expect(await runCli(['score', '-b', bundle, '-i', input, '-o', out('ndjson'), '--quiet'], quiet.io)).toBe(0);
    expect(drawn.some((d) => d.startsWith('quiet:'))).toBe(false);
    expect(quiet.err).toEqual([]);
  });

  it('formats progress without a known size, and with one', () => {
    const lines: string[] = [];
    const p = new Progress({ redraw: null, line: (l) => lines.push(l) }, null);
    expect(p.text({ rowsIn: 1234, ok: 1200, rejected: 34, bytesRead: 10 })).toMatch(/^1,234 rows\s+[\d,]+ rows\/s\s+34 rejected\s+\d+:\d\d$/);
    const q = new Progress({ redraw: null, line: (l) => lines.push(l) }, 100);
    expect(q.text({ rowsIn: 10, ok: 10, rejected: 0, bytesRead: 50 })).toMatch(/^\[#{12}\.{12}\]\s+50%\s+10 rows .* ETA \d+:\d\d$/);
  });
});

describe('ScoreRowTask', () => {
  it('writes every output of a multi-output model: score_i columns, a JSON array, null for NaN', async () => {
    const schema = new FeatureSchema([{ name: 'a', type: 'numeric' }]);
    const fakePool = {
      schema,
      numOutputs: () => 3,
      score: async (_rows: Float32Array, n: number) => Float32Array.from({ length: n * 3 }, (_, i) => (i === 4 ? NaN : i / 4)),
    } as unknown as Pool;
    const task = new ScoreRowTask(fakePool, 'm', {});
    expect(task.resultColumns).toEqual(['score_0', 'score_1', 'score_2']);
    const b = task.newBatch(4);
    task.encodeJson(b, { a: 1 }, new Set());
    b.addOk(1, null, null);
    task.encodeCsv(b, ['2']);
    b.addOk(2, null, null);
    await task.run(b);
    expect(task.csvResult(b, 1, ',')).toBe('0.75,NaN,1.25');
    expect(task.jsonResult(b, 1)).toBe('"score":[0.75,null,1.25]');
    expect(task.jsonResult(b, 0)).toBe('"score":[0,0.25,0.5]');
  });
});
