/**
 * The examples table of docs/expressions.md, run as tests: each row is
 * compiled and evaluated by the AST evaluator, the bytecode reference and
 * both wasm builds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NextbestError } from '../../../src/errors.js';
import { compileExpr, programsToBundle, validatePrograms } from '../../../src/compile/expr/index.js';
import { evalAst, evalReference } from '../../../src/reference/expr.js';
import { WasmInstance } from '../../../src/runtime/wasm.js';
import { ProgramHost } from '../../../src/runtime/programs.js';
import { BINDINGS, ENV, FEATURES, FRAME_SLOTS, sameValue } from '../../helpers/expr.js';
import { VARIANTS } from '../../helpers/random.js';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'expressions.md'), 'utf8');
const table = doc.slice(doc.indexOf('<!-- examples:start -->'), doc.indexOf('<!-- examples:end -->'));
const rows = table
  .split('\n')
  .filter((l) => l.startsWith('| `'))
  .map((l) => {
    const m = /^\| `(.+?)` \| (?:`(.*?)`)? *\| `(.+?)` \|$/.exec(l);
    if (!m) throw new Error(`cannot read example row: ${l}`);
    return { expr: m[1]!, inputs: m[2] ?? '', result: m[3]! };
  });

function literal(text: string, name: string): number {
  if (text === 'missing') return NaN;
  if (text === 'true') return 1;
  if (text === 'false') return 0;
  if (text.startsWith('"')) {
    const values = (BINDINGS[name]!.type as { values: readonly string[] }).values;
    const code = values.indexOf(JSON.parse(text));
    if (code < 0) throw new Error(`bad example value ${text} for ${name}`);
    return code;
  }
  const v = Number(text);
  if (Number.isNaN(v)) throw new Error(`bad example value ${text}`);
  return v;
}

function inputs(text: string): { frame: Float64Array; features: Float32Array } {
  const frame = new Float64Array(FRAME_SLOTS).fill(NaN);
  const features = new Float32Array(FEATURES).fill(NaN);
  for (const part of text.split(', ').filter((p) => p.trim())) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq);
    const b = BINDINGS[name];
    if (!b) throw new Error(`unknown example input ${name}`);
    const v = literal(part.slice(eq + 1), name);
    if (b.source === 'frame') frame[b.slot] = v;
    else if (b.source === 'features') features[b.index] = v;
  }
  return { frame, features };
}

describe('docs/expressions.md examples', () => {
  it('has examples', () => {
    expect(rows.length).toBeGreaterThan(40);
  });
  const instances = VARIANTS.map((v) => WasmInstance.create(v));
  for (const row of rows) {
    it(`${row.expr} -> ${row.result}`, () => {
      if (row.result.startsWith('EXPR_')) {
        try {
          compileExpr(row.expr, ENV);
        } catch (e) {
          expect(e).toBeInstanceOf(NextbestError);
          expect((e as NextbestError).code).toBe(row.result);
          return;
        }
        throw new Error('compiled');
      }
      const prog = compileExpr(row.expr, ENV);
      const want = row.result.startsWith('"')
        ? (prog.type as { values: readonly string[] }).values.indexOf(JSON.parse(row.result))
        : literal(row.result, '');
      const { frame, features } = inputs(row.inputs);
      const set = validatePrograms(programsToBundle([prog]), { frameSlots: FRAME_SLOTS, features: FEATURES });
      const got = [evalReference(prog, frame, features), evalAst(row.expr, ENV, frame, features)];
      for (const w of instances) {
        const h = new ProgramHost(w, set);
        h.load(frame, features);
        got.push(h.evalOne(0));
      }
      for (const g of got) expect(sameValue(g, want), `${row.expr}: got ${got.join(', ')}`).toBe(true);
    });
  }
});
