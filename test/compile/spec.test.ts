import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSpec, SpecSource, Engine, NextbestError } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';

const SPEC = `
bundle: mini
version: "1.0"
features:
  tenure_months: numeric
  plan: [basic, standard, premium]
context:
  channel: [app, web]
models:
  churn:
    linear:
      intercept: -1
      link: logit
      weights:
        tenure_months: -0.05
        plan: { premium: -0.3 }
`;

function errorOf(text: string): NextbestError {
  try {
    compileSpec(new SpecSource(text, 'spec.yaml'));
  } catch (e) {
    if (e instanceof NextbestError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('spec compiler: features, context, models', () => {
  it('compiles a spec into a loadable bundle', async () => {
    const payload = compileSpec(new SpecSource(SPEC, 'spec.yaml'), { created: '2026-01-01T00:00:00Z' });
    const engine = await Engine.load(encodeBundle(payload));
    expect(engine.info.name).toBe('mini');
    expect(engine.modelIds).toEqual(['churn']);
    expect(engine.schema.names).toEqual(['tenure_months', 'plan']);
    expect(engine.context.names).toEqual(['channel']);
    const z = -1 - 0.05 * 10 - 0.3;
    expect(engine.score('churn', { tenure_months: 10, plan: 'premium' })[0]).toBe(Math.fround(1 / (1 + Math.exp(-z))));
  });

  it('points errors at file, line and column', () => {
    const e = errorOf(SPEC.replace('tenure_months: -0.05', 'tenur_months: -0.05'));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.message).toMatch(/^spec\.yaml:\d+:\d+: models\.churn\.linear: linear model: weight for unknown feature "tenur_months"/);
    const typo = errorOf(SPEC.replace('features:', 'featurs:'));
    expect(typo.message).toContain('unknown field "featurs"; did you mean "features"?');
    expect(typo.details).toMatchObject({ line: 4, column: 1 });
    const syntax = errorOf('bundle: [x\nversion: 1');
    expect(syntax.code).toBe('SPEC_PARSE');
    expect(errorOf(SPEC.replace('numeric', 'number')).message).toMatch(/spec\.yaml:5:18: features\.tenure_months: feature type must be/);
    expect(errorOf(SPEC.replace('bundle: mini', 'bundle: "bad name!"')).code).toBe('SPEC_INVALID');
    expect(errorOf(SPEC.replace('    linear:', '    lineal:')).message).toContain('did you mean "linear"');
    expect(errorOf('bundle: x\nversion: 1\nfeatures:\n  a: numeric\n  a: numeric\n').code).toBe('SPEC_PARSE');
  });

  it('refuses a repeated key at its position, in any map at any depth (checked in linear time)', () => {
    const dup = errorOf('bundle: x\nversion: 1\nfeatures:\n  a: numeric\n  b: numeric\n  a: numeric\n');
    expect(dup.message).toBe('spec.yaml:6:3: Map keys must be unique');
    expect(errorOf('bundle: x\nversion: 1\nfeatures: { a: numeric }\nmodels: { m: { linear: { weights: { a: 1, a: 2 } } } }\n').message).toMatch(/^spec\.yaml:4:\d+: Map keys must be unique/);
    expect(errorOf('bundle: x\nversion: 1\nbundle: y\n').code).toBe('SPEC_PARSE');
    // a wide map (the yaml library's own check compares every key with every other)
    const wide = Array.from({ length: 5000 }, (_, i) => `f${i}: numeric`).join(', ');
    const b = compileSpec(new SpecSource(`bundle: w\nversion: 1\nfeatures: { ${wide} }\n`, 'w.yaml'));
    expect((b.features as unknown[]).length).toBe(5000);
  });

  it('reports an unreadable referenced file at its node', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-spec-'));
    const spec = join(dir, 'b.yaml');
    writeFileSync(spec, 'bundle: b\nversion: 1\nfeatures:\n  a: numeric\n');
    expect(() => compileSpec(SpecSource.fromFile(join(dir, 'missing.yaml')))).toThrow(expect.objectContaining({ code: 'SPEC_INVALID' }));
  });
});
