/**
 * The bytecode validator, rule by rule, on hand-made programs; and the
 * bundle section's shape checks.
 */
import { describe, expect, it } from 'vitest';
import { NextbestError } from '../../../src/errors.js';
import { compileExpr, OP, programsToBundle, validatePrograms, type ProgramCode } from '../../../src/compile/expr/index.js';
import { evalReference } from '../../../src/reference/expr.js';
import { WasmInstance } from '../../../src/runtime/wasm.js';
import { ProgramHost } from '../../../src/runtime/programs.js';
import { ENV } from '../../helpers/expr.js';
import { VARIANTS } from '../../helpers/random.js';

const BOUNDS = { frameSlots: 4, features: 4 };

function prog(code: number[], consts: number[] = [0], maxStack?: number): ProgramCode {
  return { code: Int32Array.from(code), consts: Float64Array.from(consts), maxStack: maxStack ?? 0 };
}

/** Validates one hand-made program (structure is checked before the declared stack size). */
function check(p: ProgramCode): ReturnType<typeof validatePrograms> {
  return validatePrograms(programsToBundle([p]), BOUNDS);
}

function refusal(p: ProgramCode): string {
  try {
    check(p);
  } catch (e) {
    expect(e).toBeInstanceOf(NextbestError);
    expect((e as NextbestError).code).toBe('BUNDLE_INVALID');
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('bytecode validator', () => {
  it('accepts well-formed programs, including unreachable code', () => {
    const ok = prog([OP.RET_1!, OP.PUSH_K!, 0, OP.RET!]);
    const set = check(ok);
    expect(set.programs[0]!.maxStack).toBe(0);
    for (const v of VARIANTS) {
      const h = new ProgramHost(WasmInstance.create(v), set);
      h.load(new Float64Array(4), new Float32Array(4));
      expect(h.evalOne(0)).toBe(1);
    }
    expect(evalReference(ok, new Float64Array(4), new Float32Array(4))).toBe(1);
  });

  it('refuses each kind of unsafe program', () => {
    const K = OP.PUSH_K!;
    const cases: [string, ProgramCode, RegExp][] = [
      ['empty', prog([]), /empty/],
      ['unknown opcode', prog([999]), /unknown opcode 999 at word 0/],
      ['negative opcode', prog([-1]), /unknown opcode -1/],
      ['cut off', prog([K]), /PUSH_K at word 0 is cut off/],
      ['no return at the end', prog([K, 0]), /last instruction must return/],
      ['return with an empty stack', prog([OP.RET!]), /RET at word 0 needs 1 value/],
      ['binary op underflow', prog([K, 0, OP.ADD!, OP.RET!]), /ADD at word 2 needs 2 value/],
      ['constant out of range', prog([K, 1, OP.RET!]), /constant 1 is outside the 1 constants/],
      ['slot out of range', prog([OP.LOAD_S!, 4, OP.RET!]), /frame slot 4 is outside the frame \(0\.\.3\)/],
      ['negative feature', prog([OP.LOAD_F!, -1, OP.RET!]), /feature -1 is outside the schema/],
      ['backward jump', prog([OP.RET_0!, OP.JMP!, 0, OP.RET_1!]), /jump at word 1 goes to word 0/],
      ['jump to itself', prog([OP.JMP!, 0, OP.RET_1!]), /jump at word 0 goes to word 0/],
      ['jump past the end', prog([OP.JMP!, 3, OP.RET_1!]), /goes to word 3/],
      ['jump into an operand', prog([OP.JMP!, 3, K, 0, OP.RET!]), /goes to word 3/],
      ['depths differ where paths meet', prog([K, 0, OP.JF!, 6, K, 0, OP.RET!]), /paths meet at word 6 with stack depths 0 and 1/],
      ['unsorted set', prog([K, 0, OP.IN_LIST!, 0, 2, OP.RET!], [2, 1]), /strictly ascending/],
      ['NaN in a set', prog([K, 0, OP.IN_LIST!, 0, 1, OP.RET!], [NaN]), /strictly ascending/],
      ['set past the constants', prog([K, 0, OP.IN_LIST!, 0, 3, OP.RET!], [1, 2]), /constants \[0, 3\) are outside/],
      ['fused jump target in an operand', prog([OP.JF_GT_SK!, 0, 0, 2, OP.RET_1!]), /goes to word 2/],
      ['stack deeper than the VM', prog([...Array.from({ length: 257 }, () => [K, 0]).flat(), ...Array.from({ length: 256 }, () => OP.ADD!), OP.RET!]), /needs 257 stack entries, more than the VM's 256/],
    ];
    for (const [what, p, re] of cases) expect(refusal(p), what).toMatch(re);
  });

  it('debug build: the VM asserts what the validator promises', () => {
    // Programs that skipped validation: the debug build must abort, not read out of bounds.
    const unchecked = (code: number[], consts: number[] = [0]) => ({
      programs: [{ ...prog(code, consts, 1), resultKind: 'number' as const, slotsRead: [], featuresRead: [] }],
      ...BOUNDS,
    });
    const host = (code: number[]) => {
      const h = new ProgramHost(WasmInstance.create('debug'), unchecked(code));
      h.load(new Float64Array(4), new Float32Array(4));
      return h;
    };
    const abort = (code: number[]) => {
      try {
        host(code).evalOne(0);
      } catch (e) {
        expect((e as NextbestError).code).toBe('WASM_ABORT');
        return (e as Error).message;
      }
      throw new Error('no abort');
    };
    expect(abort([OP.LOAD_S!, 4, OP.RET!])).toMatch(/frame slot out of bounds/);
    expect(abort([OP.LOAD_F!, 9, OP.RET!])).toMatch(/feature out of bounds/);
    expect(abort([OP.JF_GT_SK!, 0, 0, 0, OP.RET_1!])).toMatch(/jump target out of bounds/);
    expect(abort([OP.PUSH_K!, 0, OP.ADD!, OP.ADD!, OP.RET!])).toMatch(/stack underflow/);
    const h = host([OP.RET_1!]);
    h.wasm.i32[(h.ptrs[0]! + 32) >> 2] = 177; // an opcode no table has
    expect(() => h.evalOne(0)).toThrow(/unknown opcode/);
  });

  it('refuses a wrong declared stack size and malformed sections', () => {
    const p = compileExpr('x0 + x1 * 2', ENV);
    const good = programsToBundle([p]) as Record<string, unknown>;
    const bounds = { frameSlots: 7, features: 6 };
    expect(validatePrograms(good, bounds).programs[0]!.maxStack).toBe(2);
    const bad: [string, Record<string, unknown>, RegExp][] = [
      ['declared stack', { ...good, maxStack: new Uint8Array(Int32Array.of(5).buffer) }, /declares a stack of 5 but needs 2/],
      ['count', { ...good, count: 2 }, /has 2 entries for 2 programs|must start at 0/],
      ['negative count', { ...good, count: -1 }, /count must be a non-negative integer/],
      ['offsets', { ...good, codeOffsets: new Uint8Array(Int32Array.of(0, 3).buffer) }, /codeOffsets must start at 0 and end at/],
      ['odd bytes', { ...good, code: new Uint8Array(3) }, /not a whole number of 4-byte elements/],
      ['result kind', { ...good, resultKinds: Uint8Array.of(9) }, /unknown result kind 9/],
      ['sources', { ...good, sources: [1] }, /sources must be 1 strings/],
      ['code type', { ...good, code: 'x' }, /expected binary data/],
    ];
    for (const [what, section, re] of bad) {
      try {
        validatePrograms(section, bounds);
        throw new Error(`accepted ${what}`);
      } catch (e) {
        expect((e as NextbestError).code, what).toBe('BUNDLE_INVALID');
        expect((e as Error).message, what).toMatch(re);
      }
    }
    expect(() => validatePrograms(good, { frameSlots: -1, features: 6 })).toThrow(/bounds.frameSlots must be a non-negative integer/);
    expect(() => validatePrograms(good, { features: 6 } as never)).toThrow(/bounds.frameSlots must be a non-negative integer/);
  });

  it('round-trips programs through the bundle section with their sources and kinds', () => {
    const progs = ['x0 > 1', 'x0 + 1', 'coalesce(plan, "gold")'].map((s) => compileExpr(s, ENV));
    const set = validatePrograms(programsToBundle(progs), { frameSlots: 7, features: 6 });
    expect(set.programs.map((p) => [p.source, p.resultKind])).toEqual([
      ['x0 > 1', 'bool'],
      ['x0 + 1', 'number'],
      ['coalesce(plan, "gold")', 'category'],
    ]);
    set.programs.forEach((p, i) => {
      expect(Array.from(p.code)).toEqual(Array.from(progs[i]!.code));
      expect(p.featuresRead).toEqual(progs[i]!.featuresRead);
    });
    expect(validatePrograms(programsToBundle([]), { frameSlots: 0, features: 0 }).programs).toEqual([]);
  });
});
