/**
 * The bundle container, format 1.
 *
 * Envelope (msgpack map):
 *   magic     "NBB1"
 *   format    1          major version: a reader refuses majors it does not know
 *   payload   bin        msgpack of BundlePayload (whose `minor` field is the
 *                        minor version: additions older readers ignore; it
 *                        lives inside the checksummed bytes)
 *   sha256    bin(32)    sha256 of the payload bytes
 *   signature bin?       Ed25519 signature of the payload bytes (trust issue)
 *   keyId     str?       which key signed it
 *
 * No other envelope fields are allowed, so a flipped bit anywhere in a bundle
 * is refused: in the payload by the checksum (and signature), in the envelope
 * by the strict shape, in the key id by the check that it names the key that
 * verified the signature.
 *
 * Typed arrays inside the payload are stored as little-endian `bin` and typed
 * by the table schema that reads them (see src/bundle/binary.ts).
 */
export const BUNDLE_MAGIC = 'NBB1';
export const BUNDLE_FORMAT_MAJOR = 1;
export const BUNDLE_FORMAT_MINOR = 0;

export interface BundleEnvelope {
  magic: string;
  format: number;
  payload: Uint8Array;
  sha256: Uint8Array;
  signature?: Uint8Array;
  keyId?: string;
}

export interface BundleMeta {
  /** Human name of the bundle, e.g. "telco". */
  name: string;
  /** Author's version string, e.g. "2026.11.1". */
  version: string;
  /** ISO timestamp of compilation. */
  created: string;
  /** The nextbest version that wrote it. */
  generator: string;
  /** sha256 (hex) of each source file that went into the bundle, by path. */
  sources: Record<string, string>;
}

/** The decoded, not yet validated payload. Each section is validated by its own module. */
export interface BundlePayload {
  /** Minor format version (defaults to 0 when absent). */
  minor?: number;
  meta: BundleMeta;
  features: unknown;
  models: unknown[];
  [section: string]: unknown;
}
