/**
 * The rule VM's instruction set. A program is a sequence of i32 words: an
 * opcode followed by its operands. This table is the single description the
 * code generator, the validator, the placement and the reference interpreter
 * share; assembly/decide/rules.ts repeats the numbers (a test checks they
 * agree).
 *
 * Operand kinds (bundle form -> placed form in wasm memory):
 *   slot     frame slot index          -> byte offset (slot * 8)
 *   feature  feature index             -> byte offset (index * 4)
 *   const    index into the constants  -> absolute address of the f64
 *   target   word index of the jump target (forward only) -> absolute address
 *   mask     two words: a 64-bit set of codes 0..63 (low word first), unchanged
 *   list     two words: first constant index and count of a strictly
 *            ascending run of constants -> absolute address and count
 *
 * The stack holds f64. A conditional jump fused with a comparison does not
 * touch the stack; JF/JT pop the condition. Jumps are taken on exactly one
 * outcome: JF_* jumps when its condition is false, JT_* when it is true.
 * Comparisons with NaN are false, so JF_GT_SK jumps when the slot is missing.
 */

export type OperandKind = 'slot' | 'feature' | 'const' | 'target' | 'mask' | 'list';

export interface OpInfo {
  readonly name: string;
  readonly operands: readonly OperandKind[];
  /** Values popped and pushed (on every edge). */
  readonly pop: number;
  readonly push: number;
  /** 'ret' ends the program; 'jump' always jumps; 'branch' jumps or falls through. */
  readonly flow: 'next' | 'ret' | 'jump' | 'branch';
}

export const OPERAND_WORDS: Record<OperandKind, number> = { slot: 1, feature: 1, const: 1, target: 1, mask: 2, list: 2 };

const CMPS = ['EQ', 'NE', 'LT', 'LE', 'GT', 'GE'] as const;

function op(name: string, operands: OperandKind[], pop: number, push: number, flow: OpInfo['flow'] = 'next'): OpInfo {
  return { name, operands, pop, push, flow };
}

/** Index = opcode. */
export const OPS: readonly OpInfo[] = [
  op('RET', [], 1, 0, 'ret'),
  op('RET_0', [], 0, 0, 'ret'),
  op('RET_1', [], 0, 0, 'ret'),
  op('JMP', ['target'], 0, 0, 'jump'),
  op('JF', ['target'], 1, 0, 'branch'),
  op('JT', ['target'], 1, 0, 'branch'),
  op('PUSH_K', ['const'], 0, 1),
  op('LOAD_S', ['slot'], 0, 1),
  op('LOAD_F', ['feature'], 0, 1),
  op('LOAD_SB', ['slot'], 0, 1),
  op('LOAD_FB', ['feature'], 0, 1),
  ...['ADD', 'SUB', 'MUL', 'DIV', 'MOD', 'MIN', 'MAX', 'POW', 'COALESCE'].map((n) => op(n, [], 2, 1)),
  ...CMPS.map((n) => op(n, [], 2, 1)),
  ...['ADD_K', 'SUB_K', 'MUL_K', 'DIV_K'].map((n) => op(n, ['const'], 1, 1)),
  ...['NEG', 'NOT', 'ABS', 'SIGN', 'FLOOR', 'CEIL', 'TRUNC', 'ROUND', 'SQRT', 'EXP', 'LOG', 'LOG10', 'SIGMOID', 'ISNAN', 'HOUR', 'DOW'].map((n) =>
    op(n, [], 1, 1),
  ),
  op('IN_MASK', ['mask'], 1, 1),
  op('NOTIN_MASK', ['mask'], 1, 1),
  op('IN_LIST', ['list'], 1, 1),
  op('NOTIN_LIST', ['list'], 1, 1),
  ...(['S', 'F'] as const).flatMap((src) =>
    (['JF', 'JT'] as const).flatMap((pol) =>
      CMPS.map((c) => op(`${pol}_${c}_${src}K`, [src === 'S' ? 'slot' : 'feature', 'const', 'target'], 0, 0, 'branch')),
    ),
  ),
  op('JF_SB', ['slot', 'target'], 0, 0, 'branch'),
  op('JT_SB', ['slot', 'target'], 0, 0, 'branch'),
  op('JF_FB', ['feature', 'target'], 0, 0, 'branch'),
  op('JT_FB', ['feature', 'target'], 0, 0, 'branch'),
  ...(['S', 'F'] as const).flatMap((src) =>
    ['JF_IN', 'JT_IN', 'JF_NOTIN', 'JT_NOTIN'].map((n) => op(`${n}_${src}`, [src === 'S' ? 'slot' : 'feature', 'mask', 'target'], 0, 0, 'branch')),
  ),
];

/** Opcode by name. */
export const OP: Readonly<Record<string, number>> = Object.freeze(Object.fromEntries(OPS.map((o, i) => [o.name, i])));

export function opWords(info: OpInfo): number {
  let w = 1;
  for (const k of info.operands) w += OPERAND_WORDS[k];
  return w;
}

export const COMPARE_NAMES = CMPS;
