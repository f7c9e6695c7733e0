/**
 * The rule VM against its twins: random well-typed expressions, compiled and
 * run on random frames (NaN, infinities, -0, codes outside dictionaries):
 * AST evaluator == bytecode reference == wasm release == wasm debug, bit for
 * bit. And the validator against mutated bytecode: every mutant is either
 * refused with BUNDLE_INVALID or runs safely (debug build: no assertion, no
 * trap) with the same result in every interpreter.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NextbestError } from '../../../src/errors.js';
import {
  compileExpr,
  disassemble,
  OP,
  OPS,
  programsToBundle,
  validatePrograms,
  type CompiledExpr,
  type ProgramSet,
} from '../../../src/compile/expr/index.js';
import { evalAst, evalReference } from '../../../src/reference/expr.js';
import { WasmInstance } from '../../../src/runtime/wasm.js';
import { ProgramHost } from '../../../src/runtime/programs.js';
import { ENV, ExprGen, FEATURES, FRAME_SLOTS, randomInputs, sameValue } from '../../helpers/expr.js';
import { mulberry32, VARIANTS } from '../../helpers/random.js';

const BOUNDS = { frameSlots: FRAME_SLOTS, features: FEATURES };

function hosts(set: ProgramSet): ProgramHost[] {
  return VARIANTS.map((v) => new ProgramHost(WasmInstance.create(v), set));
}

/** Runs every program of the set on the inputs in all four interpreters; returns the first disagreement. */
function disagreement(
  progs: CompiledExpr[],
  hs: ProgramHost[],
  frame: Float64Array,
  features: Float32Array,
  withAst: boolean,
): string | undefined {
  const wasmResults = hs.map((h) => {
    h.load(frame, features);
    return Array.from(h.evalAll());
  });
  for (let i = 0; i < progs.length; i++) {
    const p = progs[i]!;
    const ref = evalReference(p, frame, features);
    const ast = withAst ? evalAst(p.source, ENV, frame, features) : ref;
    const one = hs[0]!.evalOne(i);
    const all = [ast, ...wasmResults.map((r) => r[i]!), one];
    if (!all.every((v) => sameValue(v, ref))) {
      return `${p.source}\n  frame ${Array.from(frame)} features ${Array.from(features)}\n  reference ${ref}, ast ${ast}, release ${wasmResults[0]![i]}, debug ${wasmResults[1]![i]}, evalOne ${one}\n${disassemble(p)}`;
    }
  }
  return undefined;
}

describe('rule VM', () => {
  it('has the opcode numbers of src/compile/expr/opcodes.ts', () => {
    const src = readFileSync(join(__dirname, '..', '..', '..', 'assembly', 'decide', 'rules.ts'), 'utf8');
    const found = new Map([...src.matchAll(/export const OP_(\w+): i32 = (\d+);/g)].map((m) => [m[1]!, Number(m[2])]));
    expect(found.size).toBe(OPS.length);
    for (const [name, code] of Object.entries(OP)) expect(found.get(name), name).toBe(code);
  });

  it('agrees with the AST evaluator and the bytecode reference on random expressions (both builds)', () => {
    const seeds = fc.sample(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { numRuns: 12, seed: 4242 });
    let compiled = 0;
    for (const seed of seeds) {
      const rand = mulberry32(seed);
      const gen = new ExprGen(rand);
      const progs: CompiledExpr[] = [];
      for (let i = 0; i < 60; i++) {
        const source = gen.any(1 + (i % 5));
        progs.push(compileExpr(source, ENV));
      }
      compiled += progs.length;
      const set = validatePrograms(programsToBundle(progs), BOUNDS);
      const hs = hosts(set);
      for (let trial = 0; trial < 40; trial++) {
        const { frame, features } = randomInputs(rand);
        const bad = disagreement(progs, hs, frame, features, trial < 8);
        expect(bad).toBeUndefined();
      }
    }
    expect(compiled).toBe(720);
  });

  it('computes every operator bit for bit like the reference on a grid of edge values', () => {
    const edges = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3, -7, 0.1, 1e-300, 5e-324, 1e300, 1.7976931348623157e308,
      2 ** 53, 2 ** 53 + 2, 86400000, 1732350000000, -1732350000000, 3599999.5, 63, 64, 12.75];
    const binary = ['+', '-', '*', '/', '%', '==', '!=', '<', '<=', '>', '>='].map((o) => `score.churn ${o} event.amount`);
    const fns = ['min', 'max', 'pow', 'coalesce'].map((f) => `${f}(score.churn, event.amount)`);
    const unary = ['-', 'abs', 'sign', 'floor', 'ceil', 'trunc', 'round', 'sqrt', 'exp', 'log', 'log10', 'sigmoid', 'hourOfDay', 'dayOfWeek', 'isMissing'].map((f) =>
      f === '-' ? '-score.churn' : `${f}(score.churn)`,
    );
    const sets = ['score.churn in [0, 1, 63]', 'score.churn not in [0, 1, 63]', 'score.churn in [-1, 0.5, 1e300]', 'score.churn not in [-1, 0.5, 1e300]'];
    const progs = [...binary, ...fns, ...unary, ...sets, 'score.churn * 2 + 1', 'score.churn - 3', 'score.churn / 3'].map((s) => compileExpr(s, ENV));
    const hs = hosts(validatePrograms(programsToBundle(progs), BOUNDS));
    const features = new Float32Array(FEATURES);
    for (const a of edges) {
      for (const b of edges) {
        const frame = new Float64Array(FRAME_SLOTS);
        frame[0] = a;
        frame[2] = b;
        expect(disagreement(progs, hs, frame, features, false)).toBeUndefined();
      }
    }
  });

  it('evaluates conditions with short-circuit, fused compares and set tests exactly', () => {
    const cases: [string, number[], number[], number][] = [
      // source, frame, features, expected
      ['tenure_months > 12 and plan in ["premium", "gold"]', [], [0, 0, 13, 0, 2], 1],
      ['tenure_months > 12 and plan in ["premium", "gold"]', [], [0, 0, 12, 0, 2], 0],
      ['tenure_months > 12 and plan in ["premium", "gold"]', [], [0, 0, NaN, 0, 2], 0],
      ['tenure_months > 12 and plan in ["premium", "gold"]', [], [0, 0, 20, 0, NaN], 0],
      ['plan not in ["basic"]', [], [0, 0, 0, 0, NaN], 0],
      ['not (plan in ["basic"])', [], [0, 0, 0, 0, NaN], 1],
      ['score.churn > 0.3 and not journey.walkout', [0.31, 0, 0, 0, 0], [], 1],
      ['score.churn > 0.3 and not journey.walkout', [0.31, 0, 0, 0, NaN], [], 1],
      ['score.churn > 0.3 and not journey.walkout', [0.31, 0, 0, 0, 2], [], 0],
      ['score.churn != 0.3', [NaN], [], 0],
      ['not (score.churn == 0.3)', [NaN], [], 1],
      ['x0 == 0.1', [], [0.1], 1],
      ['x0 + 0 == 0.1', [], [0.1], 0],
      ['segment in ["s1", "s69"]', [], [0, 0, 0, 0, 0, 69], 1],
      ['segment in ["s1", "s69"]', [], [0, 0, 0, 0, 0, 68.5], 0],
      ['context.channel == home_channel', [0, 0, 0, 0, 0, 1], [], 1],
      ['coalesce(score.churn, 0.5)', [NaN], [], 0.5],
      ['1 / 0', [], [], Infinity],
      ['-1 % 0', [], [], NaN],
      ['-7 % 3', [], [], -1],
      ['round(-2.5) + round(2.5) * 10', [], [], 27],
      ['hourOfDay(now) * 100 + dayOfWeek(now)', [0, 0, 0, 1732350000000], [], 806],
      ['hourOfDay(now + 2h)', [0, 0, 0, 1732350000000], [], 10],
      ['clamp(score.churn, 0, 1)', [7], [], 1],
      ['max(score.churn, 1)', [NaN], [], NaN],
      ['isMissing(plan) or plan == "vip"', [], [0, 0, 0, 0, NaN], 1],
      ['7d / 1h', [], [], 168],
    ];
    for (const variant of VARIANTS) {
      const progs = cases.map(([s]) => compileExpr(s, ENV));
      const [h] = [new ProgramHost(WasmInstance.create(variant), validatePrograms(programsToBundle(progs), BOUNDS))];
      cases.forEach(([source, fr, ft, want], i) => {
        const frame = new Float64Array(FRAME_SLOTS);
        frame.set(fr);
        const features = new Float32Array(FEATURES);
        features.set(ft);
        h!.load(frame, features);
        const got = h!.evalOne(i);
        expect(sameValue(got, want), `${source} = ${got}, want ${want}`).toBe(true);
        expect(sameValue(evalReference(progs[i]!, frame, features), want), source).toBe(true);
        expect(sameValue(evalAst(source, ENV, frame, features), want), source).toBe(true);
      });
    }
  });

  it('compiles typical rules to fused instructions', () => {
    const rule = compileExpr('tenure_months > 12 and plan in ["premium", "gold"]', ENV);
    expect(Array.from(rule.code).filter((_, i, c) => i === 0 || i === 4 || i === 9 || i === 10).map((o) => OPS[o]!.name)).toEqual([
      'JF_GT_FK',
      'JF_IN_F',
      'RET_1',
      'RET_0',
    ]);
    expect(disassemble(rule)).toBe(
      ['   0  JF_GT_FK  feature 2, k0 (12) -> 10', '   4  JF_IN_F  feature 4, {1, 2} -> 10', '   9  RET_1', '  10  RET_0'].join('\n'),
    );
    expect(disassemble(compileExpr('segment in ["s1", "s69"] ? x0 * 2 : -1', ENV))).toContain('IN_LIST  [1, 69]');
    expect(rule.maxStack).toBe(0);
    expect(rule.featuresRead).toEqual([2, 4]);
    const churn = compileExpr('score.churn > 0.3 and not journey.walkout', ENV);
    expect(OPS[churn.code[0]!]!.name).toBe('JF_GT_SK');
    expect(OPS[churn.code[4]!]!.name).toBe('JT_SB');
    expect(churn.slotsRead).toEqual([0, 4]);
    // folded: no code for the constant part
    expect(Array.from(compileExpr('2 * 3 + limit', ENV).consts)).toEqual([48]);
  });

  it('refuses or safely runs mutated bytecode', () => {
    const rand = mulberry32(99);
    const gen = new ExprGen(rand);
    const base = Array.from({ length: 40 }, (_, i) => compileExpr(gen.any(1 + (i % 4)), ENV));
    const instances = VARIANTS.map((v) => WasmInstance.create(v));
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.length - 1 }), fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 3 }), (which, seed, nMut) => {
        const r = mulberry32(seed);
        const p = base[which]!;
        const code = Int32Array.from(p.code);
        const consts = Float64Array.from(p.consts);
        for (let m = 0; m < nMut; m++) {
          const kind = r();
          if (kind < 0.75 || consts.length === 0) {
            const at = Math.floor(r() * code.length);
            const choice = r();
            code[at] = choice < 0.4 ? Math.floor(r() * 90) : choice < 0.7 ? code[at]! + (r() < 0.5 ? 1 : -1) : choice < 0.9 ? Math.floor(r() * 40) - 4 : (r() * 2 ** 32) | 0;
          } else {
            consts[Math.floor(r() * consts.length)] = [NaN, -0, 1e308, -Infinity, 3][Math.floor(r() * 5)]!;
          }
        }
        const mutant = { ...p, code, consts };
        let set: ProgramSet;
        try {
          set = validatePrograms(programsToBundle([mutant]), BOUNDS);
        } catch (e) {
          expect(e).toBeInstanceOf(NextbestError);
          expect((e as NextbestError).code).toBe('BUNDLE_INVALID');
          refused++;
          return;
        }
        accepted++;
        const valid = set.programs[0]!;
        const runners = instances.map((w) => new ProgramHost(w, set));
        for (let t = 0; t < 4; t++) {
          const { frame, features } = randomInputs(r);
          const ref = evalReference(valid, frame, features);
          for (const h of runners) {
            h.load(frame, features);
            expect(sameValue(h.evalOne(0), ref)).toBe(true);
          }
        }
      }),
      { numRuns: 600, seed: 7 },
    );
    expect(refused).toBeGreaterThan(100);
    expect(accepted).toBeGreaterThan(20);
  });
});
