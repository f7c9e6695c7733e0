import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, Model, generateKeyPair, signBundle, runCli } from '../../src/index.js';
import { decodeEnvelope, encodeEnvelope, packValue } from '../../src/bundle/codec.js';
import { Packr } from 'msgpackr';
import { codeOfAsync } from '../helpers/errors.js';


describe('signed bundles', async () => {
  const model = await Model.fromLinear({ id: 'm', weights: { a: 1 } });
  const bundle = model.toBundle({ name: 'signed', version: '3' });
  const k = generateKeyPair();
  const other = generateKeyPair();
  const signed = signBundle(bundle, k.privateKeyPem);

  it('loads a bundle signed by a trusted key and reports its identity', async () => {
    const e = await Engine.load(signed, { trustedKeys: [other.publicKeyPem, k.publicKeyPem] });
    expect(e.info).toMatchObject({ name: 'signed', version: '3', keyId: k.keyId, verified: true });
    expect(e.info.sha256).toMatch(/^[0-9a-f]{64}$/);
    // without trusted keys a signed bundle loads too (unverified)
    expect((await Engine.load(signed)).info.verified).toBe(false);
  });

  it('refuses unsigned, untrusted and tampered bundles with the right code', async () => {
    expect(await codeOfAsync(Engine.load(bundle, { trustedKeys: [k.publicKeyPem] }))).toBe('BUNDLE_UNSIGNED');
    expect(await codeOfAsync(Engine.load(signed, { trustedKeys: [other.publicKeyPem] }))).toBe('BUNDLE_SIGNATURE');
    // a swapped payload with a valid checksum and the old signature
    const env = decodeEnvelope(signed);
    const evil = await Model.fromLinear({ id: 'm', weights: { a: 1000 } });
    const evilEnv = decodeEnvelope(evil.toBundle());
    const swapped = encodeEnvelope(evilEnv.payload, { signature: env.signature!, keyId: env.keyId! });
    expect(await codeOfAsync(Engine.load(swapped, { trustedKeys: [k.publicKeyPem] }))).toBe('BUNDLE_SIGNATURE');
    // one flipped bit in the signature
    const sig = env.signature!.slice();
    sig[7] ^= 0x10;
    const badSig = encodeEnvelope(env.payload, { signature: sig, keyId: env.keyId! });
    expect(await codeOfAsync(Engine.load(badSig, { trustedKeys: [k.publicKeyPem] }))).toBe('BUNDLE_SIGNATURE');
    // every single-bit flip anywhere in the signed file is refused
    const codes = new Set<string>();
    for (let i = 0; i < signed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const t = signed.slice();
        t[i] ^= 1 << bit;
        codes.add(await codeOfAsync(Engine.load(t, { trustedKeys: [k.publicKeyPem] })));
      }
    }
    expect(codes.has('ok')).toBe(false);
    // a signature that is not binary
    const raw = new Packr({ useRecords: false }).pack({ magic: 'NBB1', format: 1, payload: env.payload, sha256: env.sha256, signature: 'x', keyId: env.keyId });
    expect(await codeOfAsync(Engine.load(new Uint8Array(raw), { trustedKeys: [k.publicKeyPem] }))).toBe('BUNDLE_DECODE');
    void packValue;
  });

  it('rejects keys that are not Ed25519 PEM public keys', async () => {
    expect(await codeOfAsync(Engine.load(signed, { trustedKeys: ['not a key'] }))).toBe('OPTION_INVALID');
    expect(await codeOfAsync(Engine.load(signed, { trustedKeys: [k.privateKeyPem.replace('PRIVATE', 'PUBLIC')] }))).toBe('OPTION_INVALID');
  });

  it('keygen, sign and validate from the CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-sign-'));
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'b.nbb'), bundle);
    expect(await runCli(['keygen', '--out', join(dir, 'keys')], io)).toBe(0);
    expect(await runCli(['keygen', '--out', join(dir, 'keys')], io)).toBe(1); // refuses to overwrite
    expect(await runCli(['sign', join(dir, 'b.nbb'), '--key', join(dir, 'keys', 'key.pem'), '-o', join(dir, 'b.signed.nbb')], io)).toBe(0);
    expect(await runCli(['validate', join(dir, 'b.signed.nbb'), '--trusted-key', join(dir, 'keys', 'key.pub.pem')], io)).toBe(0);
    expect(lines.at(-1)).toMatch(/signed by [0-9a-f]{16}/);
    expect(await runCli(['validate', join(dir, 'b.nbb'), '--trusted-key', join(dir, 'keys', 'key.pub.pem')], io)).toBe(1);
    expect(lines.at(-1)).toMatch(/BUNDLE_UNSIGNED/);
    expect(readFileSync(join(dir, 'keys', 'key.pem'), 'utf8')).toContain('PRIVATE KEY');
  });
});
