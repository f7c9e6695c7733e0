/**
 * NDJSON rows of the streaming commands: how an input line becomes a record
 * (or an INPUT_PARSE error), and how an output row is written:
 *
 *   {"line":12,"<id>":"c-42","<carried>":...,<result members>}
 *   {"line":13,"<id>":"c-43",...,"error":{"code":"FEATURE_TYPE","message":"..."}}
 *
 * One implementation for the pipeline's main thread (rows.ts) and for pool
 * workers that take raw lines (`nextbest decide`), so both write the same
 * bytes for the same row.
 */
import type { RowError } from './rows.js';

/** Why an input line is not a record (never confused with a parsed object: JSON.parse makes no class instances). */
export class LineError implements RowError {
  readonly code: string;
  readonly message: string;
  constructor(code: string, message: string) {
    this.code = code;
    this.message = message;
  }
}

/** A parsed input line: the record, or why it is not one. */
export function parseJsonRecord(text: string): Record<string, unknown> | LineError {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    return new LineError('INPUT_PARSE', `broken JSON: ${(e as Error).message}`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return new LineError('INPUT_PARSE', `expected a JSON object per line, got ${obj === null ? 'null' : Array.isArray(obj) ? 'an array' : typeof obj}`);
  }
  return obj as Record<string, unknown>;
}

/** Output rows with the line, the id key and carried keys of a command's options. */
export class JsonRowFormat {
  private readonly idKeyJson: string;
  private readonly carryKeysJson: string[];

  constructor(idKey: string, carry: readonly string[]) {
    this.idKeyJson = ',' + JSON.stringify(idKey) + ':';
    this.carryKeysJson = carry.map((k) => ',' + JSON.stringify(k) + ':');
  }

  /** `{"line":N` plus the id (when present) and every carried value (null when absent), without the closing brace. */
  prefix(line: number, id: unknown, carry: readonly unknown[] | null): string {
    let s = '{"line":' + line;
    if (id !== null && id !== undefined) s += this.idKeyJson + JSON.stringify(id);
    for (let k = 0; k < this.carryKeysJson.length; k++) s += this.carryKeysJson[k] + JSON.stringify(carry ? (carry[k] ?? null) : null);
    return s;
  }

  /** A whole error row, newline included. */
  errorRow(line: number, id: unknown, carry: readonly unknown[] | null, err: RowError): string {
    return this.prefix(line, id, carry) + ',"error":' + JSON.stringify({ code: err.code, message: err.message }) + '}\n';
  }
}
