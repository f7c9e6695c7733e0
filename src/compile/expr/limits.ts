/**
 * Expression size limits: defaults in ast.ts (DEFAULT_LIMITS), checked here
 * once per call. The hard ceilings keep every compiler pass within the
 * JavaScript stack and the wasm VM within its static operand stack.
 */
import { NextbestError } from '../../errors.js';
import { LIMIT_CEILINGS } from '../../limits.js';
import { DEFAULT_LIMITS, exprLimitsOf, type ExprLimits, type ExprOrigin } from './ast.js';

/** The ceilings of the engine-wide limits (src/limits.ts), under the expression compiler's names. */
const CEILINGS: Record<keyof ExprLimits, number> = exprLimitsOf(LIMIT_CEILINGS);

export function resolveLimits(partial?: Partial<ExprLimits>): ExprLimits {
  if (partial === undefined) return DEFAULT_LIMITS;
  if (partial === null || typeof partial !== 'object') {
    throw new NextbestError('OPTION_INVALID', 'limits must be an object such as { maxDepth: 100 }');
  }
  const out = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(partial)) {
    if (!(key in CEILINGS)) {
      throw new NextbestError('OPTION_INVALID', `unknown expression limit "${key}"; known: ${Object.keys(CEILINGS).join(', ')}`);
    }
    if (value === undefined) continue;
    const ceiling = CEILINGS[key as keyof ExprLimits];
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > ceiling) {
      throw new NextbestError('OPTION_INVALID', `limits.${key} must be an integer in [1, ${ceiling}], got ${String(value)}`);
    }
    out[key as keyof ExprLimits] = value as number;
  }
  return out;
}

/** Checks an expression's origin (positions for error messages). */
export function checkOrigin(origin: ExprOrigin | undefined): void {
  if (origin === undefined) return;
  const okPos = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
  if (origin === null || typeof origin !== 'object' || !okPos(origin.line) || !okPos(origin.column)) {
    throw new NextbestError('OPTION_INVALID', 'origin must be { file?, line, column } with 1-based integer line and column');
  }
  if (origin.indent !== undefined && !(Number.isInteger(origin.indent) && origin.indent >= 0)) {
    throw new NextbestError('OPTION_INVALID', 'origin.indent must be a non-negative integer');
  }
  if (origin.file !== undefined && typeof origin.file !== 'string') throw new NextbestError('OPTION_INVALID', 'origin.file must be a string');
}
