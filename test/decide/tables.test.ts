/**
 * Load-time validation of the decisions section: every index, slot, offset,
 * program kind and count is checked before anything reaches the kernel; a
 * bad table is BUNDLE_INVALID naming the field.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, Engine, NextbestError, SpecSource } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { composeLayout, layoutToBundle } from '../../src/state/layout.js';

const SPEC = `
bundle: v
version: "1"
features: { x: numeric, y: numeric }
context: { channel: [app, email], tier: [a, b] }
models:
  m: { linear: { weights: { x: 1 } } }
groups:
  g: { exclusive: s }
actions:
  one: { kind: sale, group: g, propensity: score.m, eligibility: x > 1, suppresses: { kind: service } }
  two: { kind: service, propensity: 0.5, channels: [email], applicability: [y > 0, x < 9] }
policies:
  cap: { max: 2, per: 1d }
  back: { each: action, count: reject, after: 2, within: 9d, suppress: 3d }
`;

type Payload = Record<string, any>;
const base = compileSpec(new SpecSource(SPEC, 'v.yaml'), { created: '2026-01-01T00:00:00Z' }) as Payload;

async function loadError(mutate: (p: Payload) => void): Promise<NextbestError | undefined> {
  const p = structuredClone(base);
  mutate(p);
  try {
    await Engine.load(encodeBundle(p as never), { wasm: 'debug' });
  } catch (e) {
    if (e instanceof NextbestError) return e;
    throw e;
  }
  return undefined;
}

describe('decisions section validation', () => {
  it('loads the unchanged bundle', async () => {
    expect(await loadError(() => {})).toBeUndefined();
  });

  const cases: [string, (p: Payload) => void, RegExp][] = [
    ['an unknown version', (p) => (p.decisions.version = 2), /decisions\.version: this engine reads version 1/],
    ['channels that are not the context dictionary', (p) => (p.decisions.channels = ['email', 'app']), /decisions\.channels: must be the dictionary of the context field `channel`/],
    ['a frame smaller than its programs read', (p) => (p.decisions.frame.slots = 6), /decisions\.frame\.contextSlots\[1\]: expected an integer in \[0, 5\]/],
    ['a context slot on a fixed slot', (p) => (p.decisions.frame.contextSlots[0] = 1), /decisions\.frame\.contextSlots\[0\]: slots \[1, 2\) are outside the free frame/],
    ['two context fields in one slot', (p) => (p.decisions.frame.contextSlots[1] = p.decisions.frame.contextSlots[0]), /slot 5 is used twice/],
    ['a model slot over a context slot', (p) => (p.decisions.frame.models[0].slot = 6), /decisions\.frame\.models\[0\] \("m"\): slot 6 is used twice/],
    ['an unknown model', (p) => (p.decisions.frame.models[0].id = 'zz'), /decisions\.frame\.models\[0\]: no model "zz" in the bundle/],
    ['a channel slot that is no context slot', (p) => (p.decisions.frame.channelSlot = 7), /decisions\.frame\.channelSlot: must be the slot of a context field/],
    ['journey values without journeys', (p) => p.decisions.frame.journeys.push({ valueId: 0, slot: p.decisions.frame.slots - 1 }), /decisions\.frame\.journeys\[0\]|this engine has no journeys/],
    ['a program reading outside the frame', (p) => (p.decisions.programs.codeOffsets = p.decisions.programs.codeOffsets.slice(0, 4)), /decisions\.programs: /],
    ['a program index out of range', (p) => (p.decisions.actions[0].propensity = 999), /decisions\.actions\[0\]\.propensity: expected an integer in \[0, \d+\], got number 999/],
    ['a rule program as propensity', (p) => (p.decisions.actions[0].propensity = p.decisions.actions[0].rules[0][1]), /decisions\.actions\[0\]\.propensity: program \d+ returns a bool, not a number/],
    ['a number program as rule', (p) => (p.decisions.actions[0].rules[0][1] = p.decisions.actions[0].value), /decisions\.actions\[0\]\.rules\[0\]\[1\]: program \d+ returns a number, not a bool/],
    ['a rule index out of range', (p) => (p.decisions.actions[1].rules[0][0] = 50), /decisions\.actions\[1\]\.rules\[0\]\[0\]: expected an integer in \[0, 2\]/],
    ['tiers that do not add up', (p) => (p.decisions.actions[1].tiers = [0, 1, 0]), /decisions\.actions\[1\]\.rules: 2 rules, but the tiers count 1/],
    ['a rule in the wrong tier', (p) => (p.decisions.actions[1].tiers = [2, 0, 0]), /decisions\.actions\[1\]\.rules\[0\]: rule 1 is a applicability rule in the eligibility tier/],
    ['a check on another policy\'s tracker', (p) => (p.decisions.actions[0].checks[0][1] = 1), /decisions\.actions\[0\]\.checks\[0\]: tracker 1 belongs to policy 1, not 0/],
    ['a check on another action\'s tracker', (p) => (p.decisions.actions[0].checks[1][1] = 2), /decisions\.actions\[0\]\.checks\[1\]: tracker 2 is not this action's for policy 1/],
    ['checks out of policy order', (p) => p.decisions.actions[0].checks.reverse(), /decisions\.actions\[0\]\.checks: policies must be strictly ascending/],
    ['a tracker outside the contacts section', (p) => (p.decisions.trackers[2].offset = 24), /decisions\.trackers\[2\]: \[24, 36\) is misaligned or outside the contacts section \(32 bytes\)/],
    ['overlapping trackers', (p) => (p.decisions.trackers[2].offset = 8), /decisions\.trackers\[2\]: overlaps another tracker at byte 8/],
    ['a misaligned tracker', (p) => (p.decisions.trackers[0].offset = 2), /decisions\.trackers\[0\]: \[2, 10\) is misaligned/],
    ['a shared tracker owned by an action', (p) => (p.decisions.trackers[0].action = 0), /decisions\.trackers\[0\]: an `each` policy's tracker belongs to one action, a shared one to none/],
    ['a tracker of no action', (p) => (p.decisions.trackers[1].action = 7), /decisions\.trackers\[1\]\.action: no action 7/],
    ['an action that suppresses itself', (p) => (p.decisions.actions[1].suppresses = [1]), /decisions\.actions\[1\]\.suppresses: an action cannot suppress itself/],
    ['suppression targets out of range', (p) => (p.decisions.actions[0].suppresses = [2]), /decisions\.actions\[0\]\.suppresses\[0\]: expected an integer in \[0, 1\]/],
    ['suppression targets not ascending', (p) => (p.decisions.actions[0].suppresses = [1, 1]), /decisions\.actions\[0\]\.suppresses: indices must be strictly ascending/],
    ['a set out of range', (p) => (p.decisions.actions[0].sets = [1]), /decisions\.actions\[0\]\.sets\[0\]: expected an integer in \[0, 0\]/],
    ['a channel out of range', (p) => (p.decisions.actions[1].channels = [2]), /decisions\.actions\[1\]\.channels\[0\]: expected an integer in \[0, 1\]/],
    ['an action on no channel', (p) => (p.decisions.actions[1].channels = []), /decisions\.actions\[1\]\.channels: an action is offered on at least one channel/],
    ['a repeated action id', (p) => (p.decisions.actions[1].id = 'one'), /decisions\.actions\[1\]: id "one" repeats/],
    ['an unknown kind', (p) => (p.decisions.actions[1].kind = 'gift'), /decisions\.actions\[1\]\.kind: expected one of sale, service/],
    ['a negative lever', (p) => (p.decisions.actions[0].lever = -1), /decisions\.actions\[0\]\.lever: expected a finite number in \[0, 1000000000000\]/],
    ['a group out of range', (p) => (p.decisions.actions[0].group = 3), /decisions\.actions\[0\]\.group: expected an integer in \[-1, 0\]/],
    ['a policy counting nothing', (p) => (p.decisions.policies[0].outcomes = 0), /decisions\.policies\[0\]\.outcomes: expected an integer in \[1, 7\]/],
    ['a policy window in milliseconds', (p) => (p.decisions.policies[0].windowMs = 1500), /decisions\.policies\[0\]: windows are whole seconds/],
    ['a cap with a suppression time', (p) => (p.decisions.policies[0].forMs = 1000), /decisions\.policies\[0\]: a cap has a window of at least 1s and no suppression time/],
    ['a suppression without a window', (p) => (p.decisions.policies[1].windowMs = 0), /decisions\.policies\[1\]: a suppression lasts at least 1s, and counting 2 or more events needs a window/],
    ['a policy count of zero', (p) => (p.decisions.policies[0].n = 0), /decisions\.policies\[0\]\.n: expected an integer in \[1, 255\]/],
    ['a policy on an unknown channel', (p) => (p.decisions.policies[0].channel = 2), /decisions\.policies\[0\]\.channel: expected an integer in \[-1, 1\]/],
    ['channel limits for the wrong channel count', (p) => (p.decisions.arbitration.channelLimits = [1]), /decisions\.arbitration\.channelLimits: 1 entries for 2 channels/],
    ['a trigger on an unknown channel', (p) => p.decisions.triggers.push({ id: 't', journey: 'j', channel: 5, limit: 1 }), /decisions\.triggers\[0\]\.channel/],
    ['a contacts section of the wrong size', (p) => (p.state = layoutToBundle(composeLayout([{ name: 'contacts', size: 8, version: 1, shape: 'x' }]))), /state: the contacts section must be 32 bytes, as the policies need; got 8/],
    ['no state layout', (p) => delete p.state, /a bundle with decisions has a state layout/],
    ['decisions that are not a map', (p) => (p.decisions = [1]), /decisions\.section: expected a map, got an array/],
  ];

  for (const [what, mutate, message] of cases) {
    it(`refuses ${what}`, async () => {
      const e = await loadError(mutate);
      expect(e, 'expected BUNDLE_INVALID').toBeDefined();
      expect(e!.code, e!.message).toBe('BUNDLE_INVALID');
      expect(e!.message).toMatch(message);
    });
  }
});
