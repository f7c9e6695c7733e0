/**
 * Text forms of values in streamed rows: numbers read from CSV cells, float32
 * outputs written back in their shortest exact form.
 */

/** Cell texts that mean "missing" in a numeric CSV column (besides the empty cell). */
const MISSING_CELLS = new Set(['na', 'nan', 'null', 'n/a']);
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;

/**
 * The number a numeric CSV cell holds: NaN for missing (empty, NA, NaN, null,
 * N/A), 1/0 for true/false, decimal and exponent notation, +-inf/infinity;
 * undefined when the text is not a number (hex, words, "1,5", ...).
 * Surrounding spaces are ignored.
 */
export function parseNumberCell(text: string): number | undefined {
  let s = text;
  if (s.length > 0 && (s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32)) s = s.trim();
  if (s.length === 0) return NaN;
  if (NUMBER.test(s)) return Number(s);
  const lower = s.toLowerCase();
  if (MISSING_CELLS.has(lower)) return NaN;
  if (lower === 'true') return 1;
  if (lower === 'false') return 0;
  const inf = INFINITY.exec(s);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

/**
 * The shortest decimal that reads back (as float32) to exactly `x`, a float32
 * value: "0.1" rather than "0.10000000149011612". NaN and infinities are
 * "NaN", "Infinity", "-Infinity" (callers writing JSON map them to null).
 */
export function formatF32(x: number): string {
  if (x !== x) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  // A float32 whose shortest form has at most 6 digits comes out of
  // toPrecision(6) as that form plus trailing zeros, which Number() drops.
  for (let p = 6; p < 9; p++) {
    const t = Number(x.toPrecision(p));
    if (Math.fround(t) === x) return String(t);
  }
  return String(Number(x.toPrecision(9)));
}

/** A float32 as a JSON value: its shortest form, null for NaN and infinities. */
export function jsonF32(x: number): string {
  return x - x === 0 ? formatF32(x) : 'null';
}
