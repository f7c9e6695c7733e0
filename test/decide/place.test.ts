/**
 * Placement shortcuts: factors that are constants or read one frame slot,
 * and the default priority, are computed by the kernel without running a program (the differential
 * tests check the results stay bitwise the programs').
 */
import { describe, expect, it } from 'vitest';
import { compileExpr, mapEnv } from '../../src/compile/expr/index.js';
import { constantOf, isDefaultPriority, slotOf } from '../../src/decide/place.js';
import { DEFAULT_PRIORITY } from '../../src/compile/arbitration.js';
import { FACTOR_SLOTS } from '../../src/decide/tables.js';

const num = { kind: 'number' } as const;
const env = mapEnv({
  ...Object.fromEntries(Object.entries(FACTOR_SLOTS).map(([k, slot]) => [k, { type: num, source: 'frame' as const, slot }])),
  x: { type: num, source: 'features', index: 0 },
});
const code = (src: string) => compileExpr(src, env, { expect: 'number' });

describe('decision placement shortcuts', () => {
  it('recognizes the default priority, and only it', () => {
    expect(isDefaultPriority(code(DEFAULT_PRIORITY))).toBe(true);
    expect(isDefaultPriority(code('propensity * context * (value * lever)'))).toBe(false);
    expect(isDefaultPriority(code('propensity * value * context * lever'))).toBe(false);
    expect(isDefaultPriority(code('propensity * context * value * lever + 0'))).toBe(false);
  });

  it('recognizes constant programs', () => {
    expect(constantOf(code('1'))).toBe(1);
    expect(constantOf(code('0'))).toBe(0);
    expect(constantOf(code('12.5 * 2'))).toBe(25);
    expect(Object.is(constantOf(code('-0')), -0)).toBe(true);
    expect(constantOf(code('0 / 0'))).toBeNaN();
    expect(constantOf(code('x'))).toBeUndefined();
    expect(constantOf(code('propensity'))).toBeUndefined();
  });

  it('recognizes programs that read one frame slot (score.offers), and only them', () => {
    expect(slotOf(code('propensity'))).toBe(FACTOR_SLOTS.propensity);
    expect(slotOf(code('value'))).toBe(FACTOR_SLOTS.value);
    expect(slotOf(code('propensity * 1'))).toBeUndefined();
    expect(slotOf(code('x'))).toBeUndefined(); // a feature, not a slot
    expect(slotOf(code('2'))).toBeUndefined();
  });
});
