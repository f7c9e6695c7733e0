/**
 * Names that are members of Object.prototype (constructor, toString,
 * __proto__, hasOwnProperty, valueOf) written where the library looks names
 * up in tables: expression functions and names, decision and journey names,
 * XGBoost objectives and feature renames, event attributes. Each is an
 * unknown name with the usual typed error, or an ordinary name when the spec
 * declares it; never Object.prototype's member. (The fuzzer found
 * `constructor(...)` compiling to an invalid program.)
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, NextbestError, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { compileExpr } from '../../src/compile/expr/index.js';
import { importXGBoost } from '../../src/models/xgboost.js';
import { ENV } from '../helpers/expr.js';
import { mulberry32 } from '../helpers/random.js';
import { randomXGBoostModel, toXGBoostJson } from '../helpers/random-xgb.js';

const NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

function errorOf(f: () => unknown): NextbestError {
  try {
    f();
  } catch (e) {
    if (e instanceof NextbestError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

const spec = (body: string) => () => compileSpec(new SpecSource(`bundle: x\nversion: "1"\nfeatures: { f: numeric }\n${body}`, 's.yaml'));

describe('Object.prototype member names', () => {
  it('are unknown functions and names in expressions', () => {
    for (const n of NAMES) {
      expect(errorOf(() => compileExpr(`${n}(1)`, ENV)).message).toMatch(new RegExp(`^1:1: unknown function \`${n}\``));
      expect(errorOf(() => compileExpr(`${n}(1, 2) > 0`, ENV)).code).toBe('EXPR_NAME');
      const e = errorOf(() => compileExpr(n, ENV));
      expect(e.code).toBe('EXPR_NAME');
      expect(e.message).not.toContain('is a function');
    }
  });

  it('are unknown names in decision rules, context fields and journey conditions', () => {
    for (const n of NAMES) {
      expect(errorOf(spec(`actions:\n  a: { kind: sale, propensity: 0.5, eligibility: "${n} > 0" }\n`)).message).toMatch(new RegExp(`^s\\.yaml:5:\\d+: unknown name \`${n}\``));
      expect(errorOf(spec(`context: { c: numeric }\nactions:\n  a: { kind: sale, propensity: "context.${n}" }\n`)).code).toBe('EXPR_NAME');
      const journey = `events:\n  e: { x: numeric }\njourneys:\n  patterns:\n    p:\n      within: 1h\n      steps:\n        - event: e\n          as: s0\n        - followedBy: e\n          where: "steps.s0.${n} > 0 or ${n} > 1"\n`;
      expect(errorOf(spec(journey)).code).toBe('EXPR_NAME');
    }
  });

  it('are ordinary names when the spec declares them (event attributes)', async () => {
    const e = await Engine.load(
      encodeBundle(
        compileSpec(
          new SpecSource(
            'bundle: x\nversion: "1"\nfeatures: { f: numeric }\nevents:\n  e: { constructor: numeric, toString: [a, b] }\njourneys:\n  patterns:\n    p:\n      steps:\n        - event: e\n          where: isMissing(event.constructor) and isMissing(event.toString)\n',
            's.yaml',
          ),
        ),
      ),
    );
    // absent attributes are missing, not Object.prototype.constructor / toString
    expect(e.observe('c', { type: 'e', time: 1000 }).matches.map((m) => m.journey)).toEqual(['p']);
    expect(e.observe('c', { type: 'e', time: 2000, constructor: 3 }).matches).toEqual([]);
  });

  it('are unsupported XGBoost objectives', () => {
    for (const n of NAMES) {
      const m = randomXGBoostModel(mulberry32(1), { trees: 1, maxDepth: 1 });
      (m.doc as { learner: { objective: { name: string } } }).learner.objective.name = n;
      expect(errorOf(() => importXGBoost(toXGBoostJson(m.doc))).code).toBe('MODEL_UNSUPPORTED');
    }
  });
});
