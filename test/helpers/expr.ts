/**
 * Test fixtures for the expression language: an environment with every kind
 * of binding, a generator of random well-typed expressions (as source text),
 * random frames and feature vectors full of edge values, and bitwise
 * comparison of f64 results.
 */
import { mapEnv, type Binding, type ExprEnv } from '../../src/compile/expr/index.js';
import { randInt } from './random.js';

const num = { kind: 'number' } as const;
const bool = { kind: 'bool' } as const;
export const PLAN = { kind: 'category', dict: 'plan', values: ['basic', 'gold', 'premium', 'vip'] } as const;
export const CHANNEL = { kind: 'category', dict: 'channel', values: ['app', 'email', 'sms', 'call_center', 'web'] } as const;
/** More than 64 values: sets over it that use high codes compile to sorted lists, not masks. */
export const SEGMENT = { kind: 'category', dict: 'segment', values: Array.from({ length: 70 }, (_, i) => `s${i}`) } as const;

export const BINDINGS: Record<string, Binding> = {
  x0: { type: num, source: 'features', index: 0 },
  x1: { type: num, source: 'features', index: 1 },
  tenure_months: { type: num, source: 'features', index: 2 },
  flag: { type: bool, source: 'features', index: 3 },
  plan: { type: PLAN, source: 'features', index: 4 },
  segment: { type: SEGMENT, source: 'features', index: 5 },
  'score.churn': { type: num, source: 'frame', slot: 0 },
  'score.nba[2]': { type: num, source: 'frame', slot: 1 },
  'event.amount': { type: num, source: 'frame', slot: 2 },
  now: { type: num, source: 'frame', slot: 3 },
  'journey.walkout': { type: bool, source: 'frame', slot: 4 },
  'context.channel': { type: CHANNEL, source: 'frame', slot: 5 },
  'context.preferred': { type: CHANNEL, source: 'frame', slot: 6 },
  limit: { type: num, source: 'const', value: 42 },
  enabled: { type: bool, source: 'const', value: 1 },
  home_channel: { type: CHANNEL, source: 'const', value: 1 },
};
export const FRAME_SLOTS = 7;
export const FEATURES = 6;

export const ENV: ExprEnv = mapEnv(BINDINGS);

const NUMBER_NAMES = Object.keys(BINDINGS).filter((k) => BINDINGS[k]!.type.kind === 'number');
const BOOL_NAMES = Object.keys(BINDINGS).filter((k) => BINDINGS[k]!.type.kind === 'bool');
const CATEGORIES = [PLAN, CHANNEL, SEGMENT] as const;
type Cat = (typeof CATEGORIES)[number];
const catNames = (c: Cat) => Object.keys(BINDINGS).filter((k) => (BINDINGS[k]!.type as { dict?: string }).dict === c.dict);

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const EDGE_NUMBERS = ['0', '1', '2', '0.5', '2.5', '12', '0.1', '1e-3', '1e300', '63', '64', '3.75', '100', '1e21'];
const UNARY_FNS = ['abs', 'sign', 'floor', 'ceil', 'trunc', 'round', 'sqrt', 'exp', 'log', 'log10', 'sigmoid', 'hourOfDay', 'dayOfWeek'];

/** A random well-typed expression of a number, bool or category type. */
export class ExprGen {
  constructor(private readonly rand: () => number) {}

  private literal(): string {
    const r = this.rand();
    if (r < 0.5) return pick(this.rand, EDGE_NUMBERS);
    if (r < 0.7) return String(randInt(this.rand, 0, 70));
    if (r < 0.85) return String(Math.round(this.rand() * 1e4) / 100);
    return `${randInt(this.rand, 1, 90)}${pick(this.rand, ['ms', 's', 'm', 'h', 'd', 'w'])}`;
  }

  number(depth: number): string {
    const r = this.rand();
    if (depth <= 0 || r < 0.3) {
      const l = this.rand();
      if (l < 0.45) return pick(this.rand, NUMBER_NAMES);
      if (l < 0.95) return this.literal();
      return 'missing';
    }
    const d = depth - 1;
    if (r < 0.55) return `${this.number(d)} ${pick(this.rand, ['+', '-', '*', '/', '%'])} ${this.number(d)}`;
    if (r < 0.6) return `-${this.number(d)}`;
    if (r < 0.65) return `(${this.number(d)})`;
    if (r < 0.75) return `${pick(this.rand, UNARY_FNS)}(${this.number(d)})`;
    if (r < 0.82) {
      const n = randInt(this.rand, 1, 4);
      return `${pick(this.rand, ['min', 'max'])}(${Array.from({ length: n }, () => this.number(d)).join(', ')})`;
    }
    if (r < 0.85) return `pow(${this.number(d)}, ${this.number(d)})`;
    if (r < 0.88) return `clamp(${this.number(d)}, ${this.number(d)}, ${this.number(d)})`;
    if (r < 0.93) return `coalesce(${this.present(d)}, ${this.number(d)}${this.rand() < 0.3 ? `, ${this.number(d)}` : ''})`;
    return `(${this.bool(d)} ? ${this.number(d)} : ${this.number(d)})`;
  }

  /** A number expression that is not just the `missing` literal (comparisons with it are compile errors). */
  present(depth: number): string {
    for (;;) {
      const e = this.number(depth);
      if (!/^\(*missing\)*$/.test(e)) return e;
    }
  }

  category(c: Cat, depth: number, allowString = true): string {
    const r = this.rand();
    if (allowString && r < 0.3) return JSON.stringify(pick(this.rand, c.values));
    const names = catNames(c);
    if (depth <= 0 || r < 0.7) return pick(this.rand, names);
    const d = depth - 1;
    if (r < 0.85) return `(${this.bool(d)} ? ${this.category(c, d, false)} : ${this.category(c, d)})`;
    return `coalesce(${this.category(c, d, false)}, ${this.category(c, d)})`;
  }

  bool(depth: number): string {
    const r = this.rand();
    if (depth <= 0 || r < 0.15) {
      const l = this.rand();
      if (l < 0.7) return pick(this.rand, BOOL_NAMES);
      if (l < 0.85) return `${pick(this.rand, NUMBER_NAMES)} ${pick(this.rand, ['<', '<=', '>', '>=', '==', '!='])} ${this.literal()}`;
      return this.rand() < 0.5 ? 'true' : 'false';
    }
    const d = depth - 1;
    if (r < 0.4) return `${this.present(d)} ${pick(this.rand, ['<', '<=', '>', '>=', '==', '!='])} ${this.present(d)}`;
    if (r < 0.5) {
      const c = pick(this.rand, CATEGORIES);
      return `${this.category(c, d, false)} ${pick(this.rand, ['==', '!='])} ${this.category(c, d)}`;
    }
    if (r < 0.6) {
      const c = pick(this.rand, CATEGORIES);
      const n = randInt(this.rand, 0, 4);
      const items = Array.from({ length: n }, () => (this.rand() < 0.85 ? JSON.stringify(pick(this.rand, c.values)) : this.category(c, d, false)));
      return `${this.category(c, d, false)} ${this.rand() < 0.5 ? 'in' : 'not in'} [${items.join(', ')}]`;
    }
    if (r < 0.67) {
      const n = randInt(this.rand, 0, 5);
      const items = Array.from({ length: n }, () => (this.rand() < 0.85 ? this.literal() : this.present(d)));
      return `${this.present(d)} ${this.rand() < 0.5 ? 'in' : 'not in'} [${items.join(', ')}]`;
    }
    if (r < 0.75) return `${this.bool(d)} ${this.rand() < 0.5 ? 'and' : '&&'} ${this.bool(d)}`;
    if (r < 0.83) return `${this.bool(d)} ${this.rand() < 0.5 ? 'or' : '||'} ${this.bool(d)}`;
    if (r < 0.88) return `${this.rand() < 0.5 ? 'not' : '!'} (${this.bool(d)})`;
    if (r < 0.91) return `isMissing(${this.rand() < 0.7 ? this.number(d) : this.category(pick(this.rand, CATEGORIES), d, false)})`;
    if (r < 0.94) return `(${this.bool(d)}) == (${this.bool(d)})`;
    return `(${this.bool(d)} ? ${this.bool(d)} : ${this.bool(d)})`;
  }

  any(depth: number): string {
    const r = this.rand();
    if (r < 0.45) return this.bool(depth);
    if (r < 0.9) return this.number(depth);
    return this.category(pick(this.rand, CATEGORIES), depth, false);
  }
}

const EDGE_VALUES = [NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, 2.5, -2.5, 12, 13, 0.1, 1e300, -1e300, 5e-324, 63, 64, 1732350000000, -86400001];

/** A frame and a feature vector with edge values, codes in and out of the dictionaries, and plain numbers. */
export function randomInputs(rand: () => number): { frame: Float64Array; features: Float32Array } {
  const value = () => {
    const r = rand();
    if (r < 0.35) return pick(rand, EDGE_VALUES);
    if (r < 0.65) return randInt(rand, -2, 72);
    if (r < 0.7) return randInt(rand, 0, 6) + 0.5;
    return (rand() - 0.5) * 200;
  };
  const frame = Float64Array.from({ length: FRAME_SLOTS }, value);
  const features = Float32Array.from({ length: FEATURES }, value);
  return { frame, features };
}

/** Same f64 bits, except that any NaN equals any NaN. */
export function sameValue(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}
