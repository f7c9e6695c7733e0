import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatF32, jsonF32, parseNumberCell } from '../../src/io/values.js';

describe('numbers in text', () => {
  it('reads numeric cells strictly', () => {
    expect(parseNumberCell('12')).toBe(12);
    expect(parseNumberCell(' -1.5e3 ')).toBe(-1500);
    expect(parseNumberCell('.5')).toBe(0.5);
    expect(parseNumberCell('5.')).toBe(5);
    expect(parseNumberCell('true')).toBe(1);
    expect(parseNumberCell('FALSE')).toBe(0);
    expect(parseNumberCell('-inf')).toBe(-Infinity);
    expect(parseNumberCell('Infinity')).toBe(Infinity);
    for (const missing of ['', '  ', 'NA', 'nan', 'NULL', 'N/A']) expect(parseNumberCell(missing)).toBeNaN();
    for (const bad of ['abc', '0x10', '1,5', '1e', '--1', '1 2', '+', '.']) expect(parseNumberCell(bad)).toBeUndefined();
  });

  it('writes float32 values in the shortest form that reads back exactly', () => {
    expect(formatF32(Math.fround(0.1))).toBe('0.1');
    expect(formatF32(0.5)).toBe('0.5');
    expect(formatF32(-0)).toBe('0');
    expect(formatF32(Math.fround(1 / 3))).toBe('0.33333334');
    expect(formatF32(NaN)).toBe('NaN');
    expect(jsonF32(NaN)).toBe('null');
    expect(jsonF32(-Infinity)).toBe('null');
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = formatF32(x);
        expect(Math.fround(Number(s))).toBe(x === 0 ? 0 : x);
        expect(s.replace(/^-|e.*$|\./g, '').replace(/^0+|0+$/g, '').length).toBeLessThanOrEqual(9);
      }),
      { numRuns: 2000, seed: 3 },
    );
  });
});
