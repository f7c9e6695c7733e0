import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { decodeBundle, encodeBundle, encodeEnvelope, packValue } from '../../src/bundle/codec.js';
import { Model } from '../../src/index.js';
import { codeOf } from '../helpers/errors.js';

const payload = { meta: { name: 't', version: '1', created: 'x', generator: 'test', sources: {} }, features: [], models: [] };


const raw = new Packr({ useRecords: false });

describe('bundle container', () => {
  it('round-trips a payload', () => {
    const { envelope, payload: p } = decodeBundle(encodeBundle(payload));
    expect(envelope.magic).toBe('NBB1');
    expect(envelope.format).toBe(1);
    expect(p.meta.name).toBe('t');
  });

  it('gives each broken container its own code', () => {
    const good = encodeBundle(payload);
    const body = packValue(payload);
    expect(codeOf(() => decodeBundle(new Uint8Array(raw.pack({ magic: 'NOPE', format: 1, payload: body, sha256: new Uint8Array(32) }))))).toBe(
      'BUNDLE_MAGIC',
    );
    expect(codeOf(() => decodeBundle(new Uint8Array(raw.pack([1, 2, 3]))))).toBe('BUNDLE_MAGIC');
    const v2 = new Uint8Array(raw.pack({ magic: 'NBB1', format: 2, payload: body, sha256: new Uint8Array(32) }));
    expect(codeOf(() => decodeBundle(v2))).toBe('BUNDLE_VERSION');
    const env = encodeEnvelope(body);
    // flip one payload byte: the envelope still decodes, the checksum does not match
    const flipped = env.slice();
    const at = Buffer.from(flipped).indexOf(Buffer.from(body)) + 5;
    flipped[at] ^= 1;
    expect(codeOf(() => decodeBundle(flipped))).toBe('BUNDLE_CHECKSUM');
    for (const cut of [1, 10, good.length - 1, Math.floor(good.length / 2)]) {
      expect(codeOf(() => decodeBundle(good.subarray(0, cut)))).toBe('BUNDLE_TRUNCATED');
    }
    expect(codeOf(() => decodeBundle(new Uint8Array(0)))).toBe('BUNDLE_TRUNCATED');
    expect(codeOf(() => decodeBundle(new Uint8Array([0xc1, 0, 0])))).toBe('BUNDLE_DECODE');
    expect(codeOf(() => decodeBundle('NBB1' as unknown as Uint8Array))).toBe('ARGUMENT_INVALID');
  });

  it('refuses a model bundle whose tables do not validate', async () => {
    const m = await Model.fromLinear({ weights: { a: 1 } });
    const { payload: p } = decodeBundle(m.toBundle());
    const model = (p.models as Record<string, unknown>[])[0]!;
    model.features = new Uint8Array(new Int32Array([5]).buffer); // index outside a 1-feature schema
    await expect(Model.fromBundle(encodeBundle(p))).rejects.toMatchObject({ code: 'BUNDLE_INVALID' });
    model.features = new Uint8Array(3); // not a whole number of i32
    await expect(Model.fromBundle(encodeBundle(p))).rejects.toMatchObject({ code: 'BUNDLE_INVALID' });
    model.kind = 'quantum';
    await expect(Model.fromBundle(encodeBundle(p))).rejects.toMatchObject({ code: 'BUNDLE_INVALID' });
  });
});
