/**
 * Code generation: folded typed tree -> bytecode (opcodes.ts).
 *
 * Conditions compile to control flow, not to values: `branch(node, when, L)`
 * emits code that jumps to L when the node's truth equals `when` and falls
 * through otherwise, so `and`/`or` short-circuit and a top-level rule such as
 * `tenure > 12 and plan in ["gold", "premium"]` becomes
 *   JF_GT_FK tenure, 12 -> F ; JF_IN_F plan, {gold, premium} -> F ; RET_1 ; F: RET_0
 * Values use a stack; a comparison of a slot or feature with a constant is
 * one fused instruction; small integer sets are 64-bit masks, other constant
 * sets sorted runs of constants searched by bisection.
 *
 * Instructions are kept as a list with symbolic labels until the end, so a
 * peephole pass can thread jumps (a jump to a JMP goes to its target, a JMP
 * to a return becomes that return) and drop unreachable code before layout.
 */
import { OP, OPS, opWords } from './opcodes.js';
import type { TNode } from './checker.js';
import type { CompareFn } from './semantics.js';

class Label {
  /** Index in the instruction list of the instruction the label precedes. */
  at = -1;
}

type Arg = number | Label;

interface Instr {
  op: number;
  args: Arg[];
}

const FLIP: Record<CompareFn, CompareFn> = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' };
const CMP_NAME: Record<CompareFn, string> = { eq: 'EQ', ne: 'NE', lt: 'LT', le: 'LE', gt: 'GT', ge: 'GE' };
const UNARY_OP: Record<string, number> = {
  neg: OP.NEG!,
  not: OP.NOT!,
  abs: OP.ABS!,
  sign: OP.SIGN!,
  floor: OP.FLOOR!,
  ceil: OP.CEIL!,
  trunc: OP.TRUNC!,
  round: OP.ROUND!,
  sqrt: OP.SQRT!,
  exp: OP.EXP!,
  log: OP.LOG!,
  log10: OP.LOG10!,
  sigmoid: OP.SIGMOID!,
  isMissing: OP.ISNAN!,
  hourOfDay: OP.HOUR!,
  dayOfWeek: OP.DOW!,
};
const BINARY_OP: Record<string, number> = {
  add: OP.ADD!,
  sub: OP.SUB!,
  mul: OP.MUL!,
  div: OP.DIV!,
  mod: OP.MOD!,
  min: OP.MIN!,
  max: OP.MAX!,
  pow: OP.POW!,
  coalesce: OP.COALESCE!,
  eq: OP.EQ!,
  ne: OP.NE!,
  lt: OP.LT!,
  le: OP.LE!,
  gt: OP.GT!,
  ge: OP.GE!,
};
const BINARY_K_OP: Record<string, number> = { add: OP.ADD_K!, sub: OP.SUB_K!, mul: OP.MUL_K!, div: OP.DIV_K! };

/** A constant set, as a 64-bit mask when every element is an integer in [0, 64). */
type ConstSet = { mask: [number, number] } | { sorted: number[] };

function constSet(values: number[]): ConstSet {
  const vals = values.filter((v) => v === v);
  if (vals.every((v) => Number.isInteger(v) && v >= 0 && v < 64)) {
    let lo = 0;
    let hi = 0;
    for (const v of vals) {
      if (v < 32) lo |= 1 << v;
      else hi |= 1 << (v - 32);
    }
    return { mask: [lo | 0, hi | 0] };
  }
  const sorted = [...new Set(vals.map((v) => (v === 0 ? 0 : v)))].sort((a, b) => a - b);
  return { sorted };
}

export interface Generated {
  code: Int32Array;
  consts: Float64Array;
}

export class CodeGen {
  private readonly instrs: Instr[] = [];
  private readonly consts: number[] = [];
  private readonly constIndex = new Map<string, number>();
  private readonly bits = new DataView(new ArrayBuffer(8));

  private emit(op: number, ...args: Arg[]): void {
    this.instrs.push({ op, args });
  }

  private place(l: Label): void {
    l.at = this.instrs.length;
  }

  /** Index of a constant, shared between equal bit patterns (all NaNs are one). */
  konst(v: number): number {
    let key: string;
    if (v !== v) key = 'nan';
    else {
      this.bits.setFloat64(0, v);
      key = `${this.bits.getUint32(0)}:${this.bits.getUint32(4)}`;
    }
    let k = this.constIndex.get(key);
    if (k === undefined) {
      k = this.consts.length;
      this.consts.push(v);
      this.constIndex.set(key, k);
    }
    return k;
  }

  /** A strictly ascending run of constants (not shared). */
  private constRun(sorted: number[]): number {
    const start = this.consts.length;
    for (const v of sorted) this.consts.push(v);
    return start;
  }

  /** A whole program: conditions end in RET_0 / RET_1, values in RET. */
  program(root: TNode): Generated {
    if (root.type.kind === 'bool') {
      if (root.t === 'const') {
        this.emit(root.value !== 0 ? OP.RET_1! : OP.RET_0!);
      } else {
        const f = new Label();
        this.branch(root, false, f);
        this.emit(OP.RET_1!);
        this.place(f);
        this.emit(OP.RET_0!);
      }
    } else {
      this.value(root);
      this.emit(OP.RET!);
    }
    return this.finish();
  }

  private value(n: TNode): void {
    switch (n.t) {
      case 'const':
        this.emit(OP.PUSH_K!, this.konst(n.value));
        return;
      case 'slot':
        this.emit(n.type.kind === 'bool' ? OP.LOAD_SB! : OP.LOAD_S!, n.slot);
        return;
      case 'feature':
        this.emit(n.type.kind === 'bool' ? OP.LOAD_FB! : OP.LOAD_F!, n.index);
        return;
      case 'unary':
        this.value(n.arg);
        this.emit(UNARY_OP[n.op]!);
        return;
      case 'binary': {
        const kOp = BINARY_K_OP[n.op];
        this.value(n.left);
        if (kOp !== undefined && n.right.t === 'const') {
          this.emit(kOp, this.konst(n.right.value));
        } else {
          this.value(n.right);
          this.emit(BINARY_OP[n.op]!);
        }
        return;
      }
      case 'in': {
        const dynamic = n.list.filter((e) => e.t !== 'const');
        if (dynamic.length === 0) {
          this.value(n.value);
          this.setTest(n.negated, n.list.map((e) => (e as { value: number }).value));
          return;
        }
        this.materialize(n);
        return;
      }
      case 'cond': {
        const otherwise = new Label();
        const end = new Label();
        this.branch(n.test, false, otherwise);
        this.value(n.then);
        this.emit(OP.JMP!, end);
        this.place(otherwise);
        this.value(n.else);
        this.place(end);
        return;
      }
      case 'logic':
        this.materialize(n);
        return;
    }
  }

  /** A bool computed by control flow, pushed as 0 or 1. */
  private materialize(n: TNode): void {
    const f = new Label();
    const end = new Label();
    this.branch(n, false, f);
    this.emit(OP.PUSH_K!, this.konst(1));
    this.emit(OP.JMP!, end);
    this.place(f);
    this.emit(OP.PUSH_K!, this.konst(0));
    this.place(end);
  }

  private setTest(negated: boolean, values: number[]): void {
    const set = constSet(values);
    if ('mask' in set) this.emit(negated ? OP.NOTIN_MASK! : OP.IN_MASK!, set.mask[0], set.mask[1]);
    else this.emit(negated ? OP.NOTIN_LIST! : OP.IN_LIST!, this.constRun(set.sorted), set.sorted.length);
  }

  /** Jumps to `target` when the condition's truth is `when`; falls through otherwise. */
  private branch(n: TNode, when: boolean, target: Label): void {
    switch (n.t) {
      case 'const':
        if ((n.value !== 0) === when) this.emit(OP.JMP!, target);
        return;
      case 'slot':
        this.emit(when ? OP.JT_SB! : OP.JF_SB!, n.slot, target);
        return;
      case 'feature':
        this.emit(when ? OP.JT_FB! : OP.JF_FB!, n.index, target);
        return;
      case 'unary':
        if (n.op === 'not') {
          this.branch(n.arg, !when, target);
          return;
        }
        break;
      case 'logic': {
        // and: jump-if-false on either side; jump-if-true needs both. or: the dual.
        const shortCircuits = (n.op === 'and') !== when;
        if (shortCircuits) {
          this.branch(n.left, when, target);
          this.branch(n.right, when, target);
        } else {
          const skip = new Label();
          this.branch(n.left, !when, skip);
          this.branch(n.right, when, target);
          this.place(skip);
        }
        return;
      }
      case 'binary': {
        const cmp = n.op as CompareFn;
        if (!(cmp in FLIP)) break;
        let load: TNode | undefined;
        let k: number | undefined;
        let c = cmp;
        if (isLoad(n.left) && n.right.t === 'const') {
          load = n.left;
          k = n.right.value;
        } else if (isLoad(n.right) && n.left.t === 'const') {
          load = n.right;
          k = n.left.value;
          c = FLIP[cmp];
        }
        if (load && k !== undefined) {
          const src = load.t === 'slot' ? 'S' : 'F';
          const index = load.t === 'slot' ? load.slot : (load as { index: number }).index;
          this.emit(OP[`${when ? 'JT' : 'JF'}_${CMP_NAME[c]}_${src}K`]!, index, this.konst(k), target);
          return;
        }
        break;
      }
      case 'in': {
        if (isLoad(n.value) && n.list.every((e) => e.t === 'const')) {
          const set = constSet(n.list.map((e) => (e as { value: number }).value));
          if ('mask' in set) {
            const src = n.value.t === 'slot' ? 'S' : 'F';
            const index = n.value.t === 'slot' ? n.value.slot : (n.value as { index: number }).index;
            this.emit(OP[`${when ? 'JT' : 'JF'}_${n.negated ? 'NOTIN' : 'IN'}_${src}`]!, index, set.mask[0], set.mask[1], target);
            return;
          }
        }
        const dynamic = n.list.filter((e) => e.t !== 'const');
        if (dynamic.length > 0) {
          this.branch(expandIn(n, dynamic), when, target);
          return;
        }
        break;
      }
      case 'cond': {
        const otherwise = new Label();
        const end = new Label();
        this.branch(n.test, false, otherwise);
        this.branch(n.then, when, target);
        this.emit(OP.JMP!, end);
        this.place(otherwise);
        this.branch(n.else, when, target);
        this.place(end);
        return;
      }
    }
    this.value(n);
    this.emit(when ? OP.JT! : OP.JF!, target);
  }

  /** Peephole and layout: thread jumps, drop dead code, resolve labels to word offsets. */
  private finish(): Generated {
    let instrs = this.instrs;
    // Labels hold instruction indices; each pass rewrites them for the instructions it keeps.
    for (let pass = 0; pass < 4; pass++) {
      // 1. Thread: a jump whose target is a JMP goes to that JMP's target; a JMP to a return is that return.
      for (const ins of instrs) {
        const info = OPS[ins.op]!;
        if (info.flow !== 'jump' && info.flow !== 'branch') continue;
        const ti = ins.args.length - 1;
        for (let hops = 0; hops < 64; hops++) {
          const dest = instrs[(ins.args[ti] as Label).at];
          if (dest && dest.op === OP.JMP) ins.args[ti] = dest.args[0]!;
          else break;
        }
        const dest = instrs[(ins.args[ti] as Label).at];
        if (ins.op === OP.JMP && dest && OPS[dest.op]!.flow === 'ret') {
          ins.op = dest.op;
          ins.args = [];
        }
      }
      // 2. Drop unreachable instructions and jumps to the next instruction.
      const referenced = new Set<number>();
      for (const ins of instrs) for (const a of ins.args) if (a instanceof Label) referenced.add(a.at);
      const kept: Instr[] = [];
      const newIndex = new Int32Array(instrs.length + 1).fill(-1);
      let reachable = true;
      for (let i = 0; i < instrs.length; i++) {
        if (referenced.has(i)) reachable = true;
        newIndex[i] = kept.length;
        if (!reachable) continue;
        const ins = instrs[i]!;
        if (ins.op === OP.JMP && (ins.args[0] as Label).at === i + 1) continue;
        kept.push(ins);
        const flow = OPS[ins.op]!.flow;
        if (flow === 'ret' || flow === 'jump') reachable = false;
      }
      newIndex[instrs.length] = kept.length;
      // Re-point labels to the first kept instruction at or after their old index.
      const moved = new Set<Label>();
      for (const ins of kept) {
        for (const a of ins.args) {
          if (a instanceof Label && !moved.has(a)) {
            moved.add(a);
            a.at = newIndex[a.at]!;
          }
        }
      }
      instrs = kept;
    }
    // Layout.
    const addr = new Int32Array(instrs.length + 1);
    let w = 0;
    for (let i = 0; i < instrs.length; i++) {
      addr[i] = w;
      w += opWords(OPS[instrs[i]!.op]!);
    }
    addr[instrs.length] = w;
    const code = new Int32Array(w);
    let p = 0;
    for (const ins of instrs) {
      code[p++] = ins.op;
      for (const a of ins.args) code[p++] = a instanceof Label ? addr[a.at]! : a;
    }
    return { code, consts: Float64Array.from(this.consts) };
  }
}

function isLoad(n: TNode): n is TNode & { t: 'slot' | 'feature' } {
  return (n.t === 'slot' || n.t === 'feature') && n.type.kind !== 'bool';
}

/**
 * `x in [k1, k2, d1, d2]` with non-constant elements d: (x in [k1, k2]) or x == d1 or x == d2;
 * `not in`: not isMissing(x) and not (x in [...]). Expressions are pure, so x may be evaluated again.
 */
function expandIn(n: TNode & { t: 'in' }, dynamic: TNode[]): TNode {
  const bool = { kind: 'bool' } as const;
  const constants = n.list.filter((e) => e.t === 'const');
  const tests: TNode[] = dynamic.map((d) => ({ t: 'binary', type: bool, op: 'eq', left: n.value, right: d, f32: false, span: n.span }));
  if (constants.length > 0) tests.unshift({ t: 'in', type: bool, negated: false, value: n.value, list: constants, f32: false, span: n.span });
  const any = tests.reduce((acc, t) => ({ t: 'logic', type: bool, op: 'or', left: acc, right: t, span: n.span }));
  if (!n.negated) return any;
  const present: TNode = { t: 'unary', type: bool, op: 'not', arg: { t: 'unary', type: bool, op: 'isMissing', arg: n.value, span: n.span }, span: n.span };
  return { t: 'logic', type: bool, op: 'and', left: present, right: { t: 'unary', type: bool, op: 'not', arg: any, span: n.span }, span: n.span };
}
