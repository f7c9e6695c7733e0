/**
 * Splits a byte stream into text lines, in constant memory.
 *
 * - Lines end at LF; a CR before the LF is dropped (CRLF files), a UTF-8 BOM
 *   at the very start is dropped.
 * - Line numbers are 1-based physical lines, counted over every line (blank
 *   ones included) so they match what an editor shows.
 * - Blank lines (empty or only spaces/tabs) are skipped unless `keepBlank`
 *   (a multi-line CSV field may hold them): they are not rows.
 * - A line longer than `maxLineBytes` is not buffered: the splitter reports it
 *   once (`onLongLine`) and discards bytes until its end.
 * - Text is decoded as UTF-8 per line (invalid bytes become U+FFFD).
 */

export interface LineSink {
  line(text: string, lineNo: number): void;
  longLine(lineNo: number, maxLineBytes: number): void;
}

const LF = 10;
const CR = 13;

export class LineSplitter {
  private readonly sink: LineSink;
  private readonly maxLineBytes: number;
  private readonly keepBlank: boolean;
  /** Bytes of the current, unfinished line (from earlier chunks). */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Discarding the rest of a line that was too long. */
  private skipping = false;
  private lineNo = 0;
  /** Bytes consumed so far (for progress). */
  bytesRead = 0;

  constructor(sink: LineSink, maxLineBytes: number, keepBlank = false) {
    this.sink = sink;
    this.maxLineBytes = maxLineBytes;
    this.keepBlank = keepBlank;
  }

  /** Physical lines seen so far (complete ones). */
  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Buffer): void {
    this.bytesRead += chunk.length;
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, pos);
      if (nl < 0) {
        this.keep(chunk, pos, chunk.length);
        return;
      }
      const lineNo = this.lineNo + 1;
      if (this.skipping) {
        this.skipping = false;
      } else if (this.partialBytes > 0) {
        this.keep(chunk, pos, nl);
        if (this.skipping) this.skipping = false;
        else this.emit(Buffer.concat(this.partial, this.partialBytes), 0, this.partialBytes, lineNo);
        this.partial = [];
        this.partialBytes = 0;
      } else {
        this.emit(chunk, pos, nl, lineNo);
      }
      this.lineNo = lineNo;
      pos = nl + 1;
    }
  }

  /** The input ended: a last line without LF is still a line. */
  end(): void {
    if (this.skipping) {
      this.lineNo++;
      this.skipping = false;
    } else if (this.partialBytes > 0) {
      this.lineNo++;
      this.emit(Buffer.concat(this.partial, this.partialBytes), 0, this.partialBytes, this.lineNo);
    }
    this.partial = [];
    this.partialBytes = 0;
  }

  /** Appends bytes [from, to) of chunk to the unfinished line, or starts skipping it when it gets too long. */
  private keep(chunk: Buffer, from: number, to: number): void {
    if (this.skipping || to <= from) return;
    // +1: a CR that will turn out to be the CR of a CRLF does not count.
    if (this.partialBytes + (to - from) > this.maxLineBytes + 1) {
      this.sink.longLine(this.lineNo + 1, this.maxLineBytes);
      this.skipping = true;
      this.partial = [];
      this.partialBytes = 0;
      return;
    }
    // Copy: the stream may reuse its chunk buffers.
    this.partial.push(Buffer.from(chunk.subarray(from, to)));
    this.partialBytes += to - from;
  }

  private emit(buf: Buffer, from: number, to: number, lineNo: number): void {
    if (lineNo === 1 && to - from >= 3 && buf[from] === 0xef && buf[from + 1] === 0xbb && buf[from + 2] === 0xbf) from += 3;
    if (to > from && buf[to - 1] === CR) to--;
    if (to - from > this.maxLineBytes) {
      this.sink.longLine(lineNo, this.maxLineBytes);
      return;
    }
    if (!this.keepBlank && isBlank(buf, from, to)) return;
    this.sink.line(buf.toString('utf8', from, to), lineNo);
  }
}

function isBlank(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = buf[i];
    if (c !== 32 && c !== 9 && c !== CR) return false;
  }
  return true;
}
