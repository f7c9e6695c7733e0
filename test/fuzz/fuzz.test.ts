/**
 * The fuzzer in CI: a short fixed-seed campaign over every target (the long
 * ones are `npm run fuzz`, docs/operations.md), the saved failing inputs of
 * earlier campaigns replayed as regression cases (test/fixtures/fuzz/), and
 * fast-check properties on the same input paths with arbitrary values. The
 * rule everywhere: a typed NextbestError (not WASM_ABORT/WASM_TRAP) or a
 * result, on the debug wasm build; never another exception, never a hang.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeEnvelope, decodePayload, encodeEnvelope, packValue } from '../../src/bundle/codec.js';
import { compileSpec } from '../../src/compile/spec.js';
import { SpecSource } from '../../src/compile/source.js';
import { compileExpr } from '../../src/compile/expr/index.js';
import { importXGBoost } from '../../src/models/xgboost.js';
import { Engine } from '../../src/engine.js';
import { ENV } from '../helpers/expr.js';
import { mulberry32 } from '../helpers/random.js';
import { caseRand, regressionCases, runCampaign, runCase } from './campaign.js';
import { isTypedOutcome, prepareTargets, TARGETS, targetByName } from './targets.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'fuzz');

/** Runs f; passes on a result or a typed error, fails on anything else. */
async function typedOrOk(f: () => unknown): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (isTypedOutcome(e)) return;
    throw e;
  }
}

describe('fuzz campaign (fixed seed, debug wasm)', () => {
  it('every target: only typed errors, checked results, no case over 2 s', async () => {
    const r = await runCampaign({ seed: 20261123, casesPerTarget: 40, caseTimeoutMs: 2000 });
    const report = r.failures.map((f) => `${f.target} case ${f.caseNo}: ${f.message}\n  input: ${JSON.stringify(typeof f.input === 'string' ? f.input.slice(0, 400) : Array.from(f.input.slice(0, 64)))}`);
    expect(report).toEqual([]);
    for (const t of TARGETS) {
      const st = r.stats[t.name]!;
      expect(st.cases).toBe(40);
      // the mutations reach past the first check: some inputs are refused with typed errors, some run through
      const outcomes = Object.keys(st.codes);
      expect(outcomes.length, `${t.name}: ${outcomes.join(', ')}`).toBeGreaterThan(2);
      expect(st.codes.ok ?? 0, `${t.name} ran no input through`).toBeGreaterThan(0);
    }
  });

  it('a case is reproduced from (seed, target, case number) alone', async () => {
    await prepareTargets();
    for (const t of TARGETS) {
      const a = t.generate(caseRand(5, t.name, 17));
      const b = t.generate(caseRand(5, t.name, 17));
      expect(a).toEqual(b);
    }
  });

  it('replays the saved failing inputs of earlier campaigns (test/fixtures/fuzz)', async () => {
    const cases = regressionCases(FIXTURES);
    for (const c of cases) {
      const t = targetByName(c.target);
      for (let s = 0; s < 3; s++) {
        const codes: Record<string, number> = {};
        await expect(runCase(t, c.input, mulberry32(s), codes), c.file).resolves.toBeTypeOf('string');
      }
    }
  });
});

describe('fuzz properties (fast-check)', () => {
  it('bundle envelope: arbitrary bytes are refused with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (b) => {
        await typedOrOk(() => Engine.load(b, { wasm: 'debug' }));
      }),
      { numRuns: 300, seed: 1 },
    );
  });

  it('bundle payload: arbitrary msgpack values with a valid checksum are refused with a typed error or load', async () => {
    const payload = fc.dictionary(
      fc.constantFrom('minor', 'meta', 'features', 'context', 'models', 'state', 'journeys', 'decisions', 'learning', '__proto__'),
      fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.uint8Array({ maxLength: 16 }).map((u) => new Uint8Array(u))),
    );
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const bytes = encodeEnvelope(packValue(p));
        await typedOrOk(() => decodePayload(decodeEnvelope(bytes)));
        await typedOrOk(() => Engine.load(bytes, { wasm: 'debug' }));
      }),
      { numRuns: 300, seed: 2 },
    );
  });

  it('spec compiler: arbitrary JSON documents and YAML text compile or fail with a typed error', async () => {
    const doc = fc.record(
      {
        bundle: fc.oneof(fc.string({ maxLength: 8 }), fc.constant('b')),
        version: fc.oneof(fc.string({ maxLength: 4 }), fc.integer()),
        features: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.constant('numeric'), fc.array(fc.string({ maxLength: 3 }), { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }))), fc.jsonValue({ maxDepth: 2 })),
        models: fc.jsonValue({ maxDepth: 4 }),
        actions: fc.jsonValue({ maxDepth: 3 }),
        events: fc.jsonValue({ maxDepth: 3 }),
        journeys: fc.jsonValue({ maxDepth: 4 }),
      },
      { requiredKeys: ['bundle', 'version'] },
    );
    fc.assert(
      fc.property(doc, (d) => {
        try {
          compileSpec(new SpecSource(JSON.stringify(d), 'p.yaml'));
        } catch (e) {
          if (!isTypedOutcome(e)) throw e;
        }
      }),
      { numRuns: 400, seed: 3 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          compileSpec(new SpecSource(text, 'p.yaml'));
        } catch (e) {
          if (!isTypedOutcome(e)) throw e;
        }
      }),
      { numRuns: 300, seed: 4 },
    );
  });

  it('expression compiler: arbitrary text and token soup compile or fail with an EXPR_ code', () => {
    const token = fc.constantFrom('(', ')', '[', ']', ',', '+', '-', '*', '/', '%', '?', ':', '!', '<', '==', 'and', 'or', 'not', 'in', 'true', 'missing', '1', '0.5', '1e308', '"gold"', 'plan', 'tenure', 'min', 'clamp', 'coalesce', 'isMissing', '.', ' ');
    const source = fc.oneof(fc.string({ maxLength: 80 }), fc.array(token, { maxLength: 40 }).map((ts) => ts.join(' ')));
    fc.assert(
      fc.property(source, (s) => {
        try {
          compileExpr(s, ENV);
        } catch (e) {
          if (!isTypedOutcome(e) || !e.code.startsWith('EXPR_')) throw e;
        }
      }),
      { numRuns: 1000, seed: 5 },
    );
  });

  it('XGBoost importer: arbitrary bytes, text and JSON documents are read or refused with a typed error', () => {
    const doc = fc.record({ learner: fc.jsonValue({ maxDepth: 5 }), version: fc.jsonValue({ maxDepth: 1 }) });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 200 }), doc.map((d) => JSON.stringify(d))), (input) => {
        try {
          importXGBoost(input);
        } catch (e) {
          if (!isTypedOutcome(e)) throw e;
        }
      }),
      { numRuns: 500, seed: 6 },
    );
    // UBJ markers followed by arbitrary bytes: the UBJ reader's paths
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (tail) => {
        try {
          importXGBoost(Uint8Array.from([0x7b, 0x55, ...tail]), { format: 'ubj' });
        } catch (e) {
          if (!isTypedOutcome(e)) throw e;
        }
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});
