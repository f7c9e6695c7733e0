import { describe, expect, it } from 'vitest';
import { checkState, composeLayout, freshState, layoutToBundle, validateLayout } from '../../src/state/layout.js';

describe('state layout', () => {
  const l = composeLayout([
    { name: 'journeys', size: 13, version: 1, shape: 'a' },
    { name: 'contacts', size: 40, version: 1, shape: 'b' },
  ]);

  it('places sections 8-byte aligned after the header', () => {
    expect(l.sections.map((s) => [s.offset, s.size])).toEqual([
      [8, 13],
      [24, 40],
    ]);
    expect(l.size).toBe(64);
    expect(validateLayout(layoutToBundle(l))).toEqual(l);
  });

  it('rejects overlapping, misplaced or re-hashed layouts', () => {
    const b = layoutToBundle(l) as { sections: { offset: number; size: number }[]; hash: number; size: number };
    expect(() => validateLayout({ ...b, hash: (b.hash + 1) >>> 0 })).toThrow(expect.objectContaining({ code: 'BUNDLE_INVALID' }));
    const overlap = structuredClone(b);
    overlap.sections[1]!.offset = 16;
    expect(() => validateLayout(overlap)).toThrow(expect.objectContaining({ code: 'BUNDLE_INVALID' }));
    const outside = structuredClone(b);
    outside.sections[1]!.size = 100;
    expect(() => validateLayout(outside)).toThrow(expect.objectContaining({ code: 'BUNDLE_INVALID' }));
    expect(() => validateLayout({ ...b, size: 1e12 })).toThrow(expect.objectContaining({ code: 'BUNDLE_INVALID' }));
  });

  it('checks state bytes against the layout', () => {
    const s = freshState(l);
    expect(() => checkState(l, s)).not.toThrow();
    expect(() => checkState(l, s.subarray(1))).toThrow(expect.objectContaining({ code: 'STATE_INVALID' }));
    const other = composeLayout([{ name: 'journeys', size: 13, version: 2, shape: 'a' }, { name: 'contacts', size: 40, version: 1, shape: 'b' }]);
    expect(() => checkState(l, freshState(other))).toThrow(expect.objectContaining({ code: 'STATE_INVALID' }));
    const bad = s.slice();
    bad[0] = 0;
    expect(() => checkState(l, bad)).toThrow(expect.objectContaining({ code: 'STATE_INVALID' }));
  });
});
