import { describe, expect, it } from 'vitest';
import { bundlePolicy } from '../../src/evaluate/policy.js';
import type { Engine } from '../../src/engine.js';

describe('bundle policy (the seam to engine.decide)', () => {
  it('asks the engine for its top action with the logged customer, features, channel and time', () => {
    const calls: unknown[] = [];
    const engine = {
      info: { name: 'fake' },
      actionIds: ['up', 'down'],
      decide(req: unknown, opts: unknown) {
        calls.push([req, opts]);
        return { actions: (req as { features: { x: number } }).features.x > 0 ? [{ id: 'up', propensity: 0.2 }, { id: 'down', propensity: 0.1 }] : [] };
      },
    } as unknown as Engine;
    const policy = bundlePolicy(engine);
    expect(policy({ customerId: 'c1', features: { x: 1 }, context: { segment: 's' }, channel: 'web', at: 5, action: 'down', probability: 0.5, reward: 0 })).toEqual({
      action: 'up',
      expected: { up: 0.2 },
    });
    expect(calls[0]).toEqual([{ customerId: 'c1', features: { x: 1 }, context: { segment: 's', channel: 'web', now: 5 } }, { limit: 1 }]);
    expect(policy({ features: { x: 0 }, at: 6, action: 'down', probability: 0.5, reward: 0 })).toEqual({ action: null });
    // a bundle decides at a time: the log must say when
    expect(() => policy({ features: { x: 0 }, action: 'down', probability: 0.5, reward: 0 })).toThrow(/LOG_INVALID|every logged decision needs "at"/);
  });
});
