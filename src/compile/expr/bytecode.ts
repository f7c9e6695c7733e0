/**
 * Programs as data: the structural check every program passes (after
 * compilation as a self-check, and at bundle load as the security boundary),
 * the bundle form of a set of programs, and their placement in wasm memory.
 *
 * The check proves what the VM relies on, so the release build can run
 * without bounds checks:
 * - every opcode is known and every instruction is complete;
 * - frame slots, features and constants are in range; constant runs for
 *   set tests are strictly ascending with no NaN;
 * - jumps go forward, stay inside the program and land on an instruction;
 * - the last instruction returns (so every path ends in a return);
 * - on every path the stack never underflows, never exceeds the declared
 *   maximum (<= the VM's capacity), has the same depth wherever paths merge,
 *   and holds a value at RET.
 * Forward-only jumps make programs terminate by construction.
 *
 * Bundle section (one per set of programs; all arrays little-endian bin):
 *   { version: 1, count, code: i32[], consts: f64[], codeOffsets: i32[count+1],
 *     constOffsets: i32[count+1], maxStack: i32[count], resultKinds: u8[count],
 *     sources?: string[count] }
 */
import { NextbestError } from '../../errors.js';
import { readF64, readI32, readU8, toBin, describe } from '../../bundle/binary.js';
import type { WasmInstance } from '../../runtime/wasm.js';
import { VM_STACK_CAPACITY, type ExprType } from './ast.js';
import { LIMIT_CEILINGS } from '../../limits.js';
import { OP, OPERAND_WORDS, OPS, opWords } from './opcodes.js';

const OP_JF_EQ_SK = OP.JF_EQ_SK!;

/** What the interpreters need to run a program. */
export interface ProgramCode {
  code: Int32Array;
  consts: Float64Array;
  maxStack: number;
}

/** A program read back from a bundle and validated. */
export interface ValidProgram extends ProgramCode {
  resultKind: 'number' | 'bool' | 'category';
  source?: string;
  slotsRead: number[];
  featuresRead: number[];
}

export interface ProgramSet {
  programs: ValidProgram[];
  /** The bounds the programs were checked against. */
  frameSlots: number;
  features: number;
}

export interface ProgramFacts {
  maxStack: number;
  slotsRead: number[];
  featuresRead: number[];
}

export const PROGRAM_SECTION_VERSION = 1;
const RESULT_KINDS = ['number', 'bool', 'category'] as const;
const MAX_PROGRAM_WORDS = LIMIT_CEILINGS.exprCodeWords;

/** Placed program header (assembly/decide/rules.ts). */
export const PROGRAM_HEADER_BYTES = 32;

/**
 * Placed opcode word of a fused compare-and-jump (assembly/decide/rules.ts
 * PLACED_CMP): the outcomes {x < k, x == k, x > k} that make the comparison
 * true in the low 3 bits, whether it jumps on true, whether it reads a feature.
 */
const PLACED_CMP = 0x100;
const CMP_ACCEPT = [0b010, 0b101, 0b001, 0b011, 0b100, 0b110]; // EQ NE LT LE GT GE
const FUSED_CMP_FIRST = OP_JF_EQ_SK;

function placedOpcode(op: number): number {
  const rel = op - FUSED_CMP_FIRST;
  if (rel < 0 || rel >= 24) return op;
  return PLACED_CMP | CMP_ACCEPT[rel % 6]! | (rel % 12 >= 6 ? 0x8 : 0) | (rel >= 12 ? 0x10 : 0);
}

function invalid(what: string, msg: string): never {
  throw new NextbestError('BUNDLE_INVALID', `${what}: ${msg}`);
}

/**
 * Checks one program's structure against the bounds; returns its stack need
 * and the slots and features it reads. Throws BUNDLE_INVALID naming `what`
 * and the word offset.
 */
export function analyzeProgram(
  code: Int32Array,
  consts: Float64Array,
  bounds: { frameSlots: number; features: number },
  what: string,
): ProgramFacts {
  const n = code.length;
  if (n === 0) invalid(what, 'the program is empty');
  if (n > MAX_PROGRAM_WORDS) invalid(what, `the program has ${n} words, more than ${MAX_PROGRAM_WORDS}`);
  const isStart = new Uint8Array(n + 1);
  const slots = new Set<number>();
  const feats = new Set<number>();
  const targets: [number, number][] = [];
  const runsChecked = new Set<string>();
  let pc = 0;
  let last = -1;
  while (pc < n) {
    const opcode = code[pc]!;
    const info = OPS[opcode];
    if (!info) invalid(what, `unknown opcode ${opcode} at word ${pc}`);
    const size = opWords(info!);
    if (pc + size > n) invalid(what, `${info!.name} at word ${pc} is cut off by the end of the program`);
    isStart[pc] = 1;
    let w = pc + 1;
    for (const kind of info!.operands) {
      const v = code[w]!;
      switch (kind) {
        case 'slot':
          if (v < 0 || v >= bounds.frameSlots) invalid(what, `${info!.name} at word ${pc}: frame slot ${v} is outside the frame (0..${bounds.frameSlots - 1})`);
          slots.add(v);
          break;
        case 'feature':
          if (v < 0 || v >= bounds.features) invalid(what, `${info!.name} at word ${pc}: feature ${v} is outside the schema (0..${bounds.features - 1})`);
          feats.add(v);
          break;
        case 'const':
          if (v < 0 || v >= consts.length) invalid(what, `${info!.name} at word ${pc}: constant ${v} is outside the ${consts.length} constants`);
          break;
        case 'target':
          targets.push([pc, v]);
          break;
        case 'list': {
          const count = code[w + 1]!;
          if (v < 0 || count < 0 || v > consts.length - count) {
            invalid(what, `${info!.name} at word ${pc}: constants [${v}, ${v + count}) are outside the ${consts.length} constants`);
          }
          const key = `${v}:${count}`;
          if (runsChecked.has(key)) break;
          runsChecked.add(key);
          for (let i = 0; i < count; i++) {
            const x = consts[v + i]!;
            if (x !== x || (i > 0 && !(consts[v + i - 1]! < x))) {
              invalid(what, `${info!.name} at word ${pc}: the set's constants must be strictly ascending numbers`);
            }
          }
          break;
        }
        case 'mask':
          break;
      }
      w += OPERAND_WORDS[kind];
    }
    last = pc;
    pc += size;
  }
  isStart[n] = 0;
  for (const [at, t] of targets) {
    if (!(t > at && t < n && isStart[t] === 1)) {
      invalid(what, `the jump at word ${at} goes to word ${t}, which is not a later instruction of the program`);
    }
  }
  if (OPS[code[last]!]!.flow !== 'ret') invalid(what, 'the last instruction must return');
  // Stack depth along every path: jumps only go forward, so one pass in order
  // sees every predecessor of an instruction before the instruction itself.
  const depth = new Int32Array(n).fill(-1);
  depth[0] = 0;
  let max = 0;
  const merge = (at: number, d: number, from: number) => {
    if (depth[at] === -1) depth[at] = d;
    else if (depth[at] !== d) invalid(what, `paths meet at word ${at} with stack depths ${depth[at]} and ${d} (from word ${from})`);
  };
  for (pc = 0; pc < n; ) {
    const info = OPS[code[pc]!]!;
    const size = opWords(info);
    const d = depth[pc]!;
    if (d >= 0) {
      if (d < info.pop || (info.flow === 'ret' && info.pop > 0 && d < 1)) {
        invalid(what, `${info.name} at word ${pc} needs ${info.pop} value(s) on the stack, which holds ${d}`);
      }
      const after = d - info.pop + info.push;
      if (after > max) max = after;
      if (info.flow === 'next' || info.flow === 'branch') merge(pc + size, after, pc);
      if (info.flow === 'jump' || info.flow === 'branch') merge(code[pc + size - 1]!, after, pc);
    }
    pc += size;
  }
  if (max > VM_STACK_CAPACITY) invalid(what, `the program needs ${max} stack entries, more than the VM's ${VM_STACK_CAPACITY}`);
  return { maxStack: max, slotsRead: [...slots].sort((a, b) => a - b), featuresRead: [...feats].sort((a, b) => a - b) };
}

interface BundlableProgram extends ProgramCode {
  source?: string;
  type?: ExprType;
  resultKind?: ValidProgram['resultKind'];
}

/** The flat bundle form of a list of programs: one code blob, one constant blob, offsets. */
export function programsToBundle(progs: readonly BundlableProgram[]): Record<string, unknown> {
  const count = progs.length;
  const codeOffsets = new Int32Array(count + 1);
  const constOffsets = new Int32Array(count + 1);
  const maxStack = new Int32Array(count);
  const resultKinds = new Uint8Array(count);
  progs.forEach((p, i) => {
    codeOffsets[i + 1] = codeOffsets[i]! + p.code.length;
    constOffsets[i + 1] = constOffsets[i]! + p.consts.length;
    maxStack[i] = p.maxStack;
    const kind = p.resultKind ?? p.type?.kind ?? 'number';
    const k = RESULT_KINDS.indexOf(kind as (typeof RESULT_KINDS)[number]);
    if (k < 0) throw new NextbestError('ARGUMENT_INVALID', `program ${i}: a program cannot return a ${kind}`);
    resultKinds[i] = k;
  });
  const code = new Int32Array(codeOffsets[count]!);
  const consts = new Float64Array(constOffsets[count]!);
  progs.forEach((p, i) => {
    code.set(p.code, codeOffsets[i]!);
    consts.set(p.consts, constOffsets[i]!);
  });
  return {
    version: PROGRAM_SECTION_VERSION,
    count,
    code: toBin(code),
    consts: toBin(consts),
    codeOffsets: toBin(codeOffsets),
    constOffsets: toBin(constOffsets),
    maxStack: toBin(maxStack),
    resultKinds: toBin(resultKinds),
    sources: progs.map((p) => p.source ?? ''),
  };
}

function checkOffsets(offsets: Int32Array, count: number, total: number, field: string): void {
  if (offsets.length !== count + 1) invalid('programs', `${field} has ${offsets.length} entries for ${count} programs (want ${count + 1})`);
  if (offsets[0] !== 0 || offsets[count] !== total) invalid('programs', `${field} must start at 0 and end at ${total}`);
  for (let i = 0; i < count; i++) {
    if (offsets[i + 1]! < offsets[i]!) invalid('programs', `${field} must not decrease (program ${i})`);
  }
}

/**
 * Validates a decoded program section against the frame and feature bounds
 * of the engine that will run it. Any failure is BUNDLE_INVALID.
 */
export function validatePrograms(section: unknown, bounds: { frameSlots: number; features: number }): ProgramSet {
  for (const k of ['frameSlots', 'features'] as const) {
    const v = (bounds as Record<string, unknown> | undefined)?.[k];
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 2 ** 28) {
      throw new NextbestError('ARGUMENT_INVALID', `validatePrograms: bounds.${k} must be a non-negative integer, got ${String(v)}`);
    }
  }
  if (section === null || typeof section !== 'object' || Array.isArray(section) || section instanceof Uint8Array) {
    invalid('programs', `expected a map, got ${describe(section)}`);
  }
  const o = section as Record<string, unknown>;
  if (o.version !== PROGRAM_SECTION_VERSION) invalid('programs', `unsupported section version ${describe(o.version)} (this engine reads ${PROGRAM_SECTION_VERSION})`);
  const count = o.count;
  if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > 1 << 20) invalid('programs', `count must be a non-negative integer, got ${describe(count)}`);
  const n = count as number;
  const code = readI32(o.code, 'programs.code');
  const consts = readF64(o.consts, 'programs.consts');
  const codeOffsets = readI32(o.codeOffsets, 'programs.codeOffsets');
  const constOffsets = readI32(o.constOffsets, 'programs.constOffsets');
  const maxStack = readI32(o.maxStack, 'programs.maxStack');
  const resultKinds = readU8(o.resultKinds, 'programs.resultKinds');
  checkOffsets(codeOffsets, n, code.length, 'codeOffsets');
  checkOffsets(constOffsets, n, consts.length, 'constOffsets');
  if (maxStack.length !== n || resultKinds.length !== n) invalid('programs', `maxStack and resultKinds need ${n} entries each`);
  let sources: unknown[] | undefined;
  if (o.sources !== undefined) {
    if (!Array.isArray(o.sources) || o.sources.length !== n || o.sources.some((s) => typeof s !== 'string')) {
      invalid('programs', `sources must be ${n} strings`);
    }
    sources = o.sources;
  }
  const programs: ValidProgram[] = [];
  for (let i = 0; i < n; i++) {
    const what = `program ${i}`;
    const pcode = code.slice(codeOffsets[i]!, codeOffsets[i + 1]!);
    const pconsts = consts.slice(constOffsets[i]!, constOffsets[i + 1]!);
    const facts = analyzeProgram(pcode, pconsts, bounds, what);
    if (maxStack[i] !== facts.maxStack) invalid(what, `declares a stack of ${maxStack[i]} but needs ${facts.maxStack}`);
    const kind = RESULT_KINDS[resultKinds[i]!];
    if (kind === undefined) invalid(what, `unknown result kind ${resultKinds[i]}`);
    const source = sources?.[i] as string | undefined;
    programs.push({ code: pcode, consts: pconsts, ...facts, resultKind: kind!, ...(source ? { source } : {}) });
  }
  return { programs, frameSlots: bounds.frameSlots, features: bounds.features };
}

/** Bytes one placed program takes (header, code, padding, constants). */
function placedSize(p: ProgramCode): number {
  const codeEnd = PROGRAM_HEADER_BYTES + p.code.length * 4;
  return Math.ceil(codeEnd / 8) * 8 + p.consts.length * 8;
}

/**
 * Places validated programs in wasm memory (layout in assembly/decide/rules.ts)
 * and returns the pointer of each. Operands are rewritten to byte offsets and
 * absolute addresses so the VM does no index arithmetic.
 */
export function placePrograms(wasm: WasmInstance, set: ProgramSet): Int32Array {
  const ptrs = new Int32Array(set.programs.length);
  if (set.programs.length === 0) return ptrs;
  let total = 0;
  for (const p of set.programs) total += Math.ceil(placedSize(p) / 16) * 16;
  let at = wasm.alloc(total, 16);
  const { i32, f64 } = wasm;
  set.programs.forEach((p, k) => {
    const codeAddr = at + PROGRAM_HEADER_BYTES;
    const constAddr = Math.ceil((codeAddr + p.code.length * 4) / 8) * 8;
    const h = at >> 2;
    i32[h] = codeAddr + p.code.length * 4;
    i32[h + 1] = constAddr;
    i32[h + 2] = p.consts.length;
    i32[h + 3] = p.maxStack;
    i32[h + 4] = set.frameSlots * 8;
    i32[h + 5] = set.features * 4;
    f64.set(p.consts, constAddr >> 3);
    const out = codeAddr >> 2;
    const code = p.code;
    for (let pc = 0; pc < code.length; ) {
      const info = OPS[code[pc]!]!;
      i32[out + pc] = placedOpcode(code[pc]!);
      let w = pc + 1;
      for (const kind of info.operands) {
        const v = code[w]!;
        switch (kind) {
          case 'slot':
            i32[out + w] = v * 8;
            break;
          case 'feature':
            i32[out + w] = v * 4;
            break;
          case 'const':
            i32[out + w] = constAddr + v * 8;
            break;
          case 'target':
            i32[out + w] = codeAddr + v * 4;
            break;
          case 'mask':
            i32[out + w] = v;
            i32[out + w + 1] = code[w + 1]!;
            break;
          case 'list':
            i32[out + w] = constAddr + v * 8;
            i32[out + w + 1] = code[w + 1]!;
            break;
        }
        w += OPERAND_WORDS[kind];
      }
      pc = w;
    }
    ptrs[k] = at;
    at += Math.ceil(placedSize(p) / 16) * 16;
  });
  return ptrs;
}

/**
 * A readable listing of a program (for inspect tools, debugging and test
 * messages), one instruction per line:
 *   0  JF_GT_FK  feature 2, k0 (12) -> 10
 */
export function disassemble(p: ProgramCode): string {
  const lines: string[] = [];
  const { code, consts } = p;
  for (let pc = 0; pc < code.length; ) {
    const info = OPS[code[pc]!];
    if (!info || pc + opWords(info) > code.length) {
      lines.push(`${String(pc).padStart(4)}  ?? ${code[pc]}`);
      break;
    }
    const args: string[] = [];
    let target = '';
    let w = pc + 1;
    for (const kind of info.operands) {
      const v = code[w]!;
      switch (kind) {
        case 'slot':
          args.push(`slot ${v}`);
          break;
        case 'feature':
          args.push(`feature ${v}`);
          break;
        case 'const':
          args.push(`k${v} (${consts[v]})`);
          break;
        case 'target':
          target = ` -> ${v}`;
          break;
        case 'mask': {
          const members: number[] = [];
          for (let i = 0; i < 64; i++) if (((i < 32 ? v >>> i : code[w + 1]! >>> (i - 32)) & 1) === 1) members.push(i);
          args.push(`{${members.join(', ')}}`);
          break;
        }
        case 'list':
          args.push(`[${Array.from(consts.subarray(v, v + code[w + 1]!)).join(', ')}]`);
          break;
      }
      w += OPERAND_WORDS[kind];
    }
    lines.push(`${String(pc).padStart(4)}  ${info.name}${args.length ? `  ${args.join(', ')}` : ''}${target}`);
    pc = w;
  }
  return lines.join('\n');
}
