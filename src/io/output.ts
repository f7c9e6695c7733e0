/**
 * Text written to a stream with back-pressure: write() resolves when the
 * stream can take more, so a fast producer never buffers unboundedly. A
 * stream error (disk full, EPIPE, no permission) surfaces on the next write
 * or on end() as a NextbestError naming the target.
 */
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { NextbestError } from '../errors.js';

export class TextOutput {
  readonly name: string;
  private readonly stream: NodeJS.WritableStream;
  private readonly owned: boolean;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];

  constructor(stream: NodeJS.WritableStream, name: string, owned: boolean) {
    this.stream = stream;
    this.name = name;
    this.owned = owned;
    stream.on('error', (e: Error) => {
      this.failure = e;
      this.wake();
    });
    stream.on('drain', () => this.wake());
  }

  /** A file, created or truncated. */
  static file(path: string): TextOutput {
    return new TextOutput(createWriteStream(path), path, true);
  }

  /** Lines handed to a callback (the CLI's io.out when there is no stdout stream). */
  static lines(out: (line: string) => void, name: string): TextOutput {
    let rest = '';
    const w = new Writable({
      decodeStrings: false,
      write(chunk: string | Buffer, _enc, cb) {
        const text = rest + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
        const parts = text.split('\n');
        rest = parts.pop()!;
        for (const p of parts) out(p);
        cb();
      },
      final(cb) {
        if (rest.length > 0) out(rest);
        cb();
      },
    });
    return new TextOutput(w, name, true);
  }

  async write(text: string): Promise<void> {
    this.check();
    if (text.length === 0) return;
    if (!this.stream.write(text)) {
      await new Promise<void>((res) => this.waiters.push(res));
      this.check();
    }
  }

  /** Flushes; closes the stream when this output owns it (a file), not stdout. */
  async end(): Promise<void> {
    this.check();
    if (this.owned) {
      await new Promise<void>((res) => {
        this.waiters.push(res);
        this.stream.end(() => this.wake());
      });
    } else if ((this.stream as { writableNeedDrain?: boolean }).writableNeedDrain) {
      await new Promise<void>((res) => this.waiters.push(res));
    }
    this.check();
  }

  /** Gives up (after a failure elsewhere): closes a file without waiting; stdout is left alone. */
  abort(): void {
    if (this.owned) (this.stream as unknown as { destroy?: () => void }).destroy?.();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private check(): void {
    if (this.failure) {
      const code = (this.failure as NodeJS.ErrnoException).code;
      throw new NextbestError('IO_FAILED', `cannot write ${this.name}: ${code ?? this.failure.message}`, undefined, { cause: this.failure });
    }
  }
}
