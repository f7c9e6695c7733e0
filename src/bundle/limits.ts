/**
 * The configured limits (src/limits.ts) of a bundle whose sections validated:
 * counts and sizes of every part, each over its limit a LIMIT_EXCEEDED that
 * names the limit and the part. The validators themselves enforce the hard
 * ceilings of the formats; this is where a host's tighter limits apply, once
 * per load (and per swap), before anything is placed in memory.
 */
import { checkLimit, type Limits } from '../limits.js';
import type { FeatureSchema } from '../runtime/features.js';
import type { ModelTable } from '../models/registry.js';
import type { TreesTable } from '../models/trees.js';
import type { StateLayout } from '../state/layout.js';
import type { JourneySet } from '../compile/journey/model.js';
import type { DecisionTables } from '../decide/tables.js';
import type { ValidProgram } from '../compile/expr/bytecode.js';

export interface BundleParts {
  bytes: number;
  schema: FeatureSchema;
  context: FeatureSchema;
  models: readonly ModelTable[];
  state?: StateLayout;
  journeys?: JourneySet;
  decisions?: DecisionTables;
}

/** The bundle size alone: checked before anything is decoded. */
export function checkBundleBytes(limits: Readonly<Limits>, bytes: number): void {
  checkLimit(limits, 'bundleBytes', bytes, 'the bundle size in bytes');
}

export function checkBundleLimits(limits: Readonly<Limits>, b: BundleParts): void {
  checkBundleBytes(limits, b.bytes);
  checkSchema(limits, b.schema, 'feature');
  checkSchema(limits, b.context, 'context field');
  checkLimit(limits, 'models', b.models.length, 'models in the bundle');
  let nodes = 0;
  for (const m of b.models) {
    if (m.kind !== 'trees') continue;
    checkTrees(limits, m);
    nodes += m.left.length;
  }
  checkLimit(limits, 'nodes', nodes, 'tree nodes in the bundle');
  if (b.state) checkLimit(limits, 'stateBytes', b.state.size, 'bytes of customer state');
  if (b.journeys) checkJourneys(limits, b.journeys);
  if (b.decisions) checkDecisions(limits, b.decisions);
}

function checkString(limits: Readonly<Limits>, s: string, what: string): void {
  if (s.length > limits.stringLength) checkLimit(limits, 'stringLength', s.length, `characters of ${what}`);
}

function checkDictionary(limits: Readonly<Limits>, values: readonly string[] | undefined, what: string): void {
  if (values === undefined) return;
  checkLimit(limits, 'categories', values.length, `values of ${what}`);
  for (const v of values) checkString(limits, v, `a value of ${what}`);
}

function checkSchema(limits: Readonly<Limits>, s: FeatureSchema, what: string): void {
  checkLimit(limits, 'features', s.size, `${what}s`);
  for (const d of s.defs) {
    checkString(limits, d.name, `${what} name "${d.name.slice(0, 64)}"`);
    checkDictionary(limits, d.categories, `${what} "${d.name}"`);
  }
}

function checkTrees(limits: Readonly<Limits>, t: TreesTable): void {
  const nTrees = t.treeGroup.length;
  checkLimit(limits, 'trees', nTrees, `trees of model "${t.id}"`);
  const deep = limits.treeDepth;
  const stack: number[] = [];
  for (let k = 0; k < nTrees; k++) {
    const start = t.treeStart[k]!;
    const size = t.treeStart[k + 1]! - start;
    checkLimit(limits, 'treeNodes', size, `nodes of tree ${k} of model "${t.id}"`);
    if (deep >= 256) continue; // the validator bounds depth at 256
    // depth-first over (node, depth) pairs; the validator proved this is a tree
    stack.length = 0;
    stack.push(0, 0);
    while (stack.length > 0) {
      const d = stack.pop()!;
      const n = stack.pop()!;
      if (d > deep) checkLimit(limits, 'treeDepth', d, `depth of tree ${k} of model "${t.id}"`);
      const l = t.left[start + n]!;
      if (l >= 0) stack.push(l, d + 1, t.right[start + n]!, d + 1);
    }
  }
}

function checkPrograms(limits: Readonly<Limits>, programs: readonly ValidProgram[], what: string): void {
  programs.forEach((p, i) => {
    const w = `${what} program ${i}`;
    checkLimit(limits, 'exprCodeWords', p.code.length, `bytecode words of ${w}`);
    checkLimit(limits, 'exprConsts', p.consts.length, `constants of ${w}`);
    checkLimit(limits, 'exprStack', p.maxStack, `operand stack of ${w}`);
    if (p.source !== undefined) checkLimit(limits, 'exprSourceLength', p.source.length, `characters of ${w}`);
  });
}

function checkJourneys(limits: Readonly<Limits>, j: JourneySet): void {
  checkLimit(limits, 'journeyPatterns', j.journeys.length, 'journey patterns in the bundle');
  checkLimit(limits, 'aggregates', j.aggregates.length, 'windowed aggregates in the bundle');
  checkLimit(limits, 'eventTypes', j.events.length, 'event types in the bundle');
  for (const e of j.events) {
    checkString(limits, e.name, 'an event type name');
    checkLimit(limits, 'eventAttributes', e.attributes.length, `attributes of event type "${e.name}"`);
    for (const a of e.attributes) {
      checkString(limits, a.name, `an attribute name of event type "${e.name}"`);
      checkDictionary(limits, a.categories, `attribute "${a.name}" of event type "${e.name}"`);
    }
  }
  for (const p of j.journeys) {
    checkString(limits, p.id, 'a journey id');
    checkLimit(limits, 'patternStates', p.steps.length, `steps of journey "${p.id}"`);
    checkLimit(limits, 'partialMatches', p.maxPartialMatches, `maxPartialMatches of journey "${p.id}"`);
  }
  checkPrograms(limits, j.programs, 'journeys');
}

function checkDecisions(limits: Readonly<Limits>, d: DecisionTables): void {
  checkLimit(limits, 'actions', d.actions.length, 'actions in the bundle');
  checkLimit(limits, 'policies', d.policies.length, 'contact policies in the bundle');
  checkDictionary(limits, d.channels, 'the channels');
  for (const a of d.actions) {
    checkString(limits, a.id, 'an action id');
    checkLimit(limits, 'rules', a.rules.length, `rules of action "${a.id}"`);
  }
  for (const r of d.rules) checkLimit(limits, 'exprSourceLength', r.source.length, `characters of rule "${r.name.slice(0, 64)}"`);
  checkPrograms(limits, d.programs.programs, 'decisions');
}
