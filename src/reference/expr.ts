/**
 * Plain-TypeScript twins of the rule VM (assembly/decide/rules.ts), for
 * differential tests and as the plain-JS peer in benchmarks:
 * - evalReference interprets the same bytecode (bundle form, indices instead
 *   of addresses) with the same stack discipline;
 * - evalAst evaluates the typed tree directly, without folding or code
 *   generation: a second, independent account of the language's meaning.
 * Both return bitwise the same f64 as the VM (NaN payloads aside).
 */
import type { ProgramCode } from '../compile/expr/bytecode.js';
import { isConstant, type TNode } from '../compile/expr/checker.js';
import { checkExpr, type CompileOptions } from '../compile/expr/index.js';
import type { Ast, ExprEnv } from '../compile/expr/ast.js';
import { printExpr } from '../compile/expr/printer.js';
import {
  applyBinary,
  applyUnary,
  compare,
  dayOfWeek,
  hourOfDay,
  inMask,
  inSorted,
  roundHalfAway,
  sigmoid,
  sign,
  truthy,
} from '../compile/expr/semantics.js';

const stack = new Float64Array(256);

/** Runs a (validated) program on a frame and a feature vector. */
export function evalReference(prog: ProgramCode, frame: Float64Array, features: Float32Array): number {
  const code = prog.code;
  const k = prog.consts;
  let pc = 0;
  let sp = 0; // entries below the top
  let tos = 0;
  for (;;) {
    switch (code[pc]) {
      case 0: // RET
        return tos;
      case 1: // RET_0
        return 0;
      case 2: // RET_1
        return 1;
      case 3: // JMP
        pc = code[pc + 1]!;
        continue;
      case 4: // JF
        if (tos === 0) pc = code[pc + 1]!;
        else pc += 2;
        tos = stack[--sp]!;
        continue;
      case 5: // JT
        if (tos !== 0) pc = code[pc + 1]!;
        else pc += 2;
        tos = stack[--sp]!;
        continue;
      case 6: // PUSH_K
        stack[sp++] = tos;
        tos = k[code[pc + 1]!]!;
        pc += 2;
        continue;
      case 7: // LOAD_S
        stack[sp++] = tos;
        tos = frame[code[pc + 1]!]!;
        pc += 2;
        continue;
      case 8: // LOAD_F
        stack[sp++] = tos;
        tos = features[code[pc + 1]!]!;
        pc += 2;
        continue;
      case 9: // LOAD_SB
        stack[sp++] = tos;
        tos = truthy(frame[code[pc + 1]!]!);
        pc += 2;
        continue;
      case 10: // LOAD_FB
        stack[sp++] = tos;
        tos = truthy(features[code[pc + 1]!]!);
        pc += 2;
        continue;
      case 11:
        tos = stack[--sp]! + tos;
        pc++;
        continue;
      case 12:
        tos = stack[--sp]! - tos;
        pc++;
        continue;
      case 13:
        tos = stack[--sp]! * tos;
        pc++;
        continue;
      case 14:
        tos = stack[--sp]! / tos;
        pc++;
        continue;
      case 15:
        tos = stack[--sp]! % tos;
        pc++;
        continue;
      case 16:
        tos = Math.min(stack[--sp]!, tos);
        pc++;
        continue;
      case 17:
        tos = Math.max(stack[--sp]!, tos);
        pc++;
        continue;
      case 18:
        tos = Math.pow(stack[--sp]!, tos);
        pc++;
        continue;
      case 19: {
        // COALESCE
        const a = stack[--sp]!;
        tos = a !== a ? tos : a;
        pc++;
        continue;
      }
      case 20:
        tos = compare('eq', stack[--sp]!, tos);
        pc++;
        continue;
      case 21:
        tos = compare('ne', stack[--sp]!, tos);
        pc++;
        continue;
      case 22:
        tos = compare('lt', stack[--sp]!, tos);
        pc++;
        continue;
      case 23:
        tos = compare('le', stack[--sp]!, tos);
        pc++;
        continue;
      case 24:
        tos = compare('gt', stack[--sp]!, tos);
        pc++;
        continue;
      case 25:
        tos = compare('ge', stack[--sp]!, tos);
        pc++;
        continue;
      case 26:
        tos = tos + k[code[pc + 1]!]!;
        pc += 2;
        continue;
      case 27:
        tos = tos - k[code[pc + 1]!]!;
        pc += 2;
        continue;
      case 28:
        tos = tos * k[code[pc + 1]!]!;
        pc += 2;
        continue;
      case 29:
        tos = tos / k[code[pc + 1]!]!;
        pc += 2;
        continue;
      case 30:
        tos = -tos;
        pc++;
        continue;
      case 31:
        tos = tos === 0 ? 1 : 0;
        pc++;
        continue;
      case 32:
        tos = Math.abs(tos);
        pc++;
        continue;
      case 33:
        tos = sign(tos);
        pc++;
        continue;
      case 34:
        tos = Math.floor(tos);
        pc++;
        continue;
      case 35:
        tos = Math.ceil(tos);
        pc++;
        continue;
      case 36:
        tos = Math.trunc(tos);
        pc++;
        continue;
      case 37:
        tos = roundHalfAway(tos);
        pc++;
        continue;
      case 38:
        tos = Math.sqrt(tos);
        pc++;
        continue;
      case 39:
        tos = Math.exp(tos);
        pc++;
        continue;
      case 40:
        tos = Math.log(tos);
        pc++;
        continue;
      case 41:
        tos = Math.log10(tos);
        pc++;
        continue;
      case 42:
        tos = sigmoid(tos);
        pc++;
        continue;
      case 43:
        tos = tos !== tos ? 1 : 0;
        pc++;
        continue;
      case 44:
        tos = hourOfDay(tos);
        pc++;
        continue;
      case 45:
        tos = dayOfWeek(tos);
        pc++;
        continue;
      case 46: // IN_MASK
        tos = inMask(tos, code[pc + 1]!, code[pc + 2]!) ? 1 : 0;
        pc += 3;
        continue;
      case 47: // NOTIN_MASK
        tos = tos === tos && !inMask(tos, code[pc + 1]!, code[pc + 2]!) ? 1 : 0;
        pc += 3;
        continue;
      case 48: // IN_LIST
        tos = inSorted(tos, k, code[pc + 1]!, code[pc + 2]!) ? 1 : 0;
        pc += 3;
        continue;
      case 49: // NOTIN_LIST
        tos = tos === tos && !inSorted(tos, k, code[pc + 1]!, code[pc + 2]!) ? 1 : 0;
        pc += 3;
        continue;
      case 74: // JF_SB
        pc = truthy(frame[code[pc + 1]!]!) === 0 ? code[pc + 2]! : pc + 3;
        continue;
      case 75: // JT_SB
        pc = truthy(frame[code[pc + 1]!]!) === 1 ? code[pc + 2]! : pc + 3;
        continue;
      case 76: // JF_FB
        pc = truthy(features[code[pc + 1]!]!) === 0 ? code[pc + 2]! : pc + 3;
        continue;
      case 77: // JT_FB
        pc = truthy(features[code[pc + 1]!]!) === 1 ? code[pc + 2]! : pc + 3;
        continue;
      default: {
        const op = code[pc]!;
        if (op >= 50 && op <= 73) {
          // J{F,T}_{cmp}_{S,F}K: src, const, target
          const rel = op - 50;
          const fromFeatures = rel >= 12;
          const jumpWhen = rel % 12 >= 6 ? 1 : 0;
          const x = fromFeatures ? features[code[pc + 1]!]! : frame[code[pc + 1]!]!;
          const c = compare(CMP[rel % 6]!, x, k[code[pc + 2]!]!);
          pc = c === jumpWhen ? code[pc + 3]! : pc + 4;
          continue;
        }
        if (op >= 78 && op <= 85) {
          // J{F,T}_{IN,NOTIN}_{S,F}: src, mask lo, mask hi, target
          const rel = op - 78;
          const x = rel >= 4 ? features[code[pc + 1]!]! : frame[code[pc + 1]!]!;
          const member = inMask(x, code[pc + 2]!, code[pc + 3]!);
          const notIn = (rel & 2) !== 0;
          const cond = notIn ? x === x && !member : member;
          const jumpWhen = (rel & 1) !== 0;
          pc = cond === jumpWhen ? code[pc + 4]! : pc + 5;
          continue;
        }
        throw new Error(`evalReference: unknown opcode ${op} at ${pc} (programs must be validated first)`);
      }
    }
  }
}

const CMP = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;

/** Evaluates a typed tree (checkExpr's output) directly. */
export function evalTyped(n: TNode, frame: Float64Array, features: Float32Array): number {
  switch (n.t) {
    case 'const':
      return n.value;
    case 'slot':
      return n.type.kind === 'bool' ? truthy(frame[n.slot]!) : frame[n.slot]!;
    case 'feature':
      return n.type.kind === 'bool' ? truthy(features[n.index]!) : features[n.index]!;
    case 'unary':
      return applyUnary(n.op, evalTyped(n.arg, frame, features));
    case 'binary': {
      let a = evalTyped(n.left, frame, features);
      let b = evalTyped(n.right, frame, features);
      if (n.f32) {
        if (n.left.t !== 'feature') a = Math.fround(a);
        if (n.right.t !== 'feature') b = Math.fround(b);
      }
      return applyBinary(n.op, a, b);
    }
    case 'logic': {
      const a = evalTyped(n.left, frame, features);
      if (n.op === 'and') return a === 0 ? 0 : evalTyped(n.right, frame, features);
      return a !== 0 ? 1 : evalTyped(n.right, frame, features);
    }
    case 'in': {
      const x = evalTyped(n.value, frame, features);
      if (x !== x) return 0;
      let member = false;
      for (const e of n.list) {
        let v = evalTyped(e, frame, features);
        if (n.f32 && isConstant(e)) v = Math.fround(v);
        if (v === x) member = true;
      }
      return (n.negated ? !member : member) ? 1 : 0;
    }
    case 'cond':
      return evalTyped(n.test, frame, features) !== 0 ? evalTyped(n.then, frame, features) : evalTyped(n.else, frame, features);
  }
}

/** Checks and evaluates an expression (source or syntax tree) against an environment, without bytecode. */
export function evalAst(expr: string | Ast, env: ExprEnv, frame: Float64Array, features: Float32Array, opts?: CompileOptions): number {
  const source = typeof expr === 'string' ? expr : printExpr(expr);
  return evalTyped(checkExpr(source, env, opts).typed, frame, features);
}
