import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, compileSpec, Engine, inspectBundle, NextbestError, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { AdaptiveModel } from '../../src/adaptive/model.js';
import type { AdaptiveTable } from '../../src/models/adaptive.js';

const dir = mkdtempSync(join(tmpdir(), 'nb-adaptive-spec-'));
const sample = Array.from({ length: 100 }, (_, i) => JSON.stringify({ tenure: i % 50, plan: ['basic', 'premium', 'business'][i % 3], extra: 1 })).join('\n');
writeFileSync(join(dir, 'seed.ndjson'), sample + '\n');

const SPEC = `
bundle: shop
version: "1"
features:
  tenure: numeric
  spend: numeric
  plan: [basic, premium, business, legacy]
models:
  offers:
    adaptive:
      instances: action_channel
      sample: seed.ndjson
      predictors:
        tenure: { bins: 5 }
        spend: { thresholds: [20, 50, 100] }
        plan: {}
      exploration: { method: thompson, ramp: { start: 0.05, positives: 100 } }
  overall:
    adaptive:
      instances: model
      predictors:
        plan: { categories: [basic, premium] }
      scoreBins: 50
`;

function compile(text: string) {
  return compileSpec(new SpecSource(text, join(dir, 'spec.yaml')), { baseDir: dir, created: '2026-01-01T00:00:00Z' });
}

function errorOf(text: string): NextbestError {
  try {
    compile(text);
  } catch (e) {
    if (e instanceof NextbestError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('spec compiler: adaptive models', () => {
  it('compiles binning from a sample, thresholds and the dictionary', async () => {
    const payload = compile(SPEC);
    expect(Object.keys(payload.meta.sources)).toContain('seed.ndjson');
    const engine = await Engine.load(encodeBundle(payload));
    expect(engine.learning.modelIds).toEqual(['offers', 'overall']);
    const t = engine.learning.table('offers');
    expect(t.instances).toBe('action_channel');
    expect([...t.predictors[0]!.thresholds]).toEqual([10, 20, 30, 40]); // equal-frequency over 0..49
    expect([...t.predictors[1]!.thresholds]).toEqual([20, 50, 100]);
    expect(t.predictors[2]!.categories).toEqual(['basic', 'premium', 'business']); // seen in the sample
    expect(t.exploration).toEqual({ method: 'thompson', epsilon: 0, rampStart: 0.05, rampPositives: 100 });
    const overall = engine.learning.table('overall') as AdaptiveTable;
    expect(overall.predictors[0]!.categories).toEqual(['basic', 'premium']);
    expect(overall.scoreThresholds.length).toBe(49);
    // a per-model adaptive model scores through engine.score; a per-action one says how to score it
    expect(engine.score('overall', { plan: 'basic' })[0]).toBe(0.5);
    expect(() => engine.score('offers', { plan: 'basic' })).toThrow(expect.objectContaining({ code: 'MODEL_KIND' }));
    expect(engine.learning.propensity('offers', { action: 'upgrade', channel: 'web' }, { tenure: 3, plan: 'basic' })).toBe(0.5);
    const summary = inspectBundle(encodeBundle(payload)).models.find((x) => x.id === 'offers')!.summary;
    expect(summary).toMatch(/^3 predictors, 16 bins, 200 score bins, per action_channel, thompson; \d+ bytes per instance$/);
    // the table round-trips through a bundle
    const m = await AdaptiveModel.fromBundle(encodeBundle(payload), { id: 'offers' });
    expect(m.table).toEqual(t);
  });

  it('points errors at the predictor, with the file, line and column', () => {
    const noSample = errorOf(SPEC.replace('      sample: seed.ndjson\n', ''));
    expect(noSample.code).toBe('MODEL_INVALID');
    expect(noSample.message).toMatch(/spec\.yaml:13:17: models\.offers\.adaptive\.predictors\.tenure: adaptive model "offers": predictor "tenure": equal-frequency bins need a seeding sample/);
    const unknown = errorOf(SPEC.replace('spend: { thresholds', 'spnd: { thresholds'));
    expect(unknown.code).toBe('SPEC_INVALID');
    expect(unknown.message).toContain('predictor "spnd" is not a feature');
    expect(errorOf(SPEC.replace('plan: {}', 'plan: { bins: 3 }')).message).toContain('predictor "plan" is categorical: use categories');
    expect(errorOf(SPEC.replace('[20, 50, 100]', '[50, 20]')).message).toContain('thresholds must be strictly ascending');
    expect(errorOf(SPEC.replace('instances: action_channel', 'instances: customer')).message).toContain('instances must be "model", "action" or "action_channel"');
    expect(errorOf(SPEC.replace('method: thompson', 'method: greedy')).message).toContain('exploration.method must be');
    expect(errorOf(SPEC.replace('      scoreBins: 50', '      scoreBins: 1')).message).toContain('scoreBins must be an integer in [2, 1024]');
    expect(errorOf(SPEC.replace('sample: seed.ndjson', 'sampel: seed.ndjson')).message).toContain('did you mean "sample"');
    expect(errorOf(SPEC.replace('categories: [basic, premium]', 'categories: [basic, gold]')).message).toContain('"gold" is not a category');
    writeFileSync(join(dir, 'bad.ndjson'), '{"tenure": 1}\n{"tenure": \n');
    expect(errorOf(SPEC.replace('seed.ndjson', 'bad.ndjson')).message).toMatch(/bad\.ndjson:2: not valid JSON/);
    writeFileSync(join(dir, 'badtype.ndjson'), '{"tenure": "long"}\n');
    expect(errorOf(SPEC.replace('seed.ndjson', 'badtype.ndjson')).message).toContain('sample row 1: feature "tenure" is numeric');
    expect(errorOf(SPEC.replace('seed.ndjson', 'nope.ndjson')).message).toMatch(/cannot read nope\.ndjson: ENOENT/);
  });

  it('carries a starting learning snapshot in the bundle', async () => {
    const a = await Engine.load(encodeBundle(compile(SPEC)));
    const ref = { action: 'upgrade', channel: 'web' };
    for (let i = 0; i < 30; i++) {
      const obs = a.learning.observe('offers', ref, { tenure: i, spend: i * 3, plan: i % 2 ? 'basic' : 'premium' });
      a.learning.learn(obs, i % 3 === 0 ? 'accept' : 'reject');
    }
    const snap = a.learning.snapshot();
    writeFileSync(join(dir, 'learned.nbls'), snap);
    writeFileSync(join(dir, 'with-learning.yaml'), SPEC + 'learning: learned.nbls\n');
    const bytes = await buildBundle(join(dir, 'with-learning.yaml'));
    const b = await Engine.load(bytes);
    expect(Buffer.from(b.learning.snapshot()).equals(Buffer.from(snap))).toBe(true);
    expect(b.learning.report('offers', ref).positives).toBe(10);
    // what a bundle starts from is not local learning: the first delta is empty
    const delta = await Engine.load(bytes);
    const d = delta.learning.delta();
    const fresh = await Engine.load(encodeBundle(compile(SPEC)));
    fresh.learning.merge(d);
    expect(fresh.learning.report('offers', ref).positives).toBe(0);

    writeFileSync(join(dir, 'garbage.nbls'), 'not a snapshot');
    const bad = errorOf(SPEC + 'learning: garbage.nbls\n');
    expect(bad.code).toBe('LEARNING_INVALID');
    expect(bad.message).toMatch(/spec\.yaml:\d+:\d+: learning: garbage\.nbls: /);
    // a snapshot of differently binned models fails when the bundle loads
    writeFileSync(join(dir, 'other.yaml'), SPEC.replace('[20, 50, 100]', '[25, 50, 100]') + 'learning: learned.nbls\n');
    await expect(buildBundle(join(dir, 'other.yaml'))).rejects.toThrow(/bundle learning section: learning state of model "offers" was learned with different bins/);
  });
});
