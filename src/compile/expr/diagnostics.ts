/**
 * Expression errors: a NextbestError whose message starts with the position
 * (`file:line:column: `) and ends with a caret excerpt of the offending line,
 * and whose details carry { line, column, file?, offset, length }.
 */
import { NextbestError, type ErrorCode } from '../../errors.js';
import type { ExprOrigin, Span } from './ast.js';

export type ExprErrorCode = Extract<ErrorCode, 'EXPR_PARSE' | 'EXPR_TYPE' | 'EXPR_NAME' | 'EXPR_LIMIT'>;

const EXCERPT_WIDTH = 100;

/** 1-based line and column of `offset` in `source` (columns count UTF-16 code units). */
export function lineColumn(source: string, offset: number): { line: number; column: number; lineStart: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1, lineStart };
}

/** The position of `offset` in the file the expression came from. */
export function filePosition(source: string, offset: number, origin?: ExprOrigin): { line: number; column: number } {
  const { line, column } = lineColumn(source, offset);
  if (!origin) return { line, column };
  if (line === 1) return { line: origin.line, column: origin.column + column - 1 };
  return { line: origin.line + line - 1, column: column + (origin.indent ?? 0) };
}

function excerpt(source: string, span: Span, fileLine: number): string {
  const { lineStart } = lineColumn(source, span.start);
  let lineEnd = source.indexOf('\n', lineStart);
  if (lineEnd < 0) lineEnd = source.length;
  let text = source.slice(lineStart, lineEnd).replace(/\r$/, '').replace(/\t/g, ' ');
  let caretAt = span.start - lineStart;
  let caretLen = Math.max(1, Math.min(span.end, lineEnd) - span.start);
  // Long lines: a window around the caret.
  let prefix = '';
  if (text.length > EXCERPT_WIDTH) {
    const from = Math.max(0, Math.min(caretAt - 20, text.length - EXCERPT_WIDTH));
    prefix = from > 0 ? '...' : '';
    text = prefix + text.slice(from, from + EXCERPT_WIDTH) + (from + EXCERPT_WIDTH < text.length ? '...' : '');
    caretAt = caretAt - from + prefix.length;
    caretLen = Math.min(caretLen, EXCERPT_WIDTH - (caretAt - prefix.length));
  }
  const gutter = String(fileLine);
  return `  ${gutter} | ${text}\n  ${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, caretAt))}${'^'.repeat(Math.max(1, caretLen))}`;
}

/** Builds the error for `span` of `source`. */
export function exprError(
  code: ExprErrorCode,
  message: string,
  source: string,
  span: Span,
  origin?: ExprOrigin,
  extra?: Record<string, unknown>,
): NextbestError {
  const { line, column } = filePosition(source, span.start, origin);
  const where = `${origin?.file ? `${origin.file}:` : ''}${line}:${column}`;
  return new NextbestError(code, `${where}: ${message}\n${excerpt(source, span, line)}`, {
    line,
    column,
    ...(origin?.file ? { file: origin.file } : {}),
    offset: span.start,
    length: Math.max(0, span.end - span.start),
    ...extra,
  });
}

/** Damerau-Levenshtein distance (optimal string alignment), capped for speed. */
export function editDistance(a: string, b: string, cap = 8): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const m = a.length;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}

/** Up to `max` candidates close to `word`, best first (case-insensitive matches count as close). */
export function nearMatches(word: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.floor(word.length / 3));
  const scored: [number, string][] = [];
  const lower = word.toLowerCase();
  let seen = 0;
  for (const c of candidates) {
    if (++seen > 100_000) break;
    const d = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase(), limit);
    if (d <= limit) scored.push([d, c]);
  }
  scored.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
  return [...new Set(scored.map((s) => s[1]))].slice(0, max);
}

export function quoteList(words: readonly string[], max = 12): string {
  const shown = words.slice(0, max).map((w) => JSON.stringify(w));
  return shown.join(', ') + (words.length > max ? `, ... (${words.length} in all)` : '');
}
