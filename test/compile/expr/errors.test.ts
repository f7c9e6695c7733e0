/**
 * Every error kind: its code, its position (line and column, in the file when
 * an origin is given), its message and the caret excerpt.
 */
import { describe, expect, it } from 'vitest';
import { NextbestError } from '../../../src/errors.js';
import { compileExpr, parseExpr, programsToBundle, validatePrograms, type CompileOptions } from '../../../src/compile/expr/index.js';
import { ENV } from '../../helpers/expr.js';

function errorOf(source: string, opts?: CompileOptions): NextbestError {
  try {
    compileExpr(source, ENV, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(NextbestError);
    return e as NextbestError;
  }
  throw new Error(`no error for ${source}`);
}

describe('expression errors', () => {
  it('EXPR_PARSE: syntax, with position and caret', () => {
    const e = errorOf('tenure_months > ');
    expect(e.code).toBe('EXPR_PARSE');
    expect(e.details).toMatchObject({ line: 1, column: 17 });
    expect(e.message).toBe('1:17: the expression ends too early: expected a value\n  1 | tenure_months > \n    |                 ^');
    const cases: [string, number, RegExp][] = [
      ['a = 1', 3, /write `==`/],
      ['x0 & x1', 4, /write `and`/],
      ['x0 <> 1', 4, /write `!=`/],
      ['(x0 + 1', 8, /expected `\)` to close the parenthesis/],
      ['x0 + 1)', 7, /unexpected `\)`.*unbalanced/],
      ['x0 x1', 4, /is an operator .* missing/],
      ['5min', 2, /unknown unit `min`/],
      ['"abc', 1, /unterminated string/],
      ['"a\\qb"', 3, /unknown escape/],
      ['x0 @ 1', 4, /unexpected character `@`/],
      ['a < b < c', 7, /comparisons do not chain/],
      ['', 1, /empty/],
      ['score.nba[x0]', 11, /index must be a constant/],
      ['x in 3', 6, /expected a list/],
    ];
    for (const [src, column, re] of cases) {
      const err = errorOf(src);
      expect(err.code, src).toBe('EXPR_PARSE');
      expect(err.details?.column, src).toBe(column);
      expect(err.message, src).toMatch(re);
    }
  });

  it('maps positions into the file through the origin', () => {
    const src = 'x0 > 1 and\n  x1 = 2';
    const e = errorOf(src, { origin: { file: 'models/telco/bundle.yaml', line: 40, column: 17 } });
    expect(e.details).toMatchObject({ file: 'models/telco/bundle.yaml', line: 41, column: 6 });
    expect(e.message.startsWith('models/telco/bundle.yaml:41:6: `=` is not an operator')).toBe(true);
    expect(e.message).toContain('\n  41 |   x1 = 2\n     |      ^');
    const first = errorOf('x0 = 1', { origin: { file: 'f.yaml', line: 3, column: 12 } });
    expect(first.details).toMatchObject({ line: 3, column: 15 });
    const indented = errorOf(src, { origin: { line: 40, column: 17, indent: 6 } });
    expect(indented.details).toMatchObject({ line: 41, column: 12 });
  });

  it('EXPR_TYPE: mixing types, with what to write instead', () => {
    const cases: [string, RegExp][] = [
      ['plan == "platinum"', /"platinum" is not a value of category "plan".*Known values: "basic", "gold", "premium", "vip"/s],
      ['plan == "gld"', /did you mean "gold"/],
      ['tenure_months and flag', /the left operand of `and` must be a bool .* compare it, e\.g\. `x > 0`/],
      ['flag + 1', /must be a number, but it is a bool; write `\(b \? 1 : 0\)`/],
      ['plan + 1', /a category is a code, not a quantity/],
      ['plan < "gold"', /categories have no order/],
      ['plan == context.channel', /category "plan" and a category "channel"/],
      ['x0 == "gold"', /strings are only meaningful against a category/],
      ['"a" == "b"', /two strings/],
      ['x0 > missing', /always false; test `isMissing\(x\)`/],
      ['isMissing(flag)', /bools are never missing/],
      ['flag ? 1 : plan', /same type/],
      ['clamp(x0, 1)', /clamp takes 3 arguments/],
      ['x0 in ["gold"]', /strings are only meaningful/],
      ['"gold"', /only meaningful compared with a category/],
    ];
    for (const [src, re] of cases) {
      const e = errorOf(src);
      expect(e.code, src).toBe('EXPR_TYPE');
      expect(e.message, src).toMatch(re);
      expect(e.details?.line).toBe(1);
    }
    const e = errorOf('plan == "platinum"');
    expect(e.details).toMatchObject({ column: 9, dict: 'plan' });
    expect(e.message).toContain('\n  1 | plan == "platinum"\n    |         ^^^^^^^^^^');
    const expectBool = errorOf('x0 + 1', { expect: 'bool' });
    expect(expectBool.code).toBe('EXPR_TYPE');
    expect(expectBool.message).toMatch(/must be a bool, but it is a number; compare it/);
  });

  it('EXPR_NAME: unknown names and functions, with near matches', () => {
    const e = errorOf('tenure_month > 12');
    expect(e.code).toBe('EXPR_NAME');
    expect(e.details).toMatchObject({ line: 1, column: 1, name: 'tenure_month', suggestions: ['tenure_months'] });
    expect(e.message).toBe('1:1: unknown name `tenure_month`; did you mean `tenure_months`?\n  1 | tenure_month > 12\n    | ^^^^^^^^^^^^');
    expect(errorOf('score.chrun > 0.5').message).toMatch(/did you mean `score.churn`/);
    const fn = errorOf('x0 > sigmod(x1)');
    expect(fn.code).toBe('EXPR_NAME');
    expect(fn.details).toMatchObject({ column: 6, name: 'sigmod' });
    expect(fn.message).toMatch(/unknown function `sigmod`; did you mean `sigmoid`/);
    expect(errorOf('x0 == null').message).toMatch(/written `missing`/);
    expect(errorOf('max > 1').message).toMatch(/is a function: call it/);
  });

  it('EXPR_LIMIT: source length, depth, list length, program length, stack depth', () => {
    const cases: [string, CompileOptions['limits'], RegExp][] = [
      ['x0 + x1', { maxSourceLength: 5 }, /7 characters, more than limits.maxSourceLength \(5\)/],
      ['(((x0)))', { maxDepth: 2 }, /nested more than 2 levels/],
      ['x0 + x1 + x0', { maxDepth: 2 }, /nested more than 2 levels/],
      ['x0 in [1, 2, 3]', { maxListLength: 2 }, /more than 2 elements/],
      ['x0 + x1 * x0 - x1', { maxCodeWords: 6 }, /more than limits.maxCodeWords \(6\)/],
      ['x0 + (x1 + (x0 + x1))', { maxStack: 3 }, /operand stack of 4, more than limits.maxStack \(3\)/],
      ['x0 + 1 + 2 * x1', { maxConsts: 1 }, /2 constants, more than limits.maxConsts \(1\)/],
    ];
    for (const [src, limits, re] of cases) {
      const e = errorOf(src, { limits });
      expect(e.code, src).toBe('EXPR_LIMIT');
      expect(e.message, src).toMatch(re);
      expect(e.details?.line).toBe(1);
    }
    expect(errorOf('((((x0))))', { limits: { maxDepth: 3 } }).details?.column).toBe(4);
    expect(() => compileExpr('x0', ENV, { limits: { maxStack: 1000 } })).toThrow(/maxStack must be an integer in \[1, 256\]/);
    expect(() => compileExpr('x0', ENV, { limits: { maxDepht: 3 } as never })).toThrow(/unknown expression limit "maxDepht"/);
    expect(() => compileExpr('x0', ENV, { origin: { line: 0, column: 1 } })).toThrow(/origin must be/);
    expect(() => compileExpr('x0', ENV, { expect: 'text' as never })).toThrow(/expect must be/);
    expect(() => compileExpr('x0', null as never)).toThrow(/environment with a resolve/);
    expect(() => compileExpr('x0', { resolve: () => ({ type: { kind: 'number' }, source: 'frame', slot: -1 }) as never })).toThrow(/invalid binding/);
  });

  it('BUNDLE_INVALID: the validator names the program and the word', () => {
    const p = compileExpr('x0 > 1 and flag', ENV);
    const section = programsToBundle([p]) as Record<string, unknown>;
    expect(() => validatePrograms(section, { frameSlots: 7, features: 2 })).toThrow(/program 0: JF_FB at word 4: feature 3 is outside the schema \(0\.\.1\)/);
    const code = Int32Array.from(p.code);
    code[3] = 2; // the jump of JF_GT_FK goes backwards
    const bad = programsToBundle([{ ...p, code }]);
    try {
      validatePrograms(bad, { frameSlots: 7, features: 6 });
      throw new Error('accepted');
    } catch (e) {
      expect((e as NextbestError).code).toBe('BUNDLE_INVALID');
      expect((e as NextbestError).message).toMatch(/the jump at word 0 goes to word 2/);
    }
    expect(() => validatePrograms({ ...section, version: 2 }, { frameSlots: 7, features: 6 })).toThrow(/unsupported section version/);
    expect(() => validatePrograms(null, { frameSlots: 7, features: 6 })).toThrow(/expected a map/);
    expect(() => parseExpr(42 as unknown as string)).toThrow(/must be a string/);
  });
});
