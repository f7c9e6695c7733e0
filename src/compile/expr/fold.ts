/**
 * Constant folding over the typed tree: every subtree that reads nothing
 * becomes one constant, computed with the same semantics the VM uses
 * (semantics.ts). `false and x`, `c ? a : b` with a constant test and the
 * like are simplified (expressions have no side effects, so dropping an
 * operand never changes a result). The f32 rounding of constants compared
 * with features is applied here, so code generation sees final constants.
 */
import { applyBinary, applyUnary } from './semantics.js';
import type { TNode } from './checker.js';

function constant(n: TNode, value: number): TNode {
  return { t: 'const', type: n.type, value, span: n.span };
}

function roundConst(n: TNode): TNode {
  return n.t === 'const' ? { ...n, value: Math.fround(n.value) } : n;
}

/** Value of an `in` test once the value and the elements are known. */
export function membership(x: number, elements: readonly number[], negated: boolean): number {
  if (x !== x) return 0;
  const member = elements.some((e) => e === x);
  return (negated ? !member : member) ? 1 : 0;
}

export function fold(n: TNode): TNode {
  switch (n.t) {
    case 'const':
    case 'slot':
    case 'feature':
      return n;
    case 'unary': {
      const arg = fold(n.arg);
      return arg.t === 'const' ? constant(n, applyUnary(n.op, arg.value)) : { ...n, arg };
    }
    case 'binary': {
      let left = fold(n.left);
      let right = fold(n.right);
      if (n.f32) {
        left = roundConst(left);
        right = roundConst(right);
      }
      if (left.t === 'const' && right.t === 'const') return constant(n, applyBinary(n.op, left.value, right.value));
      return { ...n, left, right, f32: false };
    }
    case 'logic': {
      const left = fold(n.left);
      const right = fold(n.right);
      const absorbing = n.op === 'and' ? 0 : 1;
      if (left.t === 'const') return left.value === absorbing ? constant(n, absorbing) : right;
      if (right.t === 'const') return right.value === absorbing ? constant(n, absorbing) : left;
      return { ...n, left, right };
    }
    case 'in': {
      const value = fold(n.value);
      const list = n.list.map((e) => (n.f32 ? roundConst(fold(e)) : fold(e)));
      if (value.t === 'const' && list.every((e) => e.t === 'const')) {
        return constant(n, membership(value.value, list.map((e) => (e as { value: number }).value), n.negated));
      }
      return { ...n, value, list, f32: false };
    }
    case 'cond': {
      const test = fold(n.test);
      if (test.t === 'const') return fold(test.value !== 0 ? n.then : n.else);
      return { ...n, test, then: fold(n.then), else: fold(n.else) };
    }
  }
}
