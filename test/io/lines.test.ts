import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineSplitter } from '../../src/io/lines.js';

type Event = [string, number] | ['LONG', number];

function split(chunks: Buffer[], max = 1 << 20, keepBlank = false): Event[] {
  const events: Event[] = [];
  const s = new LineSplitter(
    {
      line: (text, n) => events.push([text, n]),
      longLine: (n) => events.push(['LONG', n]),
    },
    max,
    keepBlank,
  );
  for (const c of chunks) s.push(c);
  s.end();
  return events;
}

describe('LineSplitter', () => {
  it('numbers physical lines, drops CR of CRLF, a BOM, and blank lines', () => {
    const text = '\ufeffa,b\r\n\r\n  \nc\n\nd';
    expect(split([Buffer.from(text)])).toEqual([
      ['a,b', 1],
      ['c', 4],
      ['d', 6],
    ]);
    expect(split([Buffer.from('x\n\ny\n')], 100, true)).toEqual([
      ['x', 1],
      ['', 2],
      ['y', 3],
    ]);
  });

  it('reports a too-long line once, without buffering it, and goes on', () => {
    const long = 'x'.repeat(50);
    expect(split([Buffer.from(`ok\n${long}\nnext\n`)], 10)).toEqual([
      ['ok', 1],
      ['LONG', 2],
      ['next', 3],
    ]);
    // The same across many small chunks, and at the end of the input without LF.
    const chunks = [...Buffer.from(`ok\n${long}\nnext\n${long}`)].map((b) => Buffer.from([b]));
    expect(split(chunks, 10)).toEqual([
      ['ok', 1],
      ['LONG', 2],
      ['next', 3],
      ['LONG', 4],
    ]);
    // Exactly at the limit is fine, CR excluded.
    expect(split([Buffer.from('0123456789\r\n')], 10)).toEqual([['0123456789', 1]]);
  });

  it('decodes UTF-8 split across chunks', () => {
    const b = Buffer.from('héllo,wörld ✓\n');
    expect(split([b.subarray(0, 2), b.subarray(2, 9), b.subarray(9)])).toEqual([['héllo,wörld ✓', 1]]);
  });

  it('gives the same lines however the bytes are chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('\n', '\r\n', ' ', '\t', 'é', '\ufeff'), fc.string({ maxLength: 12 })), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (parts, cuts) => {
          const bytes = Buffer.from(parts.join(''));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const p of points) {
            chunks.push(bytes.subarray(prev, p));
            prev = p;
          }
          chunks.push(bytes.subarray(prev));
          expect(split(chunks, 16)).toEqual(split([bytes], 16));
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });
});
