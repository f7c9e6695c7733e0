/**
 * Type checking and name resolution: syntax tree -> typed tree. Names become
 * loads (frame slot, feature) or constants; string literals become category
 * codes of the dictionary they are compared with; functions become unary and
 * binary operations (min/max/coalesce chains, clamp = min(max(x, lo), hi)).
 *
 * Typing rules (docs/expressions.md, "Types"):
 * - arithmetic, ordering comparisons and number functions take numbers;
 * - and / or / not and the test of `c ? a : b` take bools; bools are never
 *   used as numbers (write `b ? 1 : 0`);
 * - == and != take two numbers, two bools, or two categories of the same
 *   dictionary, where a string literal stands for the category it names;
 * - `x in [...]` takes a number with numbers, or a category with strings or
 *   categories of its dictionary;
 * - a comparison between a feature (f32) and a constant rounds the constant
 *   to f32, so `x == 0.1` holds for a feature given as 0.1.
 */
import { NextbestError } from '../../errors.js';
import { sameType, typeName, type Ast, type Binding, type ExprEnv, type ExprOrigin, type ExprType, type Span, DURATION_MS } from './ast.js';
import { exprError, nearMatches, quoteList, type ExprErrorCode } from './diagnostics.js';
import { formatPath } from './printer.js';
import type { BinaryFn, CompareFn, UnaryOp } from './semantics.js';

export const NUMBER: ExprType = Object.freeze({ kind: 'number' });
export const BOOL: ExprType = Object.freeze({ kind: 'bool' });

export type TNode =
  | { t: 'const'; type: ExprType; value: number; span: Span }
  | { t: 'slot'; type: ExprType; slot: number; span: Span }
  | { t: 'feature'; type: ExprType; index: number; span: Span }
  | { t: 'unary'; type: ExprType; op: UnaryOp; arg: TNode; span: Span }
  /** f32: one side is a feature and the other is constant: the constant side is rounded to f32. */
  | { t: 'binary'; type: ExprType; op: BinaryFn; left: TNode; right: TNode; f32: boolean; span: Span }
  | { t: 'logic'; type: ExprType; op: 'and' | 'or'; left: TNode; right: TNode; span: Span }
  /** f32: the value is a feature: constant elements are rounded to f32. */
  | { t: 'in'; type: ExprType; negated: boolean; value: TNode; list: TNode[]; f32: boolean; span: Span }
  | { t: 'cond'; type: ExprType; test: TNode; then: TNode; else: TNode; span: Span };

/** During checking: a string literal not yet resolved against a dictionary, or the `missing` literal. */
type Pending = { t: 'string'; value: string; span: Span } | { t: 'missingLiteral'; span: Span };
type Checked = TNode | Pending;

// Tables keyed by names from the source have no prototype: `constructor(x)` or `toString` must not find Object's members.
const UNARY_FNS: Record<string, UnaryOp> = Object.assign(Object.create(null) as Record<string, UnaryOp>, {
  abs: 'abs',
  sign: 'sign',
  floor: 'floor',
  ceil: 'ceil',
  trunc: 'trunc',
  round: 'round',
  sqrt: 'sqrt',
  exp: 'exp',
  log: 'log',
  log10: 'log10',
  sigmoid: 'sigmoid',
  hourOfDay: 'hourOfDay',
  dayOfWeek: 'dayOfWeek',
});

/** Every function name, with its arity for messages. */
export const FUNCTIONS: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  ...Object.fromEntries(Object.keys(UNARY_FNS).map((f) => [f, `${f}(x)`])),
  min: 'min(x, y, ...)',
  max: 'max(x, y, ...)',
  pow: 'pow(x, y)',
  clamp: 'clamp(x, lo, hi)',
  isMissing: 'isMissing(x)',
  coalesce: 'coalesce(x, y, ...)',
});

const COMPARE: Record<string, CompareFn> = { '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };
const ARITH: Record<string, BinaryFn> = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod' };
const MISSING_WORDS = new Set(['null', 'nil', 'undefined', 'None', 'NaN', 'nan']);

/** True when the subtree reads nothing at run time. */
export function isConstant(n: TNode): boolean {
  switch (n.t) {
    case 'const':
      return true;
    case 'slot':
    case 'feature':
      return false;
    case 'unary':
      return isConstant(n.arg);
    case 'binary':
    case 'logic':
      return isConstant(n.left) && isConstant(n.right);
    case 'in':
      return isConstant(n.value) && n.list.every(isConstant);
    case 'cond':
      return isConstant(n.test) && isConstant(n.then) && isConstant(n.else);
  }
}

function validBinding(b: unknown, path: readonly string[]): Binding {
  const fail = (why: string): never => {
    throw new NextbestError('ARGUMENT_INVALID', `the environment resolved "${formatPath(path)}" to an invalid binding: ${why}`);
  };
  if (b === null || typeof b !== 'object') fail('not an object');
  const o = b as Record<string, unknown>;
  const type = o.type as ExprType | undefined;
  if (!type || typeof type !== 'object') fail('no type');
  if (type!.kind === 'category') {
    if (typeof type!.dict !== 'string' || !Array.isArray(type!.values)) fail('a category type needs dict and values');
  } else if (type!.kind !== 'number' && type!.kind !== 'bool') {
    fail(`type kind must be number, bool or category, got ${JSON.stringify(type!.kind)}`);
  }
  if (o.source === 'frame') {
    if (!Number.isInteger(o.slot) || (o.slot as number) < 0 || (o.slot as number) >= 2 ** 28) fail('slot must be a non-negative integer');
  } else if (o.source === 'features') {
    if (!Number.isInteger(o.index) || (o.index as number) < 0 || (o.index as number) >= 2 ** 28) fail('index must be a non-negative integer');
  } else if (o.source === 'const') {
    if (typeof o.value !== 'number') fail('value must be a number');
  } else {
    fail(`source must be frame, features or const, got ${JSON.stringify(o.source)}`);
  }
  return b as Binding;
}

export class Checker {
  constructor(
    private readonly source: string,
    private readonly env: ExprEnv,
    private readonly origin?: ExprOrigin,
  ) {}

  private error(code: ExprErrorCode, msg: string, span: Span, extra?: Record<string, unknown>): never {
    throw exprError(code, msg, this.source, span, this.origin, extra);
  }

  /** Checks the whole expression; `expect` constrains the result kind. */
  check(ast: Ast, expect?: ExprType['kind']): TNode {
    const n = this.value(this.infer(ast), 'the expression');
    if (expect !== undefined && n.type.kind !== expect) {
      const hint =
        expect === 'bool' && n.type.kind === 'number'
          ? '; compare it, e.g. `x > 0`'
          : expect === 'number' && n.type.kind === 'bool'
            ? '; write `c ? 1 : 0` for a number'
            : '';
      this.error('EXPR_TYPE', `this expression must be a ${expect}, but it is a ${typeName(n.type)}${hint}`, ast.span, {
        expected: expect,
        actual: n.type.kind,
      });
    }
    return n;
  }

  /** A node that must stand on its own (not a string or a bare `missing` needing context). */
  private value(c: Checked, what: string): TNode {
    if (c.t === 'string') {
      this.error(
        'EXPR_TYPE',
        `a string is only meaningful compared with a category (e.g. \`plan == "premium"\`); it cannot be ${what}`,
        c.span,
      );
    }
    if (c.t === 'missingLiteral') return { t: 'const', type: NUMBER, value: NaN, span: c.span };
    return c;
  }

  private number(c: Checked, role: string): TNode {
    const n = this.value(c, role);
    if (n.type.kind === 'number') return n;
    if (n.type.kind === 'bool') this.error('EXPR_TYPE', `${role} must be a number, but it is a bool; write \`(b ? 1 : 0)\` to use a condition as a number`, n.span);
    return this.error('EXPR_TYPE', `${role} must be a number, but it is a ${typeName(n.type)}: a category is a code, not a quantity; compare it with == or in`, n.span);
  }

  private bool(c: Checked, role: string): TNode {
    const n = this.value(c, role);
    if (n.type.kind === 'bool') return n;
    const hint = n.type.kind === 'number' ? '; compare it, e.g. `x > 0`, or test `isMissing(x)`' : '; compare it, e.g. `x == "value"`';
    return this.error('EXPR_TYPE', `${role} must be a bool (a condition), but it is a ${typeName(n.type)}${hint}`, n.span);
  }

  /** Resolves a string literal against a category type. */
  private resolveString(s: { value: string; span: Span }, type: ExprType & { kind: 'category' }): TNode {
    const code = type.values.indexOf(s.value);
    if (code < 0) {
      const near = nearMatches(s.value, type.values);
      this.error(
        'EXPR_TYPE',
        `${JSON.stringify(s.value)} is not a value of category "${type.dict}"${near.length ? `; did you mean ${quoteList(near)}?` : ''} Known values: ${type.values.length ? quoteList(type.values) : '(none: the dictionary is empty)'}`,
        s.span,
        { dict: type.dict, values: type.values.slice(0, 100) },
      );
    }
    return { t: 'const', type, value: code, span: s.span };
  }

  /** Brings two operands to one type (== != coalesce, the branches of ?:); `what` names the construct. */
  private unify(a: Checked, b: Checked, what: string, span: Span): [TNode, TNode] {
    if (a.t === 'string' && b.t === 'string') {
      this.error('EXPR_TYPE', `${what} of two strings: strings are only meaningful compared with a category`, span);
    }
    if (a.t === 'string') {
      const bn = this.value(b, what);
      if (bn.type.kind !== 'category') this.stringMismatch(a, bn);
      return [this.resolveString(a, bn.type as ExprType & { kind: 'category' }), bn];
    }
    if (b.t === 'string') {
      const [bn, an] = this.unify(b, a, what, span);
      return [an, bn];
    }
    if (a.t === 'missingLiteral' && b.t === 'missingLiteral') {
      return [this.value(a, what), this.value(b, what)];
    }
    if (a.t === 'missingLiteral' || b.t === 'missingLiteral') {
      const other = this.value(a.t === 'missingLiteral' ? b : a, what);
      if (other.type.kind === 'bool') this.error('EXPR_TYPE', `${what}: bools are never missing, so \`missing\` cannot stand for a bool`, span);
      const m: TNode = { t: 'const', type: other.type, value: NaN, span: (a.t === 'missingLiteral' ? a : b).span };
      return a.t === 'missingLiteral' ? [m, other] : [other, m];
    }
    if (!sameType(a.type, b.type)) {
      this.error('EXPR_TYPE', `${what} of a ${typeName(a.type)} and a ${typeName(b.type)}: both sides must have the same type`, span, {
        left: a.type.kind,
        right: b.type.kind,
      });
    }
    return [a, b];
  }

  private stringMismatch(s: { value: string; span: Span }, other: TNode): never {
    return this.error(
      'EXPR_TYPE',
      `${JSON.stringify(s.value)} is compared with a ${typeName(other.type)}; strings are only meaningful against a category`,
      s.span,
    );
  }

  private infer(ast: Ast): Checked {
    switch (ast.kind) {
      case 'number':
        return { t: 'const', type: NUMBER, value: ast.value, span: ast.span };
      case 'duration':
        return { t: 'const', type: NUMBER, value: ast.amount * DURATION_MS[ast.unit], span: ast.span };
      case 'bool':
        return { t: 'const', type: BOOL, value: ast.value ? 1 : 0, span: ast.span };
      case 'string':
        return { t: 'string', value: ast.value, span: ast.span };
      case 'missing':
        return { t: 'missingLiteral', span: ast.span };
      case 'name':
        return this.name(ast.path, ast.span);
      case 'unary': {
        if (ast.op === 'not') {
          const arg = this.bool(this.infer(ast.operand), 'the operand of `not`');
          return { t: 'unary', type: BOOL, op: 'not', arg, span: ast.span };
        }
        const arg = this.number(this.infer(ast.operand), 'the operand of unary `-`');
        return { t: 'unary', type: NUMBER, op: 'neg', arg, span: ast.span };
      }
      case 'binary':
        return this.binary(ast as Ast & { kind: 'binary' });
      case 'in':
        return this.membership(ast as Ast & { kind: 'in' });
      case 'cond': {
        const test = this.bool(this.infer(ast.test), 'the condition of `? :`');
        const [then, otherwise] = this.unify(this.infer(ast.then), this.infer(ast.else), 'the branches of `? :`', ast.span);
        return { t: 'cond', type: then.type, test, then, else: otherwise, span: ast.span };
      }
      case 'call':
        return this.call(ast as Ast & { kind: 'call' });
    }
  }

  private name(path: string[], span: Span): Checked {
    const found = this.env.resolve(path);
    if (found === undefined || found === null) {
      const text = formatPath(path);
      if (path.length === 1 && MISSING_WORDS.has(path[0]!)) {
        this.error('EXPR_NAME', `unknown name \`${text}\`: the missing value is written \`missing\`, and tested with \`isMissing(x)\``, span, { name: text });
      }
      const candidates = this.env.names ? [...this.env.names()] : [];
      const near = nearMatches(text, candidates);
      const fnHint = FUNCTIONS[text] ? ` (\`${text}\` is a function: call it, e.g. ${FUNCTIONS[text]})` : '';
      this.error(
        'EXPR_NAME',
        `unknown name \`${text}\`${fnHint}${near.length ? `; did you mean ${near.map((s) => `\`${s}\``).join(', ')}?` : ''}`,
        span,
        { name: text, suggestions: near },
      );
    }
    const b = validBinding(found, path);
    if (b.source === 'const') {
      const v = b.type.kind === 'bool' ? (b.value > 0 || b.value < 0 ? 1 : 0) : b.value;
      return { t: 'const', type: b.type, value: v, span };
    }
    if (b.source === 'frame') return { t: 'slot', type: b.type, slot: b.slot, span };
    return { t: 'feature', type: b.type, index: b.index, span };
  }

  private binary(ast: Ast & { kind: 'binary' }): TNode {
    const { op, span } = ast;
    if (op === 'and' || op === 'or') {
      const left = this.bool(this.infer(ast.left), `the left operand of \`${op}\``);
      const right = this.bool(this.infer(ast.right), `the right operand of \`${op}\``);
      return { t: 'logic', type: BOOL, op, left, right, span };
    }
    if (ARITH[op]) {
      const left = this.number(this.infer(ast.left), `the left operand of \`${op}\``);
      const right = this.number(this.infer(ast.right), `the right operand of \`${op}\``);
      return { t: 'binary', type: NUMBER, op: ARITH[op]!, left, right, f32: false, span };
    }
    const fn = COMPARE[op]!;
    const l = this.infer(ast.left);
    const r = this.infer(ast.right);
    for (const side of [l, r]) {
      if (side.t === 'missingLiteral') {
        this.error('EXPR_TYPE', `a comparison with \`missing\` is always false; test \`isMissing(x)\` instead`, side.span);
      }
    }
    let left: TNode;
    let right: TNode;
    if (op === '==' || op === '!=') {
      [left, right] = this.unify(l, r, `\`${op}\``, span);
    } else {
      left = this.ordered(l, op);
      right = this.ordered(r, op);
    }
    return { t: 'binary', type: BOOL, op: fn, left, right, f32: featureVsConstant(left, right), span };
  }

  private ordered(c: Checked, op: string): TNode {
    const n = this.value(c, `an operand of \`${op}\``);
    if (n.type.kind === 'category') {
      this.error('EXPR_TYPE', `categories have no order: \`${op}\` needs numbers; compare a category with == or in`, n.span);
    }
    return this.number(n, `an operand of \`${op}\``);
  }

  private membership(ast: Ast & { kind: 'in' }): TNode {
    const what = ast.negated ? '`not in`' : '`in`';
    const raw = this.infer(ast.value);
    if (raw.t === 'missingLiteral') this.error('EXPR_TYPE', `\`missing\` is never in a list; test \`isMissing(x)\` instead`, raw.span);
    const value = this.value(raw, `the left side of ${what}`);
    if (value.type.kind === 'bool') this.error('EXPR_TYPE', `the left side of ${what} must be a number or a category, not a bool`, value.span);
    const list = ast.list.map((e) => {
      const c = this.infer(e);
      if (c.t === 'missingLiteral') this.error('EXPR_TYPE', `\`missing\` never matches in a list; test \`isMissing(x)\` instead`, c.span);
      if (c.t === 'string') {
        if (value.type.kind !== 'category') this.stringMismatch(c, value);
        return this.resolveString(c, value.type as ExprType & { kind: 'category' });
      }
      if (!sameType(c.type, value.type)) {
        this.error('EXPR_TYPE', `a list element is a ${typeName(c.type)} but the left side of ${what} is a ${typeName(value.type)}`, c.span);
      }
      return c;
    });
    return { t: 'in', type: BOOL, negated: ast.negated, value, list, f32: value.t === 'feature', span: ast.span };
  }

  private call(ast: Ast & { kind: 'call' }): TNode {
    const { fn, args, span } = ast;
    const arity = (min: number, max: number) => {
      if (args.length < min || args.length > max) {
        const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
        this.error('EXPR_TYPE', `${fn} takes ${want} argument${min === 1 && max === 1 ? '' : 's'} (${FUNCTIONS[fn]}), got ${args.length}`, span);
      }
    };
    const unary = UNARY_FNS[fn];
    if (unary) {
      arity(1, 1);
      return { t: 'unary', type: NUMBER, op: unary, arg: this.number(this.infer(args[0]!), `the argument of ${fn}`), span };
    }
    switch (fn) {
      case 'min':
      case 'max': {
        arity(1, Infinity);
        const xs = args.map((a, i) => this.number(this.infer(a), `argument ${i + 1} of ${fn}`));
        return xs.reduce((acc, x) => ({ t: 'binary', type: NUMBER, op: fn, left: acc, right: x, f32: false, span }));
      }
      case 'pow': {
        arity(2, 2);
        const [x, y] = args.map((a, i) => this.number(this.infer(a), `argument ${i + 1} of pow`));
        return { t: 'binary', type: NUMBER, op: 'pow', left: x!, right: y!, f32: false, span };
      }
      case 'clamp': {
        arity(3, 3);
        const [x, lo, hi] = args.map((a, i) => this.number(this.infer(a), `argument ${i + 1} of clamp`));
        const inner: TNode = { t: 'binary', type: NUMBER, op: 'max', left: x!, right: lo!, f32: false, span };
        return { t: 'binary', type: NUMBER, op: 'min', left: inner, right: hi!, f32: false, span };
      }
      case 'isMissing': {
        arity(1, 1);
        const c = this.infer(args[0]!);
        if (c.t === 'missingLiteral') return { t: 'const', type: BOOL, value: 1, span };
        const x = this.value(c, 'the argument of isMissing');
        if (x.type.kind === 'bool') this.error('EXPR_TYPE', 'isMissing takes a number or a category; bools are never missing (a missing bool reads as false)', x.span);
        return { t: 'unary', type: BOOL, op: 'isMissing', arg: x, span };
      }
      case 'coalesce': {
        arity(2, Infinity);
        const parts = args.map((a) => this.infer(a));
        // The type comes from the first argument that fixes one (not a string or `missing`).
        const anchor = parts.find((p) => p.t !== 'string' && p.t !== 'missingLiteral') as TNode | undefined;
        if (!anchor) this.error('EXPR_TYPE', 'coalesce needs at least one argument that is a number or a category', span);
        if (anchor!.type.kind === 'bool') this.error('EXPR_TYPE', 'coalesce takes numbers or categories; bools are never missing', anchor!.span);
        const xs = parts.map((p) => this.unify(p, anchor!, 'coalesce', span)[0]);
        return xs.reduce((acc, x) => ({ t: 'binary', type: anchor!.type, op: 'coalesce', left: acc, right: x, f32: false, span }));
      }
    }
    const near = nearMatches(fn, Object.keys(FUNCTIONS));
    return this.error(
      'EXPR_NAME',
      `unknown function \`${fn}\`${near.length ? `; did you mean ${near.map((s) => `\`${s}\``).join(', ')}?` : ''} Functions: ${Object.keys(FUNCTIONS).join(', ')}`,
      { start: span.start, end: span.start + fn.length },
      { name: fn, suggestions: near },
    );
  }
}

/** A comparison between a feature load and a constant subtree (in either order). */
function featureVsConstant(a: TNode, b: TNode): boolean {
  return (a.t === 'feature' && isConstant(b)) || (b.t === 'feature' && isConstant(a));
}
