/**
 * Tokens of the expression language. Numbers are finite; a number glued to a
 * unit (`500ms`, `1.5h`) is a duration; strings take single or double quotes
 * with JSON escapes plus \' ; `//` starts a comment to the end of the line.
 */
import { DURATION_MS, type DurationUnit, type ExprOrigin, type Span } from './ast.js';
import { exprError } from './diagnostics.js';

export type Token =
  | { type: 'number'; value: number; text: string; span: Span }
  | { type: 'duration'; amount: number; unit: DurationUnit; text: string; span: Span }
  | { type: 'string'; value: string; text: string; span: Span }
  | { type: 'ident'; text: string; span: Span }
  | { type: 'op'; text: string; span: Span }
  | { type: 'eof'; text: ''; span: Span };

const TWO_CHAR_OPS = new Set(['==', '!=', '<=', '>=', '&&', '||']);
const ONE_CHAR_OPS = new Set(['+', '-', '*', '/', '%', '<', '>', '!', '?', ':', '(', ')', '[', ']', ',', '.']);
const UNITS: readonly DurationUnit[] = ['ms', 's', 'm', 'h', 'd', 'w'];

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function showChar(ch: string): string {
  const c = ch.codePointAt(0)!;
  return c < 32 || c === 127 || (c >= 0xd800 && c <= 0xdfff) ? `\\u${c.toString(16).padStart(4, '0')}` : ch;
}

export function tokenize(source: string, origin?: ExprOrigin): Token[] {
  const tokens: Token[] = [];
  const n = source.length;
  const fail = (msg: string, start: number, end = start + 1): never => {
    throw exprError('EXPR_PARSE', msg, source, { start, end: Math.min(Math.max(end, start + 1), n || 1) }, origin);
  };
  let i = 0;
  while (i < n) {
    const c = source.charCodeAt(i);
    // whitespace (including CR, tabs, form feed, non-breaking space)
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 0xa0 || c === 0xfeff) {
      i++;
      continue;
    }
    if (c === 47 && source.charCodeAt(i + 1) === 47) {
      while (i < n && source.charCodeAt(i) !== 10) i++;
      continue;
    }
    const start = i;
    const prev = tokens[tokens.length - 1];
    const afterOperand = prev !== undefined && (prev.type === 'ident' || (prev.type === 'op' && (prev.text === ')' || prev.text === ']')));
    if (isDigit(c) || (c === 46 && isDigit(source.charCodeAt(i + 1)) && !afterOperand)) {
      while (isDigit(source.charCodeAt(i))) i++;
      if (source.charCodeAt(i) === 46 && isDigit(source.charCodeAt(i + 1))) {
        i++;
        while (isDigit(source.charCodeAt(i))) i++;
      }
      const e = source.charCodeAt(i);
      if (e === 101 || e === 69) {
        let j = i + 1;
        const sign = source.charCodeAt(j);
        if (sign === 43 || sign === 45) j++;
        if (isDigit(source.charCodeAt(j))) {
          while (isDigit(source.charCodeAt(j))) j++;
          i = j;
        }
      }
      const text = source.slice(start, i);
      const value = Number(text);
      if (!Number.isFinite(value)) fail(`number ${text} is too large`, start, i);
      if (isIdentStart(source.charCodeAt(i))) {
        let j = i;
        while (isIdentPart(source.charCodeAt(j))) j++;
        const word = source.slice(i, j);
        const unit = UNITS.find((u) => u === word);
        if (!unit) {
          fail(`unknown unit \`${word}\` after ${text}; durations use ms, s, m, h, d or w (e.g. 15m, 24h, 7d)`, i, j);
        }
        const ms = value * DURATION_MS[unit!];
        if (!Number.isFinite(ms)) fail(`duration ${text}${word} is too large`, start, j);
        tokens.push({ type: 'duration', amount: value, unit: unit!, text: source.slice(start, j), span: { start, end: j } });
        i = j;
      } else {
        tokens.push({ type: 'number', value, text, span: { start, end: i } });
      }
      continue;
    }
    if (isIdentStart(c)) {
      while (isIdentPart(source.charCodeAt(i))) i++;
      tokens.push({ type: 'ident', text: source.slice(start, i), span: { start, end: i } });
      continue;
    }
    if (c === 34 || c === 39) {
      tokens.push(lexString(source, i, fail));
      i = tokens[tokens.length - 1]!.span.end;
      continue;
    }
    const two = source.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      tokens.push({ type: 'op', text: two, span: { start, end: i + 2 } });
      i += 2;
      continue;
    }
    if (two === '<>') fail('`<>` is not an operator; write `!=`', i, i + 2);
    if (two === '=>') fail('`=>` is not an operator; write `>=`', i, i + 2);
    const ch = source[i]!;
    if (ONE_CHAR_OPS.has(ch)) {
      tokens.push({ type: 'op', text: ch, span: { start, end: i + 1 } });
      i++;
      continue;
    }
    if (ch === '=') fail('`=` is not an operator; write `==` to compare', i);
    if (ch === '&') fail('`&` is not an operator; write `and` (or `&&`)', i);
    if (ch === '|') fail('`|` is not an operator; write `or` (or `||`)', i);
    const cp = source.codePointAt(i)!;
    fail(`unexpected character \`${showChar(String.fromCodePoint(cp))}\``, i, i + (cp > 0xffff ? 2 : 1));
  }
  tokens.push({ type: 'eof', text: '', span: { start: n, end: n } });
  return tokens;
}

function lexString(source: string, start: number, fail: (msg: string, s: number, e?: number) => never): Token {
  const quote = source.charCodeAt(start);
  let i = start + 1;
  let out = '';
  for (;;) {
    if (i >= source.length) fail('unterminated string: add the closing quote', start, i);
    const c = source.charCodeAt(i);
    if (c === quote) {
      i++;
      break;
    }
    if (c === 10 || c === 13) fail('unterminated string: a string cannot span lines (write \\n)', start, i);
    if (c !== 92) {
      out += source[i];
      i++;
      continue;
    }
    const e = source[i + 1];
    switch (e) {
      case '"':
      case "'":
      case '\\':
      case '/':
        out += e;
        i += 2;
        break;
      case 'n':
        out += '\n';
        i += 2;
        break;
      case 'r':
        out += '\r';
        i += 2;
        break;
      case 't':
        out += '\t';
        i += 2;
        break;
      case 'b':
        out += '\b';
        i += 2;
        break;
      case 'f':
        out += '\f';
        i += 2;
        break;
      case 'u': {
        if (source[i + 2] === '{') {
          const close = source.indexOf('}', i + 3);
          const hex = close < 0 ? '' : source.slice(i + 3, close);
          const cp = /^[0-9a-fA-F]{1,6}$/.test(hex) ? parseInt(hex, 16) : -1;
          if (cp < 0 || cp > 0x10ffff) fail('bad \\u{...} escape: give 1 to 6 hex digits up to 10FFFF', i, close < 0 ? i + 3 : close + 1);
          out += String.fromCodePoint(cp);
          i = close + 1;
        } else {
          const hex = source.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape: give exactly 4 hex digits (\\u00e9) or \\u{...}', i, i + 6);
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        }
        break;
      }
      default:
        fail(`unknown escape \`\\${e === undefined ? '' : showChar(e)}\`; use \\", \\', \\\\, \\n, \\r, \\t, \\b, \\f or \\uXXXX`, i, i + 2);
    }
  }
  return { type: 'string', value: out, text: source.slice(start, i), span: { start, end: i } };
}
