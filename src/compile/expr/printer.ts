/**
 * Canonical form of a syntax tree: minimal parentheses, `and`/`or`/`not`
 * spelled as words, double-quoted strings. parseExpr(printExpr(ast)) gives
 * back the same tree (positions aside).
 */
import { IDENT_PATTERN, KEYWORDS, type Ast } from './ast.js';

const PREC = { cond: 1, or: 2, and: 3, not: 4, compare: 5, additive: 6, multiplicative: 7, unary: 8, primary: 9 } as const;

function precedence(node: Ast): number {
  switch (node.kind) {
    case 'cond':
      return PREC.cond;
    case 'binary':
      switch (node.op) {
        case 'or':
          return PREC.or;
        case 'and':
          return PREC.and;
        case '+':
        case '-':
          return PREC.additive;
        case '*':
        case '/':
        case '%':
          return PREC.multiplicative;
        default:
          return PREC.compare;
      }
    case 'in':
      return PREC.compare;
    case 'unary':
      return node.op === 'not' ? PREC.not : PREC.unary;
    default:
      return PREC.primary;
  }
}

export function formatNumber(v: number): string {
  return Object.is(v, -0) ? '0' : String(v);
}

function formatSegment(seg: string): string {
  if (IDENT_PATTERN.test(seg)) return `.${seg}`;
  if (/^(0|[1-9]\d{0,8})$/.test(seg)) return `[${seg}]`;
  return `[${JSON.stringify(seg)}]`;
}

export function formatPath(path: readonly string[]): string {
  const [first, ...rest] = path;
  const head = first !== undefined && IDENT_PATTERN.test(first) && !KEYWORDS.has(first) ? first : `<invalid name ${JSON.stringify(first)}>`;
  return head + rest.map(formatSegment).join('');
}

function print(node: Ast, min: number): string {
  const text = printNode(node);
  return precedence(node) < min ? `(${text})` : text;
}

function printNode(node: Ast): string {
  switch (node.kind) {
    case 'number':
      return formatNumber(node.value);
    case 'duration':
      return `${formatNumber(node.amount)}${node.unit}`;
    case 'string':
      return JSON.stringify(node.value);
    case 'bool':
      return node.value ? 'true' : 'false';
    case 'missing':
      return 'missing';
    case 'name':
      return formatPath(node.path);
    case 'unary':
      return node.op === 'not' ? `not ${print(node.operand, PREC.not)}` : `-${print(node.operand, PREC.unary)}`;
    case 'binary': {
      const p = precedence(node);
      if (p === PREC.compare) return `${print(node.left, PREC.additive)} ${node.op} ${print(node.right, PREC.additive)}`;
      return `${print(node.left, p)} ${node.op} ${print(node.right, p + 1)}`;
    }
    case 'in':
      return `${print(node.value, PREC.additive)} ${node.negated ? 'not in' : 'in'} [${node.list.map((e) => print(e, PREC.cond)).join(', ')}]`;
    case 'cond':
      return `${print(node.test, PREC.or)} ? ${print(node.then, PREC.cond)} : ${print(node.else, PREC.cond)}`;
    case 'call':
      return `${node.fn}(${node.args.map((a) => print(a, PREC.cond)).join(', ')})`;
  }
}

/** The canonical source text of a tree. */
export function printExpr(ast: Ast): string {
  return print(ast, PREC.cond);
}
