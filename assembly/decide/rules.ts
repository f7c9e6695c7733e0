// The rule VM: runs expression programs (src/compile/expr/) over a frame of
// f64 values and a feature vector of f32 values. Journeys and decisions call
// evalProgram directly, many times per crossing.
//
// A placed program (src/compile/expr/bytecode.ts placePrograms), 16-aligned:
//   +0  codeEnd      usize  address one past the last code word
//   +4  consts       usize  address of the f64 constants (8-aligned)
//   +8  nConsts      i32
//   +12 maxStack     i32    stack entries the validator proved enough
//   +16 frameBytes   i32    frame size the validator checked slots against
//   +20 featureBytes i32    feature vector size it checked features against
//   +24 reserved (8 bytes)
//   +32 code: i32 words, an opcode then its operands, already lowered:
//       slot -> byte offset in the frame, feature -> byte offset in the
//       feature vector, constant -> absolute address of the f64, jump target
//       -> absolute address of the instruction, mask -> 64-bit set (2 words),
//       list -> absolute address of the first constant and a count; the
//       opcode word of a fused compare-and-jump is pre-decoded (PLACED_CMP).
//   then the constants.
// Opcodes and their operands: src/compile/expr/opcodes.ts (the numbers below
// must match; test/compile/expr/vm.test.ts checks them).
//
// Trust: the loader validated every program (known opcodes, operands in
// range, forward jumps onto instructions, stack depth on every path), so the
// release build runs without checks; the debug build asserts each of those.
// Inputs are not trusted: any f64/f32 bit pattern in the frame or features is
// a valid value (NaN, infinities, -0, non-integer category codes).
//
// Values: bools are 0/1; missing is NaN; comparisons with NaN are false
// (`!=` included). exp, log, log10 and pow are the host's Math functions, so
// the TypeScript reference computes bit-identical results.
//
// The operand stack is static (STACK_CAPACITY f64 at STACK); the top of the
// stack lives in a local. Nothing is allocated.

// @ts-ignore: decorator
@external("Math", "exp") declare function hostExp(x: f64): f64;
// @ts-ignore: decorator
@external("Math", "log") declare function hostLog(x: f64): f64;
// @ts-ignore: decorator
@external("Math", "log10") declare function hostLog10(x: f64): f64;
// @ts-ignore: decorator
@external("Math", "pow") declare function hostPow(x: f64, y: f64): f64;

export const STACK_CAPACITY: i32 = 256;
const STACK: usize = memory.data(STACK_CAPACITY * 8, 16);
const STACK_END: usize = STACK + (<usize>STACK_CAPACITY << 3);

export const PROG_CODE_END: usize = 0;
export const PROG_CONSTS: usize = 4;
export const PROG_NCONSTS: usize = 8;
export const PROG_MAX_STACK: usize = 12;
export const PROG_FRAME_BYTES: usize = 16;
export const PROG_FEATURE_BYTES: usize = 20;
export const PROG_HEADER: usize = 32;

export const OP_RET: i32 = 0;
export const OP_RET_0: i32 = 1;
export const OP_RET_1: i32 = 2;
export const OP_JMP: i32 = 3;
export const OP_JF: i32 = 4;
export const OP_JT: i32 = 5;
export const OP_PUSH_K: i32 = 6;
export const OP_LOAD_S: i32 = 7;
export const OP_LOAD_F: i32 = 8;
export const OP_LOAD_SB: i32 = 9;
export const OP_LOAD_FB: i32 = 10;
export const OP_ADD: i32 = 11;
export const OP_SUB: i32 = 12;
export const OP_MUL: i32 = 13;
export const OP_DIV: i32 = 14;
export const OP_MOD: i32 = 15;
export const OP_MIN: i32 = 16;
export const OP_MAX: i32 = 17;
export const OP_POW: i32 = 18;
export const OP_COALESCE: i32 = 19;
export const OP_EQ: i32 = 20;
export const OP_NE: i32 = 21;
export const OP_LT: i32 = 22;
export const OP_LE: i32 = 23;
export const OP_GT: i32 = 24;
export const OP_GE: i32 = 25;
export const OP_ADD_K: i32 = 26;
export const OP_SUB_K: i32 = 27;
export const OP_MUL_K: i32 = 28;
export const OP_DIV_K: i32 = 29;
export const OP_NEG: i32 = 30;
export const OP_NOT: i32 = 31;
export const OP_ABS: i32 = 32;
export const OP_SIGN: i32 = 33;
export const OP_FLOOR: i32 = 34;
export const OP_CEIL: i32 = 35;
export const OP_TRUNC: i32 = 36;
export const OP_ROUND: i32 = 37;
export const OP_SQRT: i32 = 38;
export const OP_EXP: i32 = 39;
export const OP_LOG: i32 = 40;
export const OP_LOG10: i32 = 41;
export const OP_SIGMOID: i32 = 42;
export const OP_ISNAN: i32 = 43;
export const OP_HOUR: i32 = 44;
export const OP_DOW: i32 = 45;
export const OP_IN_MASK: i32 = 46;
export const OP_NOTIN_MASK: i32 = 47;
export const OP_IN_LIST: i32 = 48;
export const OP_NOTIN_LIST: i32 = 49;
// J{F,T}_{EQ,NE,LT,LE,GT,GE}_{S,F}K  src, const, target
export const OP_JF_EQ_SK: i32 = 50;
export const OP_JF_NE_SK: i32 = 51;
export const OP_JF_LT_SK: i32 = 52;
export const OP_JF_LE_SK: i32 = 53;
export const OP_JF_GT_SK: i32 = 54;
export const OP_JF_GE_SK: i32 = 55;
export const OP_JT_EQ_SK: i32 = 56;
export const OP_JT_NE_SK: i32 = 57;
export const OP_JT_LT_SK: i32 = 58;
export const OP_JT_LE_SK: i32 = 59;
export const OP_JT_GT_SK: i32 = 60;
export const OP_JT_GE_SK: i32 = 61;
export const OP_JF_EQ_FK: i32 = 62;
export const OP_JF_NE_FK: i32 = 63;
export const OP_JF_LT_FK: i32 = 64;
export const OP_JF_LE_FK: i32 = 65;
export const OP_JF_GT_FK: i32 = 66;
export const OP_JF_GE_FK: i32 = 67;
export const OP_JT_EQ_FK: i32 = 68;
export const OP_JT_NE_FK: i32 = 69;
export const OP_JT_LT_FK: i32 = 70;
export const OP_JT_LE_FK: i32 = 71;
export const OP_JT_GT_FK: i32 = 72;
export const OP_JT_GE_FK: i32 = 73;
// bool slot/feature: src, target
export const OP_JF_SB: i32 = 74;
export const OP_JT_SB: i32 = 75;
export const OP_JF_FB: i32 = 76;
export const OP_JT_FB: i32 = 77;
// set tests: src, mask (2 words), target
export const OP_JF_IN_S: i32 = 78;
export const OP_JT_IN_S: i32 = 79;
export const OP_JF_NOTIN_S: i32 = 80;
export const OP_JT_NOTIN_S: i32 = 81;
export const OP_JF_IN_F: i32 = 82;
export const OP_JT_IN_F: i32 = 83;
export const OP_JF_NOTIN_F: i32 = 84;
export const OP_JT_NOTIN_F: i32 = 85;

// Placement rewrites the opcode word of the fused compare-and-jump
// instructions (J{F,T}_{cmp}_{S,F}K) to PLACED_CMP | flags | accept, where the
// low 3 bits say which of {x < k, x == k, x > k} make the comparison true
// (EQ 010, NE 101, LT 001, LE 011, GT 100, GE 110). NaN sets none of them, so
// every comparison with NaN is false.
export const PLACED_CMP: i32 = 0x100;
export const PLACED_CMP_JUMP_IF_TRUE: i32 = 0x8;
export const PLACED_CMP_FEATURE: i32 = 0x10;

const MS_PER_HOUR: f64 = 3600000;
const MS_PER_DAY: f64 = 86400000;

// ---- operand readers (the debug build checks what the validator promised)
// The checks sit behind `if (!ASC_NO_ASSERT)`: a plain assert compiled with
// --noAssert still evaluates its condition when the condition loads from
// memory (a load may trap, so Binaryen keeps it), and those dropped loads of
// the program header were a third of the instructions of a fused test.

/** Frame value of the slot operand at word 1. */
@inline function slotArg(prog: usize, frame: usize, pc: usize): f64 {
  const off = <usize>load<i32>(pc, 4);
  if (!ASC_NO_ASSERT) assert(off < <usize>load<i32>(prog, PROG_FRAME_BYTES), "rule VM: frame slot out of bounds");
  return load<f64>(frame + off);
}

/** Feature value of the feature operand at word 1, widened to f64. */
@inline function featureArg(prog: usize, features: usize, pc: usize): f64 {
  const off = <usize>load<i32>(pc, 4);
  if (!ASC_NO_ASSERT) assert(off < <usize>load<i32>(prog, PROG_FEATURE_BYTES), "rule VM: feature out of bounds");
  return <f64>load<f32>(features + off);
}

/** The constant whose address is the operand word at byte offset `at`. */
@inline function constArg(prog: usize, pc: usize, at: usize): f64 {
  const p = <usize>load<i32>(pc + at);
  if (!ASC_NO_ASSERT) assert(
    p >= <usize>load<i32>(prog, PROG_CONSTS) && p + 8 <= <usize>load<i32>(prog, PROG_CONSTS) + (<usize>load<i32>(prog, PROG_NCONSTS) << 3),
    "rule VM: constant out of bounds",
  );
  return load<f64>(p);
}

/** The jump target in the operand word at byte offset `at`. */
@inline function targetArg(prog: usize, pc: usize, at: usize): usize {
  const t = <usize>load<i32>(pc + at);
  if (!ASC_NO_ASSERT) assert(t > pc && t < <usize>load<i32>(prog, PROG_CODE_END), "rule VM: jump target out of bounds");
  return t;
}

// ---- value semantics (twins in src/compile/expr/semantics.ts)

@inline function b2f(b: bool): f64 {
  return b ? 1.0 : 0.0;
}

@inline function truthy(x: f64): bool {
  return x > 0 || x < 0;
}

@inline function cmpNe(a: f64, b: f64): bool {
  return a < b || a > b;
}

@inline function roundHalfAway(x: f64): f64 {
  let t = Math.trunc(x);
  if (Math.abs(x - t) >= 0.5) t += x < 0 ? -1.0 : 1.0;
  return t;
}

@inline function sign(x: f64): f64 {
  return x > 0 ? 1.0 : x < 0 ? -1.0 : x;
}

function hourOfDay(t: f64): f64 {
  const r = Math.floor(t / MS_PER_HOUR) % 24.0;
  return r < 0 ? r + 24.0 : r + 0.0;
}

function dayOfWeek(t: f64): f64 {
  const r = (Math.floor(t / MS_PER_DAY) + 3.0) % 7.0;
  return (r < 0 ? r + 7.0 : r) + 1.0;
}

@inline function inMask(x: f64, mask: u64): bool {
  if (x >= 0 && x < 64) {
    const i = <i32>x;
    if (<f64>i == x) return ((mask >> <u64>i) & 1) != 0;
  }
  return false;
}

/** Binary search in a strictly ascending run of `count` f64 at p. */
function inSorted(x: f64, p: usize, count: i32): bool {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<f64>(p + (<usize>mid << 3)) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < count && load<f64>(p + (<usize>lo << 3)) == x;
}

/** Evaluates the program at `prog` over `frame` (f64[]) and `features` (f32[]). */
export function evalProgram(prog: usize, frame: usize, features: usize): f64 {
  return evalProgramInline(prog, frame, features);
}

/**
 * The interpreter itself, inlined where it is called: use it at most at one
 * hot call site per kernel (a loop over rules) to save the call, and
 * evalProgram elsewhere.
 */
@inline export function evalProgramInline(prog: usize, frame: usize, features: usize): f64 {
  let pc: usize = prog + PROG_HEADER;
  let sp: usize = STACK;
  let tos: f64 = 0;
  while (true) {
    const op = load<i32>(pc);
    if (<u32>op <= <u32>OP_RET_1) return op == OP_RET ? tos : <f64>(op - OP_RET_0);
    // Fast path for what typical rules are made of: fused tests that jump, and
    // the returns. Ordinary branches here instead of a table dispatch per
    // instruction; a rule like `a > 1 and b in [...]` never reaches the switch
    // until its return.
    if (op & PLACED_CMP) {
      // J{F,T}_{EQ,NE,LT,LE,GT,GE}_{S,F}K, pre-decoded at placement: src, const, target
      const x = op & PLACED_CMP_FEATURE ? featureArg(prog, features, pc) : slotArg(prog, frame, pc);
      const k = constArg(prog, pc, 8);
      const outcome = <i32>(x < k) | (<i32>(x == k) << 1) | (<i32>(x > k) << 2);
      const holds = (outcome & op) != 0;
      pc = holds == ((op & PLACED_CMP_JUMP_IF_TRUE) != 0) ? targetArg(prog, pc, 12) : pc + 16;
      continue;
    }
    const testRel = <u32>(op - OP_JF_SB);
    if (testRel < 12) {
      if (testRel < 4) {
        // J{F,T}_{S,F}B: src, target
        const x = testRel >= 2 ? featureArg(prog, features, pc) : slotArg(prog, frame, pc);
        pc = truthy(x) == ((testRel & 1) != 0) ? targetArg(prog, pc, 8) : pc + 12;
      } else {
        // J{F,T}_{IN,NOTIN}_{S,F}: src, mask, target
        const rel = testRel - 4;
        const x = rel >= 4 ? featureArg(prog, features, pc) : slotArg(prog, frame, pc);
        const member = inMask(x, load<u64>(pc, 8));
        const holds = (rel & 2) != 0 ? x == x && !member : member;
        pc = holds == ((rel & 1) != 0) ? targetArg(prog, pc, 16) : pc + 20;
      }
      continue;
    }
    switch (op) {
      case OP_RET:
        return tos;
      case OP_RET_0:
        return 0;
      case OP_RET_1:
        return 1;
      case OP_JMP: {
        pc = targetArg(prog, pc, 4);
        break;
      }
      case OP_JF: {
        pc = tos == 0 ? targetArg(prog, pc, 4) : pc + 8;
        sp -= 8;
        assert(sp >= STACK, "rule VM: stack underflow");
        tos = load<f64>(sp);
        break;
      }
      case OP_JT: {
        pc = tos != 0 ? targetArg(prog, pc, 4) : pc + 8;
        sp -= 8;
        assert(sp >= STACK, "rule VM: stack underflow");
        tos = load<f64>(sp);
        break;
      }
      case OP_PUSH_K: {
        store<f64>(sp, tos);
        sp += 8;
        assert(sp <= STACK_END, "rule VM: stack overflow");
        tos = constArg(prog, pc, 4);
        pc += 8;
        break;
      }
      case OP_LOAD_S: {
        store<f64>(sp, tos);
        sp += 8;
        assert(sp <= STACK_END, "rule VM: stack overflow");
        tos = slotArg(prog, frame, pc);
        pc += 8;
        break;
      }
      case OP_LOAD_F: {
        store<f64>(sp, tos);
        sp += 8;
        assert(sp <= STACK_END, "rule VM: stack overflow");
        tos = featureArg(prog, features, pc);
        pc += 8;
        break;
      }
      case OP_LOAD_SB: {
        store<f64>(sp, tos);
        sp += 8;
        assert(sp <= STACK_END, "rule VM: stack overflow");
        tos = b2f(truthy(slotArg(prog, frame, pc)));
        pc += 8;
        break;
      }
      case OP_LOAD_FB: {
        store<f64>(sp, tos);
        sp += 8;
        assert(sp <= STACK_END, "rule VM: stack overflow");
        tos = b2f(truthy(featureArg(prog, features, pc)));
        pc += 8;
        break;
      }
      // binary operators: a (below) op b (top)
      case OP_ADD: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = load<f64>(sp) + tos; pc += 4; break; }
      case OP_SUB: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = load<f64>(sp) - tos; pc += 4; break; }
      case OP_MUL: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = load<f64>(sp) * tos; pc += 4; break; }
      case OP_DIV: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = load<f64>(sp) / tos; pc += 4; break; }
      case OP_MOD: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = load<f64>(sp) % tos; pc += 4; break; }
      case OP_MIN: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = min<f64>(load<f64>(sp), tos); pc += 4; break; }
      case OP_MAX: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = max<f64>(load<f64>(sp), tos); pc += 4; break; }
      case OP_POW: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = hostPow(load<f64>(sp), tos); pc += 4; break; }
      case OP_COALESCE: {
        sp -= 8;
        assert(sp >= STACK, "rule VM: stack underflow");
        const a = load<f64>(sp);
        tos = a != a ? tos : a;
        pc += 4;
        break;
      }
      case OP_EQ: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = b2f(load<f64>(sp) == tos); pc += 4; break; }
      case OP_NE: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = b2f(cmpNe(load<f64>(sp), tos)); pc += 4; break; }
      case OP_LT: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = b2f(load<f64>(sp) < tos); pc += 4; break; }
      case OP_LE: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = b2f(load<f64>(sp) <= tos); pc += 4; break; }
      case OP_GT: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = b2f(load<f64>(sp) > tos); pc += 4; break; }
      case OP_GE: { sp -= 8; assert(sp >= STACK, "rule VM: stack underflow"); tos = b2f(load<f64>(sp) >= tos); pc += 4; break; }
      // top op constant
      case OP_ADD_K: { tos = tos + constArg(prog, pc, 4); pc += 8; break; }
      case OP_SUB_K: { tos = tos - constArg(prog, pc, 4); pc += 8; break; }
      case OP_MUL_K: { tos = tos * constArg(prog, pc, 4); pc += 8; break; }
      case OP_DIV_K: { tos = tos / constArg(prog, pc, 4); pc += 8; break; }
      // unary operators on the top
      case OP_NEG: { tos = -tos; pc += 4; break; }
      case OP_NOT: { tos = b2f(tos == 0); pc += 4; break; }
      case OP_ABS: { tos = Math.abs(tos); pc += 4; break; }
      case OP_SIGN: { tos = sign(tos); pc += 4; break; }
      case OP_FLOOR: { tos = Math.floor(tos); pc += 4; break; }
      case OP_CEIL: { tos = Math.ceil(tos); pc += 4; break; }
      case OP_TRUNC: { tos = Math.trunc(tos); pc += 4; break; }
      case OP_ROUND: { tos = roundHalfAway(tos); pc += 4; break; }
      case OP_SQRT: { tos = Math.sqrt(tos); pc += 4; break; }
      case OP_EXP: { tos = hostExp(tos); pc += 4; break; }
      case OP_LOG: { tos = hostLog(tos); pc += 4; break; }
      case OP_LOG10: { tos = hostLog10(tos); pc += 4; break; }
      case OP_SIGMOID: { tos = 1.0 / (1.0 + hostExp(-tos)); pc += 4; break; }
      case OP_ISNAN: { tos = b2f(tos != tos); pc += 4; break; }
      case OP_HOUR: { tos = hourOfDay(tos); pc += 4; break; }
      case OP_DOW: { tos = dayOfWeek(tos); pc += 4; break; }
      // set tests on the top
      case OP_IN_MASK: { tos = b2f(inMask(tos, load<u64>(pc, 4))); pc += 12; break; }
      case OP_NOTIN_MASK: { tos = b2f(tos == tos && !inMask(tos, load<u64>(pc, 4))); pc += 12; break; }
      case OP_IN_LIST: {
        tos = b2f(inSorted(tos, <usize>load<i32>(pc, 4), load<i32>(pc, 8)));
        pc += 12;
        break;
      }
      case OP_NOTIN_LIST: {
        tos = b2f(tos == tos && !inSorted(tos, <usize>load<i32>(pc, 4), load<i32>(pc, 8)));
        pc += 12;
        break;
      }
      default: {
        // Unreachable for validated programs.
        assert(false, "rule VM: unknown opcode");
        return NaN;
      }
    }
  }
  return NaN;
}

/** Evaluates n programs (i32 pointers at progs) over one frame and feature vector; f64 results at out. */
export function evalPrograms(progs: usize, n: i32, frame: usize, features: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    store<f64>(out + (<usize>i << 3), evalProgramInline(<usize>load<i32>(progs + (<usize>i << 2)), frame, features));
  }
}
