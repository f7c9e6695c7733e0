/**
 * Progress and the end-of-run summary of streaming commands.
 *
 * On a terminal the bar redraws in place on stderr (at most 10 times a
 * second): percent and ETA from the bytes read when the input size is known,
 * rows and rows/s always. Forced on a non-terminal (--progress) it prints a
 * plain line every second instead.
 */

export interface ProgressCounts {
  rowsIn: number;
  ok: number;
  rejected: number;
  bytesRead: number;
}

/** Where the main thread's time went (ms), for --timings. */
export interface StageTimings {
  /** Splitting, parsing and encoding rows (includes reading chunks already in memory). */
  parseMs: number;
  /** Waiting for the workers' results (the pool was the bottleneck). */
  waitMs: number;
  /** Building output text. */
  formatMs: number;
  /** Waiting for the output to take the text (the disk or pipe was the bottleneck). */
  writeMs: number;
}

export interface ProgressOutput {
  /** Redraws one status line in place (a terminal), or null. */
  redraw: ((line: string) => void) | null;
  /** Prints a full line. */
  line: (line: string) => void;
}

const BAR = 24;

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export class Progress {
  private readonly out: ProgressOutput;
  private readonly totalBytes: number | null;
  private readonly started = performance.now();
  private last = 0;
  private drawn = false;

  constructor(out: ProgressOutput, totalBytes: number | null) {
    this.out = out;
    this.totalBytes = totalBytes && totalBytes > 0 ? totalBytes : null;
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** Cheap to call often: draws only when enough time has passed. */
  update(c: ProgressCounts): void {
    const now = performance.now();
    const every = this.out.redraw ? 100 : 1000;
    if (now - this.last < every) return;
    this.last = now;
    const text = this.text(c);
    if (this.out.redraw) {
      this.out.redraw(text);
      this.drawn = true;
    } else {
      this.out.line(text);
    }
  }

  /** Clears the bar (the summary follows). */
  finish(): void {
    if (this.drawn && this.out.redraw) this.out.redraw('');
  }

  text(c: ProgressCounts): string {
    const elapsed = this.elapsedSeconds;
    const rate = elapsed > 0 ? c.rowsIn / elapsed : 0;
    const rows = `${formatCount(c.rowsIn)} rows  ${formatCount(rate)} rows/s${c.rejected > 0 ? `  ${formatCount(c.rejected)} rejected` : ''}`;
    if (this.totalBytes === null) return `${rows}  ${formatDuration(elapsed)}`;
    const f = Math.min(1, c.bytesRead / this.totalBytes);
    const filled = Math.round(f * BAR);
    const eta = f > 0 ? (elapsed * (1 - f)) / f : NaN;
    return `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${(f * 100).toFixed(0).padStart(3)}%  ${rows}  ETA ${formatDuration(eta)}`;
  }
}

/** The last line of a run: every input row is either scored or rejected. */
export function summaryLine(verb: string, c: ProgressCounts, elapsedSeconds: number): string {
  const rate = elapsedSeconds > 0 ? c.rowsIn / elapsedSeconds : 0;
  return `rows in ${formatCount(c.rowsIn)}, ${verb} ${formatCount(c.ok)}, rejected ${formatCount(c.rejected)}; ${elapsedSeconds.toFixed(2)} s, ${formatCount(rate)} rows/s`;
}

export function timingsLine(t: StageTimings, elapsedSeconds: number, workerComputeMs: number, threads: number): string {
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const other = Math.max(0, elapsedSeconds * 1000 - t.parseMs - t.waitMs - t.formatMs - t.writeMs);
  return `time: parse+encode ${s(t.parseMs)} s, waiting for workers ${s(t.waitMs)} s, format ${s(t.formatMs)} s, write ${s(t.writeMs)} s, other (reading, start-up) ${s(other)} s; workers busy ${s(workerComputeMs)} s over ${threads} thread(s)`;
}
