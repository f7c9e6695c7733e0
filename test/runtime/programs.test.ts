import { describe, expect, it } from 'vitest';
import { NextbestError } from '../../src/errors.js';
import { compileExpr, programsToBundle, validatePrograms } from '../../src/compile/expr/index.js';
import { WasmInstance } from '../../src/runtime/wasm.js';
import { ProgramHost } from '../../src/runtime/programs.js';
import { ENV, FEATURES, FRAME_SLOTS } from '../helpers/expr.js';

describe('ProgramHost', () => {
  it('runs a placed set, survives memory growth and checks its arguments', () => {
    const progs = ['x0 + 1', 'score.churn > 0.5', 'plan == "gold"'].map((s) => compileExpr(s, ENV));
    const wasm = WasmInstance.create();
    const host = new ProgramHost(wasm, validatePrograms(programsToBundle(progs), { frameSlots: FRAME_SLOTS, features: FEATURES }));
    const frame = new Float64Array(FRAME_SLOTS);
    frame[0] = 0.7;
    const features = Float32Array.of(2, 0, 0, 0, 1, 0);
    host.load(frame, features);
    expect(Array.from(host.evalAll())).toEqual([3, 1, 1]);
    wasm.alloc(4 << 20); // grows memory: views detach and must be refreshed
    host.frameView[0] = 0.2;
    expect(Array.from(host.evalAll())).toEqual([3, 0, 1]);
    expect(host.evalOne(0)).toBe(3);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as NextbestError).code;
      }
      return 'none';
    };
    expect(code(() => host.load(new Float64Array(2), features))).toBe('ARGUMENT_INVALID');
    expect(code(() => host.load(frame, new Float32Array(FEATURES + 1)))).toBe('ARGUMENT_INVALID');
    expect(code(() => host.evalOne(3))).toBe('ARGUMENT_INVALID');
    expect(host.count).toBe(3);
  });
});

describe('featureBindings', () => {
  it('binds a schema for expressions', async () => {
    const { FeatureSchema } = await import('../../src/runtime/features.js');
    const { featureBindings, mapEnv } = await import('../../src/compile/expr/index.js');
    const schema = new FeatureSchema([
      { name: 'tenure', type: 'numeric' },
      { name: 'plan', type: 'categorical', categories: ['basic', 'gold'] },
      { name: 'zone', type: 'categorical' },
      { name: 'my-key', type: 'numeric' },
    ]);
    const b = featureBindings(schema);
    expect(Object.keys(b)).toEqual(['tenure', 'plan', 'zone']);
    expect(b.plan).toEqual({ type: { kind: 'category', dict: 'plan', values: ['basic', 'gold'] }, source: 'features', index: 1 });
    expect(b.zone!.type.kind).toBe('number');
    const prefixed = featureBindings(schema, 'features');
    expect(Object.keys(prefixed)).toContain('features["my-key"]');
    const p = compileExpr('features.plan == "gold" and features["my-key"] > 1 and features.zone in [3]', mapEnv(prefixed));
    expect(p.featuresRead).toEqual([1, 2, 3]);
  });
});
