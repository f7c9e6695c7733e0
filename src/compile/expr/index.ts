/**
 * The expression language: source -> checked, folded bytecode for the rule VM
 * (assembly/decide/rules.ts). Journeys (step conditions, aggregate filters)
 * and decisions (eligibility, priorities, context weights) compile their
 * expressions here against an ExprEnv that says where each name lives.
 *
 *   const prog = compileExpr('tenure_months > 12 and plan in ["gold"]', env, { expect: 'bool' });
 *   const section = programsToBundle([prog, ...]);          // into the bundle
 *   const set = validatePrograms(section, { frameSlots, features });   // at load
 *   const ptrs = placePrograms(wasm, set);                  // into linear memory
 *
 * Reference: docs/expressions.md.
 */
import { NextbestError } from '../../errors.js';
import type { FeatureSchema } from '../../runtime/features.js';
import { exprLimitDetails, exprLimitHint, IDENT_PATTERN, KEYWORDS, type Ast, type Binding, type ExprEnv, type ExprLimits, type ExprOrigin, type ExprType } from './ast.js';
import { analyzeProgram, type ProgramCode } from './bytecode.js';
import { Checker, type TNode } from './checker.js';
import { CodeGen } from './codegen.js';
import { exprError } from './diagnostics.js';
import { fold } from './fold.js';
import { resolveLimits } from './limits.js';
import { parseExpr } from './parser.js';
import { formatPath } from './printer.js';

export * from './ast.js';
export { parseExpr, type ParseOptions } from './parser.js';
export { printExpr } from './printer.js';
export { FUNCTIONS, type TNode } from './checker.js';
export {
  analyzeProgram,
  placePrograms,
  programsToBundle,
  validatePrograms,
  disassemble,
  PROGRAM_HEADER_BYTES,
  type ProgramCode,
  type ProgramSet,
  type ValidProgram,
} from './bytecode.js';
export { OP, OPS } from './opcodes.js';

export interface CompiledExpr extends ProgramCode {
  source: string;
  type: ExprType;
  code: Int32Array;
  consts: Float64Array;
  maxStack: number;
  /** Frame slots and features the program reads, ascending. */
  slotsRead: number[];
  featuresRead: number[];
}

export interface CompileOptions {
  origin?: ExprOrigin;
  /** The result must be of this kind (EXPR_TYPE otherwise): 'bool' for conditions. */
  expect?: ExprType['kind'];
  limits?: Partial<ExprLimits>;
}

/** Bounds that accept any program: compileExpr checks its own output structurally. */
const UNBOUNDED = { frameSlots: 2 ** 28, features: 2 ** 28 };

/** Parses and type-checks `source` against `env`; the typed tree (for tooling and the AST evaluator). */
export function checkExpr(source: string, env: ExprEnv, opts?: CompileOptions): { ast: Ast; typed: TNode } {
  if (opts?.expect !== undefined && !['number', 'bool', 'category'].includes(opts.expect)) {
    throw new NextbestError('OPTION_INVALID', `expect must be "number", "bool" or "category", got ${JSON.stringify(opts.expect)}`);
  }
  if (env === null || typeof env !== 'object' || typeof env.resolve !== 'function') {
    throw new NextbestError('ARGUMENT_INVALID', 'compileExpr needs an environment with a resolve(path) method');
  }
  const ast = parseExpr(source, opts);
  const typed = withStackGuard(source, opts?.origin, () => new Checker(source, env, opts?.origin).check(ast, opts?.expect));
  return { ast, typed };
}

/** Compiles one expression to a program. Errors: EXPR_PARSE, EXPR_TYPE, EXPR_NAME, EXPR_LIMIT. */
export function compileExpr(source: string, env: ExprEnv, opts?: CompileOptions): CompiledExpr {
  const limits = resolveLimits(opts?.limits);
  const { typed } = checkExpr(source, env, opts);
  const whole = { start: 0, end: source.length };
  const { code, consts } = withStackGuard(source, opts?.origin, () => new CodeGen().program(fold(typed)));
  const tooBig = (msg: string, name: keyof ExprLimits) => exprError('EXPR_LIMIT', msg + exprLimitHint(name), source, whole, opts?.origin, exprLimitDetails(name));
  if (code.length > limits.maxCodeWords) {
    throw tooBig(`the expression compiles to ${code.length} words of bytecode, more than limits.maxCodeWords (${limits.maxCodeWords}); split it`, 'maxCodeWords');
  }
  if (consts.length > limits.maxConsts) {
    throw tooBig(`the expression needs ${consts.length} constants, more than limits.maxConsts (${limits.maxConsts})`, 'maxConsts');
  }
  const facts = analyzeProgram(code, consts, UNBOUNDED, `expression ${JSON.stringify(source.slice(0, 60))}`);
  if (facts.maxStack > limits.maxStack) {
    throw tooBig(`the expression needs an operand stack of ${facts.maxStack}, more than limits.maxStack (${limits.maxStack}); simplify it`, 'maxStack');
  }
  return { source, type: typed.type, code, consts, ...facts };
}

/** Deep recursion is bounded by limits.maxDepth; this turns a JavaScript stack overflow (a too-high limit) into EXPR_LIMIT too. */
function withStackGuard<T>(source: string, origin: ExprOrigin | undefined, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw exprError('EXPR_LIMIT', 'the expression is nested too deeply to compile; lower limits.maxDepth or simplify it', source, { start: 0, end: source.length }, origin);
    }
    throw e;
  }
}

/**
 * An environment from a map of printed paths to bindings:
 * { 'tenure_months': { type, source: 'features', index: 0 }, 'score.churn': {...}, 'score.nba[2]': {...} }.
 */
export function mapEnv(bindings: Readonly<Record<string, Binding>>): ExprEnv {
  const map = new Map(Object.entries(bindings));
  return {
    resolve: (path) => map.get(formatPath(path)),
    names: () => map.keys(),
  };
}

/**
 * Bindings for the features of a schema, by name (with an optional path
 * prefix such as 'features'): numeric features are numbers, categorical ones
 * with a dictionary are categories whose dictionary is named after the
 * feature, and categorical ones without a dictionary are numbers (their
 * codes). Spread it into mapEnv with the caller's own frame bindings.
 * Without a prefix, a feature whose name is not an identifier (or is a
 * keyword) cannot be written in an expression and is left out; with one it
 * is reachable as features["my-key"].
 */
export function featureBindings(schema: FeatureSchema, prefix?: string): Record<string, Binding> {
  const out: Record<string, Binding> = {};
  schema.defs.forEach((d, index) => {
    if (!prefix && (!IDENT_PATTERN.test(d.name) || KEYWORDS.has(d.name))) return;
    const type: ExprType = d.categories ? { kind: 'category', dict: d.name, values: d.categories } : { kind: 'number' };
    out[formatPath(prefix ? [prefix, d.name] : [d.name])] = { type, source: 'features', index };
  });
  return out;
}
