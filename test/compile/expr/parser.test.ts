/**
 * Parser and printer: precedence, canonical printing, the print/parse round
 * trip on random trees, and robustness on random input (only EXPR_* errors).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NextbestError } from '../../../src/errors.js';
import { compileExpr, parseExpr, printExpr, stripSpans, FUNCTIONS, KEYWORDS, type Ast } from '../../../src/compile/expr/index.js';
import { ENV } from '../../helpers/expr.js';

const S = { start: 0, end: 0 };

describe('expression parser', () => {
  it('applies the precedence table', () => {
    const canon: [string, string][] = [
      ['a + b * c', 'a + b * c'],
      ['(a + b) * c', '(a + b) * c'],
      ['a - (b - c)', 'a - (b - c)'],
      ['(a - b) - c', 'a - b - c'],
      ['not a > 3', 'not a > 3'],
      ['not (a > 3)', 'not a > 3'],
      ['!a && b || c', 'not a and b or c'],
      ['a or b and c', 'a or b and c'],
      ['(a or b) and c', '(a or b) and c'],
      ['a ? b : c ? d : e', 'a ? b : c ? d : e'],
      ['(a ? b : c) ? d : e', '(a ? b : c) ? d : e'],
      ['-x * y', '-x * y'],
      ['-(x * y)', '-(x * y)'],
      ['x not in [1, 2,]', 'x not in [1, 2]'],
      ["plan == 'gold'", 'plan == "gold"'],
      ['score.nba[2] + context["my-key"] + a.in', 'score.nba[2] + context["my-key"] + a.in'],
      ['1.5h + 500ms + 1e-3', '1.5h + 500ms + 0.001'],
      ['max(a, b, 1) // a comment', 'max(a, b, 1)'],
      ['(a == b) == c', '(a == b) == c'],
    ];
    for (const [src, want] of canon) expect(printExpr(parseExpr(src)), src).toBe(want);
    const tree = stripSpans(parseExpr('not x > 3 and y')) as { op: string; left: { op: string; operand: { op: string } } };
    expect(tree.op).toBe('and');
    expect(tree.left.op).toBe('not');
    expect(tree.left.operand.op).toBe('>');
  });

  it('rejects chained comparisons and bare `not` operands', () => {
    for (const src of ['a < b < c', 'a == b != c', 'x in [1] in [2]', 'a == not b', '1 + !a']) {
      expect(() => parseExpr(src), src).toThrow(NextbestError);
    }
  });

  it('round-trips random trees through print and parse', () => {
    const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/).filter((s) => !KEYWORDS.has(s));
    const segment = fc.oneof(ident, fc.constantFrom('in', 'not', 'true', 'missing'), fc.nat(99999).map(String), fc.string({ maxLength: 4 }));
    const finite = fc.double({ min: 0, max: 1e300, noNaN: true, noDefaultInfinity: true }).filter((v) => !Object.is(v, -0));
    const unit = fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w' as const);
    const { node } = fc.letrec<{ node: Ast }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        finite.map((value): Ast => ({ kind: 'number', value, span: S })),
        fc.tuple(fc.double({ min: 0, max: 1e6, noNaN: true }).filter((v) => !Object.is(v, -0)), unit).map(
          ([amount, u]): Ast => ({ kind: 'duration', amount, unit: u as 'ms', span: S }),
        ),
        fc.string({ unit: 'binary', maxLength: 6 }).map((value): Ast => ({ kind: 'string', value, span: S })),
        fc.boolean().map((value): Ast => ({ kind: 'bool', value, span: S })),
        fc.constant<Ast>({ kind: 'missing', span: S }),
        fc.tuple(ident, fc.array(segment, { maxLength: 3 })).map(([h, rest]): Ast => ({ kind: 'name', path: [h, ...rest], span: S })),
        fc.tuple(fc.constantFrom('-', 'not' as const), tie('node')).map(([op, operand]): Ast => ({ kind: 'unary', op: op as '-', operand, span: S })),
        fc
          .tuple(fc.constantFrom('+', '-', '*', '/', '%', '==', '!=', '<', '<=', '>', '>=', 'and', 'or' as const), tie('node'), tie('node'))
          .map(([op, left, right]): Ast => ({ kind: 'binary', op: op as '+', left, right, span: S })),
        fc
          .tuple(fc.boolean(), tie('node'), fc.array(tie('node'), { maxLength: 3 }))
          .map(([negated, value, list]): Ast => ({ kind: 'in', negated, value, list, span: S })),
        fc.tuple(tie('node'), tie('node'), tie('node')).map(([test, then, otherwise]): Ast => ({ kind: 'cond', test, then, else: otherwise, span: S })),
        fc
          .tuple(fc.oneof(fc.constantFrom(...Object.keys(FUNCTIONS)), ident), fc.array(tie('node'), { maxLength: 3 }))
          .map(([fn, args]): Ast => ({ kind: 'call', fn, args, span: S })),
      ),
    }));
    fc.assert(
      fc.property(node, (ast) => {
        const text = printExpr(ast);
        expect(stripSpans(parseExpr(text, { limits: { maxDepth: 1000 } }))).toEqual(stripSpans(ast));
      }),
      { numRuns: 1500, seed: 11 },
    );
  });

  it('throws nothing but EXPR_* errors on random input', () => {
    const pieces = ['(', ')', 'a', 'plan', '1', '2h', '1e', '+', '-', '*', 'not', 'in', '[', ']', '"gold"', ',', '?', ':', '.', ' ', '==', '<', '!', 'and', "'", '\\', '=', '&', 'x0', 'min(', 'flag', '"\\u12"', '0.5', '//', '\n'];
    const garbage = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((a) => a.join('')),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    fc.assert(
      fc.property(garbage, (src) => {
        for (const run of [() => parseExpr(src), () => compileExpr(src, ENV)]) {
          try {
            run();
          } catch (e) {
            if (!(e instanceof NextbestError) || !/^EXPR_(PARSE|TYPE|NAME|LIMIT)$/.test(e.code)) throw e;
            expect(typeof e.details?.line).toBe('number');
            expect(typeof e.details?.column).toBe('number');
          }
        }
      }),
      { numRuns: 3000, seed: 3 },
    );
  });

  it('keeps the call stack bounded on deep input', () => {
    for (const src of ['('.repeat(5000) + 'x' + ')'.repeat(5000), '-'.repeat(20000) + 'x', 'not '.repeat(5000) + 'flag', 'x' + ' + x'.repeat(3000)]) {
      try {
        parseExpr(src);
        throw new Error('parsed');
      } catch (e) {
        expect((e as NextbestError).code, src.slice(0, 10)).toBe('EXPR_LIMIT');
      }
    }
  });
});
