/**
 * Readable spec sources (YAML or JSON, which is YAML) with positions.
 *
 * `SpecNode` wraps a node of the YAML document and knows its file, line and
 * column, so every compiler error can point at the exact place to fix:
 * `telco/bundle.yaml:42:17: actions[3].eligibility: ...`.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Node as YamlNode, Scalar } from 'yaml';
import { NextbestError, type ErrorCode } from '../errors.js';

export interface Position {
  file: string;
  line: number;
  column: number;
}

export class SpecSource {
  readonly file: string;
  readonly text: string;
  readonly root: SpecNode;
  private readonly lines: LineCounter;

  constructor(text: string, file = '<spec>') {
    this.file = file;
    this.text = text;
    this.lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: this.lines, keepSourceTokens: true, uniqueKeys: true, prettyErrors: false });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const pos = this.lines.linePos(e.pos[0]);
      throw new NextbestError('SPEC_PARSE', `${file}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`, {
        file,
        line: pos.line,
        column: pos.col,
      });
    }
    this.root = new SpecNode(this, doc.contents as YamlNode | null, '', { start: 0 });
  }

  static fromFile(path: string): SpecSource {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new NextbestError('SPEC_INVALID', `cannot read spec file ${path}: ${(e as Error).message}`, { file: path });
    }
    return new SpecSource(text, path);
  }

  position(offset: number): Position {
    const p = this.lines.linePos(offset);
    return { file: this.file, line: p.line, column: p.col };
  }
}

/** A node of the spec with typed accessors; errors carry the node's position. */
export class SpecNode {
  readonly source: SpecSource;
  readonly node: YamlNode | null;
  /** Dotted path from the root, for messages: `actions[3].eligibility`. */
  readonly path: string;
  private readonly fallback: { start: number };

  constructor(source: SpecSource, node: YamlNode | null, path: string, fallback: { start: number }) {
    this.source = source;
    this.node = node;
    this.path = path;
    this.fallback = fallback;
  }

  get position(): Position {
    const start = this.node?.range?.[0] ?? this.fallback.start;
    return this.source.position(start);
  }

  /** Builds an error pointing at this node. */
  error(message: string, code: ErrorCode = 'SPEC_INVALID'): NextbestError {
    const p = this.position;
    const where = this.path ? `${this.path}: ` : '';
    return new NextbestError(code, `${p.file}:${p.line}:${p.column}: ${where}${message}`, {
      file: p.file,
      line: p.line,
      column: p.column,
      path: this.path,
    });
  }

  get isMap(): boolean {
    return isMap(this.node);
  }
  get isSeq(): boolean {
    return isSeq(this.node);
  }
  get isScalar(): boolean {
    return isScalar(this.node);
  }
  get isNull(): boolean {
    return this.node === null || (isScalar(this.node) && this.node.value === null);
  }

  /** The plain JS value of this node (maps -> objects, seqs -> arrays). */
  toJS(): unknown {
    if (this.node === null) return null;
    return (this.node as { toJSON(): unknown }).toJSON();
  }

  private child(node: YamlNode | null, key: string | number, at: number): SpecNode {
    const path = typeof key === 'number' ? `${this.path}[${key}]` : this.path ? `${this.path}.${key}` : key;
    return new SpecNode(this.source, node, path, { start: at });
  }

  /** Entries of a map, in source order. */
  entries(): [string, SpecNode][] {
    if (!isMap(this.node)) throw this.error(`expected a map, got ${this.kindName()}`);
    return this.node.items.map((p) => {
      if (!isPair(p)) throw this.error('expected key: value pairs');
      const k = p.key as YamlNode | null;
      if (!isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number')) {
        throw new SpecNode(this.source, k, this.path, { start: this.node?.range?.[0] ?? 0 }).error('map keys must be names');
      }
      const name = String(k.value);
      return [name, this.child(p.value as YamlNode | null, name, k.range?.[0] ?? 0)];
    });
  }

  /** The child under `key`, or undefined when absent. */
  get(key: string): SpecNode | undefined {
    if (!isMap(this.node)) throw this.error(`expected a map, got ${this.kindName()}`);
    for (const p of this.node.items) {
      const k = p.key as YamlNode | null;
      if (isScalar(k) && String(k.value) === key) return this.child(p.value as YamlNode | null, key, k.range?.[0] ?? 0);
    }
    return undefined;
  }

  require(key: string): SpecNode {
    const n = this.get(key);
    if (n === undefined) throw this.error(`missing required field "${key}"`);
    return n;
  }

  /** Fails on keys that are not in `allowed` (catches typos like `eligibilty`). */
  checkKeys(allowed: readonly string[]): void {
    if (!isMap(this.node)) throw this.error(`expected a map, got ${this.kindName()}`);
    for (const p of this.node.items) {
      const keyNode = p.key as YamlNode | null;
      const k = isScalar(keyNode) ? String(keyNode.value) : '?';
      if (!allowed.includes(k)) {
        const near = allowed.filter((a) => editDistance(a, k) <= 2);
        throw this.child(keyNode, k, 0).error(
          `unknown field "${k}"${near.length ? `; did you mean "${near[0]}"?` : ''} (allowed: ${allowed.join(', ')})`,
        );
      }
    }
  }

  items(): SpecNode[] {
    if (!isSeq(this.node)) throw this.error(`expected a list, got ${this.kindName()}`);
    return this.node.items.map((n, i) => this.child(n as YamlNode | null, i, (n as YamlNode | null)?.range?.[0] ?? 0));
  }

  /** A list, or a single value treated as a list of one. */
  itemsOrOne(): SpecNode[] {
    return isSeq(this.node) ? this.items() : [this];
  }

  string(): string {
    if (isScalar(this.node) && typeof this.node.value === 'string') return this.node.value;
    throw this.error(`expected a string, got ${this.kindName()}`);
  }

  /** A string or a number written as a scalar, as text (expressions like `1.5` are both). */
  text(): string {
    if (isScalar(this.node) && (typeof this.node.value === 'string' || typeof this.node.value === 'number' || typeof this.node.value === 'boolean')) {
      return typeof this.node.value === 'string' ? this.node.value : String(this.node.source ?? this.node.value);
    }
    throw this.error(`expected text, got ${this.kindName()}`);
  }

  number(opts?: { integer?: boolean; min?: number; max?: number }): number {
    if (!isScalar(this.node) || typeof this.node.value !== 'number' || !Number.isFinite(this.node.value)) {
      throw this.error(`expected a finite number, got ${this.kindName()}`);
    }
    const v = this.node.value;
    if (opts?.integer && !Number.isInteger(v)) throw this.error(`expected an integer, got ${v}`);
    if (opts?.min !== undefined && v < opts.min) throw this.error(`must be at least ${opts.min}, got ${v}`);
    if (opts?.max !== undefined && v > opts.max) throw this.error(`must be at most ${opts.max}, got ${v}`);
    return v;
  }

  boolean(): boolean {
    if (isScalar(this.node) && typeof this.node.value === 'boolean') return this.node.value;
    throw this.error(`expected true or false, got ${this.kindName()}`);
  }

  /** A duration: `500ms`, `30s`, `15m`, `24h`, `7d`, `2w`, or a number of milliseconds. Returns ms. */
  duration(): number {
    if (isScalar(this.node) && typeof this.node.value === 'number') {
      const v = this.node.value;
      if (Number.isFinite(v) && v >= 0) return v;
    }
    if (isScalar(this.node) && typeof this.node.value === 'string') {
      const ms = parseDuration(this.node.value);
      if (ms !== undefined) return ms;
    }
    throw this.error(`expected a duration like 30s, 15m, 24h, 7d or 2w, got ${this.kindName()}`);
  }

  /**
   * Where the text of this scalar starts in the file, for expression errors:
   * past the opening quote of a quoted scalar, on the first content line of a
   * block scalar (with the block's indentation, which the value strips).
   */
  textOrigin(): Position & { indent: number } {
    const n = this.node;
    const start = n?.range?.[0] ?? this.fallback.start;
    if (isScalar(n)) {
      if (n.type === Scalar.QUOTE_DOUBLE || n.type === Scalar.QUOTE_SINGLE) return { ...this.source.position(start + 1), indent: 0 };
      if (n.type === Scalar.BLOCK_LITERAL || n.type === Scalar.BLOCK_FOLDED) {
        const text = this.source.text;
        let i = text.indexOf('\n', start);
        if (i >= 0) {
          i += 1;
          let indent = 0;
          while (text[i + indent] === ' ') indent++;
          const p = this.source.position(i + indent);
          return { ...p, indent };
        }
      }
    }
    return { ...this.source.position(start), indent: 0 };
  }

  kindName(): string {
    const n = this.node;
    if (n === null) return 'nothing';
    if (isMap(n)) return 'a map';
    if (isSeq(n)) return 'a list';
    if (isScalar(n)) return n.value === null ? 'null' : `${typeof n.value} ${JSON.stringify(n.value)?.slice(0, 40)}`;
    return 'an alias';
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `1h`, `30 d`, `1.5h`, `500ms` into milliseconds; undefined when not a duration. */
export function parseDuration(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(s);
  if (!m) return undefined;
  const v = Number(m[1]) * UNITS[m[2]!]!;
  return Number.isFinite(v) ? Math.round(v) : undefined;
}

export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/**
 * A path as a bundle records it: relative to the spec's directory when it is
 * inside it, so a bundle does not depend on where it was built.
 */
export function displayPath(p: string, baseDir: string): string {
  const r = relative(baseDir, resolve(baseDir, p));
  return r.startsWith('..') ? p : r;
}
