/**
 * The per-customer state layout: one byte string per customer, fixed size per
 * bundle, made of sections that subsystems own (journeys, contact history, ...).
 *
 *   +0  u32  magic+version  0x5342_0001 ("NB" state, layout format 1)
 *   +4  u32  layout hash    first 4 bytes of sha256 over the section descriptors
 *   +8  sections, each 8-byte aligned, at the offsets recorded in the bundle
 *
 * (The header had an f64 base time at +8 that no section read: journeys keep
 * their own base time, contact history absolute seconds. It was dropped, 8
 * bytes per customer; the layout hash covers the offsets, so states of the
 * old layout are refused as written by a different layout.)
 *
 * A section's layout is derived from the bundle at compile time and recorded
 * in the bundle (name, offset, size, version), so `nextbest inspect` can report
 * bytes per customer and a reload can tell which sections are compatible.
 * Fresh state is all zero except the header.
 */
import { createHash } from 'node:crypto';
import { NextbestError } from '../errors.js';
import { requireNumber, requireObject } from '../models/table.js';
import { LIMIT_CEILINGS } from '../limits.js';

export const STATE_MAGIC = 0x53420001;
export const STATE_HEADER_SIZE = 8;

export interface StateSection {
  /** Owner of the section: "journeys", "contacts", ... */
  name: string;
  /** Byte offset from the start of the state. */
  offset: number;
  size: number;
  /** Layout version of the section's contents (bumped when its encoding changes). */
  version: number;
  /** A digest of what determines the section's encoding (e.g. the journeys' shapes), for compatibility checks. */
  shape: string;
}

export interface StateLayout {
  size: number;
  hash: number;
  sections: StateSection[];
}

/** Lays out sections one after another after the header. */
export function composeLayout(parts: Omit<StateSection, 'offset'>[]): StateLayout {
  let offset = STATE_HEADER_SIZE;
  const sections: StateSection[] = [];
  for (const p of parts) {
    offset = Math.ceil(offset / 8) * 8;
    sections.push({ ...p, offset });
    offset += p.size;
  }
  const size = Math.ceil(offset / 8) * 8;
  return { size, hash: layoutHash(sections), sections };
}

function layoutHash(sections: StateSection[]): number {
  const h = createHash('sha256');
  for (const s of sections) h.update(`${s.name}:${s.offset}:${s.size}:${s.version}:${s.shape};`);
  return h.digest().readUInt32LE(0);
}

export function layoutToBundle(l: StateLayout): Record<string, unknown> {
  return { size: l.size, hash: l.hash, sections: l.sections.map((s) => ({ ...s })) };
}

/** Validates the state section of a bundle: sections inside the size, in order, not overlapping. */
export function validateLayout(section: unknown, maxBytes = LIMIT_CEILINGS.stateBytes): StateLayout {
  const o = requireObject(section, 'state');
  const size = requireNumber(o.size, 'state.size', { integer: true, min: STATE_HEADER_SIZE, max: maxBytes });
  const hash = requireNumber(o.hash, 'state.hash', { integer: true, min: 0, max: 0xffffffff });
  if (!Array.isArray(o.sections)) throw new NextbestError('BUNDLE_INVALID', 'state.sections: expected an array');
  let end = STATE_HEADER_SIZE;
  const sections = o.sections.map((raw, i) => {
    const s = requireObject(raw, `state.sections[${i}]`);
    if (typeof s.name !== 'string' || typeof s.shape !== 'string') {
      throw new NextbestError('BUNDLE_INVALID', `state.sections[${i}]: name and shape must be strings`);
    }
    const offset = requireNumber(s.offset, `state.sections[${i}].offset`, { integer: true, min: end });
    const sz = requireNumber(s.size, `state.sections[${i}].size`, { integer: true, min: 0 });
    if (offset % 8 !== 0 || offset + sz > size) {
      throw new NextbestError('BUNDLE_INVALID', `state.sections[${i}] (${s.name}): [${offset}, ${offset + sz}) is misaligned or outside the state (${size} bytes)`);
    }
    end = offset + sz;
    const version = requireNumber(s.version, `state.sections[${i}].version`, { integer: true, min: 0 });
    return { name: s.name, offset, size: sz, version, shape: s.shape };
  });
  if (layoutHash(sections) !== hash) throw new NextbestError('BUNDLE_INVALID', 'state.hash does not match the sections');
  return { size, hash, sections };
}

export function section(l: StateLayout, name: string): StateSection | undefined {
  return l.sections.find((s) => s.name === name);
}

/** Fresh state: zeroes with the header written. */
export function freshState(l: StateLayout, into?: Uint8Array): Uint8Array {
  const s = into ?? new Uint8Array(l.size);
  s.fill(0, 0, l.size);
  // bytes, not a DataView: reading s.buffer would move a small array's bytes off the V8 heap (microseconds)
  for (let i = 0; i < 4; i++) {
    s[i] = (STATE_MAGIC >>> (8 * i)) & 0xff;
    s[4 + i] = (l.hash >>> (8 * i)) & 0xff;
  }
  return s;
}

/** Whether the 8 header bytes at `at` are `header` (a layout's magic and hash): the fast check before checkState. */
export function hasHeader(bytes: Uint8Array, at: number, header: ArrayLike<number>): boolean {
  return (
    bytes[at] === header[0] && bytes[at + 1] === header[1] && bytes[at + 2] === header[2] && bytes[at + 3] === header[3] &&
    bytes[at + 4] === header[4] && bytes[at + 5] === header[5] && bytes[at + 6] === header[6] && bytes[at + 7] === header[7]
  );
}

/** Checks that bytes are state of this layout; STATE_INVALID says what is wrong. */
export function checkState(l: StateLayout, s: Uint8Array): void {
  if (!(s instanceof Uint8Array)) throw new NextbestError('STATE_INVALID', 'customer state must be a Uint8Array');
  if (s.byteLength !== l.size) {
    throw new NextbestError('STATE_INVALID', `customer state is ${s.byteLength} bytes; this bundle's state is ${l.size} bytes`);
  }
  const v = new DataView(s.buffer, s.byteOffset, s.byteLength);
  if (v.getUint32(0, true) !== STATE_MAGIC) throw new NextbestError('STATE_INVALID', 'customer state has a wrong magic: not nextbest state');
  if (v.getUint32(4, true) !== l.hash) {
    throw new NextbestError('STATE_INVALID', 'customer state was written by a bundle with a different state layout');
  }
}
