/**
 * Explanation reasons whose text is fixed by the bundle (not offered on a
 * channel, a false rule, a blocking policy) are made once per bundle and
 * reused (src/decide/explain.ts): on the shipped telco bundle, with contact
 * history, every such reason equals the text built from the candidate's own
 * action, rule or policy, on every channel and on repeated calls, for the
 * release and debug builds.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Engine, type CandidateExplanation } from '../../src/index.js';
import type { WasmVariant } from '../../src/runtime/wasm.js';

const BUNDLE = new URL('../../models/telco.nbb', import.meta.url);
const lines = (name: string) =>
  readFileSync(new URL(`../../models/telco/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));

describe.each(['release', 'debug'] as WasmVariant[])('fixed explanation reasons (%s)', (wasm) => {
  it('equal the text of the candidate action, rule or policy on every channel, first call and later', async () => {
    const engine = await Engine.load(new Uint8Array(readFileSync(BUNDLE)), { wasm });
    const customers = lines('customers.ndjson');
    for (const c of lines('contacts.ndjson')) engine.record(c);
    const now = Math.max(...customers.map((c) => c.context.now as number));
    const offeredOn = new Map(engine.actions.map((a) => [a.id, a.channels.join(', ')]));
    const allChannels = [...new Set(engine.actions.flatMap((a) => a.channels))];
    const seen = { channel: 0, rule: 0, policy: 0 };
    const check = (x: CandidateExplanation) => {
      const where = x.channel === undefined ? '' : ` on ${x.channel}`;
      if (x.stage === 'channel') {
        seen.channel++;
        expect(x.reason).toBe(`not offered on ${x.channel ?? 'the requested channels'} (offered on ${offeredOn.get(x.action)})`);
      } else if (x.stage === 'eligibility' || x.stage === 'applicability' || x.stage === 'suitability') {
        seen.rule++;
        // journeys the rule reads are appended after "; "
        expect(x.reason.split('; ')[0]).toBe(`${x.stage} rule ${x.rule!.name} (${x.rule!.owner}) is false: ${x.rule!.expression}`);
      } else if (x.stage === 'policy') {
        seen.policy++;
        expect(x.reason).toBe(`blocked by policy ${x.policy!.id}${where}: ${x.policy!.text}`);
      }
    };
    for (const q of customers) {
      for (const channel of [undefined, ...allChannels, allChannels.slice(0, 3)]) {
        const context: Record<string, unknown> = { ...q.context, now };
        if (channel === undefined) delete context.channel;
        else context.channel = channel;
        const req = { customerId: q.customerId, features: q.features, context: context as { now: number } };
        const first = engine.decide(req, { explain: true, seed: 7 });
        const again = engine.decide(req, { explain: true, seed: 7 });
        expect({ ...again, token: undefined }).toEqual({ ...first, token: undefined }); // the decision log's token counts calls
        for (const x of first.explanation!.candidates) check(x);
      }
    }
    expect(seen.channel).toBeGreaterThan(0);
    expect(seen.rule).toBeGreaterThan(0);
    expect(seen.policy).toBeGreaterThan(0);
  });
});
