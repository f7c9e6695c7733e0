/**
 * Recursive-descent parser. Precedence, lowest first (docs/expressions.md):
 *   c ? a : b      right-associative
 *   or  ||
 *   and &&
 *   not !          prefix, binds looser than comparisons: `not x > 3` is `not (x > 3)`
 *   == != < <= > >= in, not in     non-associative: `a < b < c` is an error
 *   + -
 *   * / %
 *   -              prefix
 *   literals, names (a.b[2]), calls f(x), ( ... )
 * Nesting is bounded by limits.maxDepth (EXPR_LIMIT), so no input can
 * exhaust the JavaScript stack.
 */
import { DEFAULT_LIMITS, exprLimitDetails, exprLimitHint, KEYWORDS, type Ast, type BinaryOp, type ExprLimits, type ExprOrigin, type Span } from './ast.js';
import { exprError, type ExprErrorCode } from './diagnostics.js';
import { tokenize, type Token } from './lexer.js';
import { checkOrigin, resolveLimits } from './limits.js';

export interface ParseOptions {
  origin?: ExprOrigin;
  limits?: Partial<ExprLimits>;
}

const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);

function describeToken(t: Token): string {
  if (t.type === 'eof') return 'the end of the expression';
  if (t.type === 'string') return `the string ${t.text.length > 30 ? t.text.slice(0, 27) + '...' : t.text}`;
  return `\`${t.text}\``;
}

class Parser {
  private pos = 0;
  private nesting = 0;
  private readonly depth = new WeakMap<Ast, number>();

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
    private readonly limits: ExprLimits,
    private readonly origin: ExprOrigin | undefined,
  ) {}

  private error(code: ExprErrorCode, msg: string, span: Span, extra?: Record<string, unknown>): never {
    throw exprError(code, msg, this.source, span, this.origin, extra);
  }

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.pos + k, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  private isOp(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'op' && t.text === text;
  }

  private isWord(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'ident' && t.text === text;
  }

  private expectOp(text: string, context: string): Token {
    const t = this.peek();
    if (t.type === 'op' && t.text === text) return this.next();
    return this.error('EXPR_PARSE', `expected \`${text}\` ${context}, found ${describeToken(t)}`, t.span);
  }

  /** Records the node's depth and enforces maxDepth. */
  private mk<T extends Ast>(node: T, ...children: Ast[]): T {
    let d = 0;
    for (const c of children) d = Math.max(d, this.depth.get(c) ?? 1);
    d += 1;
    if (d > this.limits.maxDepth) this.tooDeep(node.span);
    this.depth.set(node, d);
    return node;
  }

  private tooDeep(span: Span): never {
    return this.error(
      'EXPR_LIMIT',
      `the expression is nested more than ${this.limits.maxDepth} levels deep; split it or raise limits.maxDepth${exprLimitHint('maxDepth')}`,
      span,
      exprLimitDetails('maxDepth'),
    );
  }

  private enter(span: Span): void {
    if (++this.nesting > this.limits.maxDepth) this.tooDeep(span);
  }

  private leave(): void {
    this.nesting--;
  }

  parseTop(): Ast {
    if (this.peek().type === 'eof') {
      this.error('EXPR_PARSE', 'the expression is empty', { start: 0, end: Math.max(1, this.source.length) });
    }
    const e = this.parseCond();
    const t = this.peek();
    if (t.type !== 'eof') {
      const hint = t.type === 'op' && t.text === ')' ? ' (unbalanced parentheses?)' : '; is an operator (and, or, +, ==, ...) missing before it?';
      this.error('EXPR_PARSE', `unexpected ${describeToken(t)} after a complete expression${hint}`, t.span);
    }
    return e;
  }

  private parseCond(): Ast {
    const test = this.parseOr();
    if (!this.isOp('?')) return test;
    const q = this.next();
    this.enter(q.span);
    const then = this.parseCond();
    this.expectOp(':', 'in `condition ? a : b`');
    const otherwise = this.parseCond();
    this.leave();
    return this.mk({ kind: 'cond', test, then, else: otherwise, span: { start: test.span.start, end: otherwise.span.end } }, test, then, otherwise);
  }

  private parseOr(): Ast {
    let left = this.parseAnd();
    while (this.isWord('or') || this.isOp('||')) {
      this.next();
      const right = this.parseAnd();
      left = this.binary('or', left, right);
    }
    return left;
  }

  private parseAnd(): Ast {
    let left = this.parseNot();
    while (this.isWord('and') || this.isOp('&&')) {
      this.next();
      const right = this.parseNot();
      left = this.binary('and', left, right);
    }
    return left;
  }

  private binary(op: BinaryOp, left: Ast, right: Ast): Ast {
    return this.mk({ kind: 'binary', op, left, right, span: { start: left.span.start, end: right.span.end } }, left, right);
  }

  private parseNot(): Ast {
    if ((this.isWord('not') && !this.isWord('in', 1)) || this.isOp('!')) {
      const t = this.next();
      this.enter(t.span);
      const operand = this.parseNot();
      this.leave();
      return this.mk({ kind: 'unary', op: 'not', operand, span: { start: t.span.start, end: operand.span.end } }, operand);
    }
    return this.parseComparison();
  }

  private parseComparison(): Ast {
    const left = this.parseAdditive();
    const t = this.peek();
    let node: Ast;
    if (t.type === 'op' && COMPARE_OPS.has(t.text)) {
      this.next();
      const right = this.parseAdditive();
      node = this.binary(t.text as BinaryOp, left, right);
    } else if (this.isWord('in') || (this.isWord('not') && this.isWord('in', 1))) {
      const negated = this.isWord('not');
      this.next();
      if (negated) this.next();
      const { list, end } = this.parseList();
      node = this.mk({ kind: 'in', negated, value: left, list, span: { start: left.span.start, end } }, left, ...list);
    } else {
      return left;
    }
    const u = this.peek();
    if ((u.type === 'op' && COMPARE_OPS.has(u.text)) || this.isWord('in') || (this.isWord('not') && this.isWord('in', 1))) {
      this.error('EXPR_PARSE', `comparisons do not chain: write \`a < b and b < c\`, or add parentheses`, u.span);
    }
    return node;
  }

  private parseList(): { list: Ast[]; end: number } {
    const open = this.peek();
    if (!(open.type === 'op' && open.text === '[')) {
      this.error('EXPR_PARSE', `expected a list \`[a, b, ...]\` after \`in\`, found ${describeToken(open)}`, open.span);
    }
    this.next();
    this.enter(open.span);
    const list: Ast[] = [];
    while (!this.isOp(']')) {
      if (list.length >= this.limits.maxListLength) {
        this.error('EXPR_LIMIT', `the list has more than ${this.limits.maxListLength} elements; raise limits.maxListLength${exprLimitHint('maxListLength')}`, this.peek().span, exprLimitDetails('maxListLength'));
      }
      list.push(this.parseCond());
      if (this.isOp(',')) {
        this.next();
        continue;
      }
      if (!this.isOp(']')) {
        const t = this.peek();
        this.error('EXPR_PARSE', `expected \`,\` or \`]\` in the list, found ${describeToken(t)}`, t.span);
      }
    }
    const close = this.next();
    this.leave();
    return { list, end: close.span.end };
  }

  private parseAdditive(): Ast {
    let left = this.parseMultiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next().text as BinaryOp;
      const right = this.parseMultiplicative();
      left = this.binary(op, left, right);
    }
    return left;
  }

  private parseMultiplicative(): Ast {
    let left = this.parseUnary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.next().text as BinaryOp;
      const right = this.parseUnary();
      left = this.binary(op, left, right);
    }
    return left;
  }

  private parseUnary(): Ast {
    if (this.isOp('-')) {
      const t = this.next();
      this.enter(t.span);
      const operand = this.parseUnary();
      this.leave();
      return this.mk({ kind: 'unary', op: '-', operand, span: { start: t.span.start, end: operand.span.end } }, operand);
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Ast {
    const t = this.peek();
    switch (t.type) {
      case 'number':
        this.next();
        return this.mk({ kind: 'number', value: t.value, span: t.span });
      case 'duration':
        this.next();
        return this.mk({ kind: 'duration', amount: t.amount, unit: t.unit, span: t.span });
      case 'string':
        this.next();
        return this.mk({ kind: 'string', value: t.value, span: t.span });
      case 'ident':
        return this.parseWord(t);
      case 'op':
        if (t.text === '(') {
          this.next();
          this.enter(t.span);
          const e = this.parseCond();
          this.expectOp(')', 'to close the parenthesis');
          this.leave();
          return e;
        }
        if (t.text === '!') {
          return this.error('EXPR_PARSE', '`!` needs parentheses here: write `(!x)`, or put the comparison inside: `!(a == b)`', t.span);
        }
        if (t.text === '+') return this.error('EXPR_PARSE', 'unary `+` is not supported; remove it', t.span);
        return this.error('EXPR_PARSE', `expected a value (number, name, string, call or parenthesis), found ${describeToken(t)}`, t.span);
      case 'eof':
        return this.error('EXPR_PARSE', 'the expression ends too early: expected a value', t.span);
    }
  }

  private parseWord(t: Token & { type: 'ident' }): Ast {
    const word = t.text;
    if (word === 'true' || word === 'false') {
      this.next();
      return this.mk({ kind: 'bool', value: word === 'true', span: t.span });
    }
    if (word === 'missing') {
      this.next();
      return this.mk({ kind: 'missing', span: t.span });
    }
    if (word === 'not') {
      return this.error('EXPR_PARSE', '`not` needs parentheses here: write `(not x)`', t.span);
    }
    if (KEYWORDS.has(word)) {
      return this.error('EXPR_PARSE', `expected a value, found the keyword \`${word}\``, t.span);
    }
    this.next();
    if (this.isOp('(')) return this.parseCall(t);
    const path = [word];
    let end = t.span.end;
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const seg = this.peek();
        if (seg.type !== 'ident') {
          this.error('EXPR_PARSE', `expected a name after \`.\`, found ${describeToken(seg)}`, seg.span);
        }
        this.next();
        path.push(seg.text);
        end = seg.span.end;
      } else if (this.isOp('[')) {
        const open = this.next();
        const idx = this.peek();
        if (idx.type === 'number' && /^\d{1,9}$/.test(idx.text)) {
          path.push(String(idx.value));
        } else if (idx.type === 'string') {
          path.push(idx.value);
        } else {
          this.error('EXPR_PARSE', `an index must be a constant: a non-negative integer or a string, found ${describeToken(idx)}`, idx.span.start === idx.span.end ? open.span : idx.span);
        }
        this.next();
        end = this.expectOp(']', 'to close the index').span.end;
      } else {
        break;
      }
    }
    return this.mk({ kind: 'name', path, span: { start: t.span.start, end } });
  }

  private parseCall(name: Token): Ast {
    const open = this.next();
    this.enter(open.span);
    const args: Ast[] = [];
    if (!this.isOp(')')) {
      for (;;) {
        args.push(this.parseCond());
        if (this.isOp(',')) {
          this.next();
          continue;
        }
        break;
      }
    }
    const close = this.expectOp(')', `to close the call of ${name.text}(...)`);
    this.leave();
    return this.mk({ kind: 'call', fn: name.text, args, span: { start: name.span.start, end: close.span.end } }, ...args);
  }
}

/** Parses an expression into its syntax tree; throws NextbestError EXPR_PARSE or EXPR_LIMIT. */
export function parseExpr(source: string, opts?: ParseOptions): Ast {
  const limits = resolveLimits(opts?.limits);
  checkOrigin(opts?.origin);
  if (typeof source !== 'string') {
    throw exprError('EXPR_PARSE', `an expression must be a string, got ${source === null ? 'null' : typeof source}`, '', { start: 0, end: 0 }, opts?.origin);
  }
  if (source.length > limits.maxSourceLength) {
    throw exprError(
      'EXPR_LIMIT',
      `the expression has ${source.length} characters, more than limits.maxSourceLength (${limits.maxSourceLength})${exprLimitHint('maxSourceLength')}`,
      source,
      { start: limits.maxSourceLength, end: source.length },
      opts?.origin,
      exprLimitDetails('maxSourceLength'),
    );
  }
  const tokens = tokenize(source, opts?.origin);
  return new Parser(source, tokens, limits, opts?.origin).parseTop();
}

export { DEFAULT_LIMITS };
