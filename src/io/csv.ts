/**
 * CSV records (RFC 4180 quoting) on top of LineSplitter.
 *
 * - Fields are separated by a one-character delimiter (default comma); a field
 *   in double quotes may hold delimiters and doubled quotes ("" is one ").
 * - Strict about quotes, so a broken line is rejected rather than misread: a
 *   quote inside an unquoted field, or anything but a delimiter after a
 *   closing quote, is an INPUT_PARSE error for that line.
 * - A record is one line. With `multiline`, a quoted field may span lines
 *   (RFC 4180); the record then counts as one row, numbered by its first line,
 *   and is bounded by `maxRecordChars`.
 * - Values are not trimmed (category strings are compared exactly); header
 *   names are trimmed by the caller.
 */
import type { ErrorCode } from '../errors.js';
import type { LineSink } from './lines.js';

const QUOTE = 34;

/** parseCsvRecord's answer when the text ends inside a quoted field. */
export const OPEN_QUOTE = 1;

/**
 * Parses one record into `out` (cleared first). Returns null when the record
 * is well-formed, OPEN_QUOTE when `text` ends inside a quoted field, or a
 * message saying what is wrong.
 */
export function parseCsvRecord(text: string, out: string[], delimiter: number): string | typeof OPEN_QUOTE | null {
  out.length = 0;
  const n = text.length;
  const delim = String.fromCharCode(delimiter);
  let i = 0;
  // Position of the next quote at or after i (n when none): found once per quote, not once per field.
  let nextQuote = text.indexOf('"');
  if (nextQuote < 0) nextQuote = n;
  for (;;) {
    if (i < n && text.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return OPEN_QUOTE;
        if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
          value += text.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        value += text.slice(from, q);
        i = q + 1;
        break;
      }
      out.push(value);
      nextQuote = text.indexOf('"', i);
      if (nextQuote < 0) nextQuote = n;
      if (i === n) return null;
      if (text.charCodeAt(i) !== delimiter) {
        return `field ${out.length}: unexpected ${JSON.stringify(text[i])} after its closing quote; a quoted field ends at the delimiter (write "" for a quote inside it)`;
      }
      i++;
    } else {
      let end = text.indexOf(delim, i);
      if (end < 0) end = n;
      if (nextQuote < end) {
        return `field ${out.length + 1}: a quote inside an unquoted field; quote the whole field and double the quote ("a""b")`;
      }
      out.push(text.slice(i, end));
      if (end === n) return null;
      i = end + 1;
    }
    if (i === n) {
      // A delimiter at the very end: one more, empty, field.
      out.push('');
      return null;
    }
  }
}

/** Where CsvRecords delivers records and the lines it rejects. */
export interface RecordSink {
  /** A parsed record of `chars` characters; `fields` is reused for the next record, copy what you keep. */
  record(fields: string[], lineNo: number, chars: number): void;
  bad(lineNo: number, code: ErrorCode, message: string): void;
}

export interface CsvOptions {
  delimiter: number;
  multiline: boolean;
  maxRecordChars: number;
}

/** Turns lines into CSV records (a LineSink). */
export class CsvRecords implements LineSink {
  private readonly sink: RecordSink;
  private readonly opts: CsvOptions;
  private readonly fields: string[] = [];
  /** Text of a multi-line record whose quoted field is still open. */
  private open: string | null = null;
  private openLine = 0;

  constructor(sink: RecordSink, opts: CsvOptions) {
    this.sink = sink;
    this.opts = opts;
  }

  line(text: string, lineNo: number): void {
    let start = lineNo;
    if (this.open !== null) {
      text = this.open + '\n' + text;
      start = this.openLine;
      this.open = null;
      if (text.length > this.opts.maxRecordChars) {
        this.sink.bad(start, 'LIMIT_EXCEEDED', `the record starting at line ${start} is still open at line ${lineNo} and longer than ${this.opts.maxRecordChars} characters: an unterminated quote?`);
        return;
      }
    } else if (isBlank(text)) {
      return;
    }
    const r = parseCsvRecord(text, this.fields, this.opts.delimiter);
    if (r === null) this.sink.record(this.fields, start, text.length);
    else if (r !== OPEN_QUOTE) this.sink.bad(start, 'INPUT_PARSE', r);
    else if (this.opts.multiline) {
      this.open = text;
      this.openLine = start;
    } else {
      this.sink.bad(start, 'INPUT_PARSE', 'unterminated quoted field: a quoted field must close on its line (pass --multiline for fields that span lines)');
    }
  }

  longLine(lineNo: number, maxLineBytes: number): void {
    if (this.open !== null) {
      this.sink.bad(this.openLine, 'LIMIT_EXCEEDED', `the record starting at line ${this.openLine} runs into line ${lineNo}, longer than ${maxLineBytes} bytes`);
      this.open = null;
      return;
    }
    this.sink.bad(lineNo, 'LIMIT_EXCEEDED', `line is longer than ${maxLineBytes} bytes (raise --max-line-bytes if it is meant to be)`);
  }

  /** The input ended: a record still open is reported. */
  end(): void {
    if (this.open !== null) {
      this.sink.bad(this.openLine, 'INPUT_PARSE', `unterminated quoted field: the input ended inside the record starting at line ${this.openLine}`);
      this.open = null;
    }
  }
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** A value as one CSV field: quoted when it holds the delimiter, a quote, a line break, or edge spaces. */
export function csvField(value: string, delimiter = 44): string {
  let needs = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === QUOTE || c === delimiter || c === 10 || c === 13) {
      needs = true;
      break;
    }
  }
  if (!needs && value.length > 0 && (value.charCodeAt(0) === 32 || value.charCodeAt(value.length - 1) === 32)) needs = true;
  return needs ? '"' + value.replace(/"/g, '""') + '"' : value;
}
