import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CsvRecords, OPEN_QUOTE, csvField, parseCsvRecord } from '../../src/io/csv.js';

function parse(text: string, delimiter = 44): string[] | string | typeof OPEN_QUOTE {
  const out: string[] = [];
  const r = parseCsvRecord(text, out, delimiter);
  return r === null ? [...out] : r;
}

function records(lines: string[], multiline: boolean, maxRecordChars = 1000) {
  const got: unknown[] = [];
  const r = new CsvRecords(
    {
      record: (f, n) => got.push([n, ...f]),
      bad: (n, code) => got.push([n, code]),
    },
    { delimiter: 44, multiline, maxRecordChars },
  );
  lines.forEach((l, i) => r.line(l, i + 1));
  r.end();
  return got;
}

describe('CSV records', () => {
  it('parses plain, quoted, escaped and empty fields', () => {
    expect(parse('a,b,c')).toEqual(['a', 'b', 'c']);
    expect(parse('')).toEqual(['']);
    expect(parse(',')).toEqual(['', '']);
    expect(parse('a,,')).toEqual(['a', '', '']);
    expect(parse('"a,b","say ""hi""",""')).toEqual(['a,b', 'say "hi"', '']);
    expect(parse('"",x,"y"')).toEqual(['', 'x', 'y']);
    expect(parse(' a , b ')).toEqual([' a ', ' b ']);
    expect(parse('a\tb\t"c\td"', 9)).toEqual(['a', 'b', 'c\td']);
  });

  it('rejects broken quoting instead of guessing', () => {
    expect(parse('a,b"c,d')).toMatch(/field 2: a quote inside an unquoted field/);
    expect(parse('a,"b"c,d')).toMatch(/field 2: unexpected "c" after its closing quote/);
    expect(parse('a,"b,c')).toBe(OPEN_QUOTE);
    expect(parse('"a""')).toBe(OPEN_QUOTE);
  });

  it('keeps a record to its line unless multiline, where a quoted field may span lines', () => {
    const lines = ['h1,h2', 'x,"two', 'lines"', '', 'y,z'];
    expect(records(lines, false)).toEqual([
      [1, 'h1', 'h2'],
      [2, 'INPUT_PARSE'],
      [3, 'INPUT_PARSE'],
      [5, 'y', 'z'],
    ]);
    expect(records(lines, true)).toEqual([
      [1, 'h1', 'h2'],
      [2, 'x', 'two\nlines'],
      [5, 'y', 'z'],
    ]);
    expect(records(['a,"never closed', 'b', 'c'], true)).toEqual([[1, 'INPUT_PARSE']]);
    expect(records(['a,"never closed', 'b'.repeat(40), 'c'], true, 30)).toEqual([
      [1, 'LIMIT_EXCEEDED'],
      [3, 'c'],
    ]);
  });

  it('writes fields that read back to the same values', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(' pad')).toBe('" pad"');
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 8 }).filter((s) => !/[\r\n]/.test(s)), { minLength: 1, maxLength: 6 }), (fields) => {
        expect(parse(fields.map((f) => csvField(f)).join(','))).toEqual(fields);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
