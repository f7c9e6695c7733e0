/**
 * The expression language's syntax tree and the types shared by every stage
 * (lexer -> parser -> checker -> bytecode). The language reference is
 * docs/expressions.md.
 *
 * Invariants the parser guarantees and printExpr relies on:
 * - number literals are finite and >= 0 (a leading minus is a unary node);
 * - a name's first segment is an identifier that is not a keyword;
 * - `!`, `&&`, `||` are stored as `not`, `and`, `or`.
 */

import { DEFAULT_LIMITS as ENGINE_DEFAULT_LIMITS, LIMIT_CEILINGS, type LimitName, type Limits } from '../../limits.js';

/** Half-open character range [start, end) in the expression source. */
export interface Span {
  start: number;
  end: number;
}

export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w';

/** Milliseconds per duration unit. */
export const DURATION_MS: Record<DurationUnit, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export type ArithOp = '+' | '-' | '*' | '/' | '%';
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicOp = 'and' | 'or';
export type BinaryOp = ArithOp | CompareOp | LogicOp;

export type Ast =
  | { kind: 'number'; value: number; span: Span }
  | { kind: 'duration'; amount: number; unit: DurationUnit; span: Span }
  | { kind: 'string'; value: string; span: Span }
  | { kind: 'bool'; value: boolean; span: Span }
  | { kind: 'missing'; span: Span }
  | { kind: 'name'; path: string[]; span: Span }
  | { kind: 'unary'; op: '-' | 'not'; operand: Ast; span: Span }
  | { kind: 'binary'; op: BinaryOp; left: Ast; right: Ast; span: Span }
  | { kind: 'in'; negated: boolean; value: Ast; list: Ast[]; span: Span }
  | { kind: 'cond'; test: Ast; then: Ast; else: Ast; span: Span }
  | { kind: 'call'; fn: string; args: Ast[]; span: Span };

/** Words that cannot start a name. */
export const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'missing']);

export const IDENT_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The static type of an expression. A category is a code into a named dictionary. */
export type ExprType =
  | { kind: 'number' }
  | { kind: 'bool' }
  | { kind: 'category'; dict: string; values: readonly string[] }
  | { kind: 'string' };

/** Where a name's value lives at run time. */
export type Binding =
  | { type: ExprType; source: 'frame'; slot: number } // f64 slot in the frame (context, scores, journey values, event attributes, ...)
  | { type: ExprType; source: 'features'; index: number } // f32 in the feature vector (schema order), widened to f64
  | { type: ExprType; source: 'const'; value: number }; // folded at compile time

export interface ExprEnv {
  /** Resolves a dotted path (['score', 'churn']) to a binding, or undefined if unknown. */
  resolve(path: readonly string[]): Binding | undefined;
  /** Names to suggest in EXPR_NAME errors. */
  names?(): Iterable<string>;
}

/**
 * Where the expression sits in its file, for error positions: the 1-based
 * line and column of the source's first character. `indent` is added to the
 * column of positions on the expression's second and later lines (a YAML
 * block scalar strips that many columns of indentation); default 0.
 */
export interface ExprOrigin {
  file?: string;
  line: number;
  column: number;
  indent?: number;
}

/** Size limits; every one is enforced with EXPR_LIMIT. */
export interface ExprLimits {
  /** Characters of source. */
  maxSourceLength: number;
  /** Nesting depth of the syntax tree (parentheses, operators, calls). */
  maxDepth: number;
  /** Words of bytecode in one program. */
  maxCodeWords: number;
  /** Constants in one program. */
  maxConsts: number;
  /** Elements of one `in [...]` list. */
  maxListLength: number;
  /** Operand stack depth of one program (at most VM_STACK_CAPACITY). */
  maxStack: number;
}

/** The engine-wide limits' expression part (src/limits.ts holds the numbers). */
export function exprLimitsOf(l: Readonly<Limits>): ExprLimits {
  return {
    maxSourceLength: l.exprSourceLength,
    maxDepth: l.exprDepth,
    maxCodeWords: l.exprCodeWords,
    maxConsts: l.exprConsts,
    maxListLength: l.exprListLength,
    maxStack: l.exprStack,
  };
}

/** The engine-wide limit (src/limits.ts) behind each expression limit. */
export const EXPR_LIMIT_NAMES: Readonly<Record<keyof ExprLimits, LimitName>> = Object.freeze({
  maxSourceLength: 'exprSourceLength',
  maxDepth: 'exprDepth',
  maxCodeWords: 'exprCodeWords',
  maxConsts: 'exprConsts',
  maxListLength: 'exprListLength',
  maxStack: 'exprStack',
});

/**
 * What EXPR_LIMIT says besides its message: `details.limit`, the engine-wide
 * limit to raise (the option of engines, pools and the spec compiler).
 */
export function exprLimitDetails(name: keyof ExprLimits): { limit: LimitName } {
  return { limit: EXPR_LIMIT_NAMES[name] };
}

/** The hint an EXPR_LIMIT message ends with. */
export function exprLimitHint(name: keyof ExprLimits): string {
  return ` (in engine, pool and spec compiler options: limits.${EXPR_LIMIT_NAMES[name]})`;
}

export const DEFAULT_LIMITS: Readonly<ExprLimits> = Object.freeze(exprLimitsOf(ENGINE_DEFAULT_LIMITS));

/** Operand stack entries the wasm VM reserves (assembly/decide/rules.ts STACK_CAPACITY). */
export const VM_STACK_CAPACITY = LIMIT_CEILINGS.exprStack;

export function typeName(t: ExprType): string {
  return t.kind === 'category' ? `category "${t.dict}"` : t.kind;
}

export function sameType(a: ExprType, b: ExprType): boolean {
  return a.kind === b.kind && (a.kind !== 'category' || a.dict === (b as { dict: string }).dict);
}

/** The syntax tree without positions, for comparing trees (round-trip tests, tooling). */
export function stripSpans(ast: Ast): unknown {
  return JSON.parse(JSON.stringify(ast, (k, v) => (k === 'span' ? undefined : v)));
}
