/**
 * Ed25519 signatures over the bundle payload (node:crypto, no dependency).
 *
 * The signature covers the payload bytes exactly as stored in the envelope;
 * it is verified before the payload is decoded, so an engine that trusts
 * only some keys never parses bytes those keys did not sign. A key id is the
 * first 16 hex digits of sha256 over the public key's SPKI DER encoding.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { NextbestError } from '../errors.js';
import { decodeEnvelope, encodeEnvelope } from './codec.js';
import type { BundleEnvelope } from './format.js';

export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
}

export function generateKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

function privateKey(pem: string): KeyObject {
  let k: KeyObject;
  try {
    k = createPrivateKey(pem);
  } catch (e) {
    throw new NextbestError('ARGUMENT_INVALID', `not a PEM private key: ${(e as Error).message}`);
  }
  if (k.asymmetricKeyType !== 'ed25519') {
    throw new NextbestError('ARGUMENT_INVALID', `bundle keys are Ed25519; this key is ${k.asymmetricKeyType}`);
  }
  return k;
}

/** A trusted public key, parsed once. */
export interface TrustedKey {
  keyId: string;
  key: KeyObject;
}

export function parseTrustedKeys(pems: readonly string[]): TrustedKey[] {
  if (!Array.isArray(pems)) throw new NextbestError('OPTION_INVALID', 'trustedKeys must be an array of PEM public keys');
  return pems.map((pem, i) => {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (e) {
      throw new NextbestError('OPTION_INVALID', `trustedKeys[${i}] is not a PEM public key: ${(e as Error).message}`);
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new NextbestError('OPTION_INVALID', `trustedKeys[${i}] is a ${key.asymmetricKeyType} key; bundle keys are Ed25519`);
    }
    return { keyId: keyIdOf(key), key };
  });
}

/** Signs a bundle: same payload, with signature and keyId in the envelope. */
export function signBundle(bundle: Uint8Array, privateKeyPem: string): Uint8Array {
  const env = decodeEnvelope(bundle);
  const key = privateKey(privateKeyPem);
  const signature = new Uint8Array(sign(null, env.payload, key));
  return encodeEnvelope(env.payload, { signature, keyId: keyIdOf(createPublicKey(key)) });
}

/**
 * Verifies the envelope's signature against the trusted keys.
 * BUNDLE_UNSIGNED when there is none, BUNDLE_SIGNATURE when no trusted key verifies it.
 */
export function verifyEnvelope(env: BundleEnvelope, trusted: readonly TrustedKey[]): string {
  if (!env.signature) {
    throw new NextbestError('BUNDLE_UNSIGNED', 'the bundle is not signed, and this engine only loads bundles signed by a trusted key; sign it with `nextbest sign`');
  }
  // The envelope names its key; only that trusted key may verify it (so the key id,
  // which is outside the signed bytes, cannot be altered either).
  const t = trusted.find((k) => k.keyId === env.keyId);
  if (t && verify(null, env.payload, t.key, env.signature)) return t.keyId;
  throw new NextbestError(
    'BUNDLE_SIGNATURE',
    env.keyId && !trusted.some((t) => t.keyId === env.keyId)
      ? `the bundle is signed by key ${env.keyId.slice(0, 32)}, which is not among the ${trusted.length} trusted keys`
      : 'the bundle signature does not verify: the payload was changed after signing, or the signature is corrupt',
    { keyId: env.keyId },
  );
}
