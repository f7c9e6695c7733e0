/**
 * Decisions on the shipped telco bundle (models/telco.nbb, what `npm run
 * models` builds from models/telco/bundle.yaml): its actions and rules, the
 * 300-tree depth-6 XGBoost churn model, adaptive offer propensities (Thompson
 * sampling over the bundle's starting learning state), 20 journeys read by
 * the rules, contact policies and context weights. 1000 customers drawn from
 * scripts/demo-population.mjs, one channel each (20% of call-center requests
 * with a call reason), half with a contact history and about a quarter with
 * the events of a journey (STORIES: walk-outs, porting requests, connection
 * trouble, ...) in the engine's MemoryStore.
 *
 * Peers in the same run, interleaved (each call timed alone):
 *   engine.decide            JS request object -> JS result (features encoded, history from the store)
 *   engine.decide + explain  the same, with the explanation of every candidate
 *   reference twin           the plain-TS decision function (src/reference/decide.ts) from the same
 *                            request and store: trees walked in TS, adaptive scores from the counts,
 *                            journey values from the journeys twin over the decoded state
 *   kernel only              the decide export on inputs already in wasm memory
 *   churn model alone        the 300 trees for one row, inside wasm
 *   rules stage              every rule of every action (group rules per member), one crossing
 *   rules stage, distinct    each distinct rule program once, one crossing: what the kernel runs at
 *                            most per channel, since a program several actions share runs once per
 *                            decision (the rule memo; a false rule also stops its action's later rules)
 *   json-rules-engine        the same rules as JSON conditions (translated from the spec's
 *                            expressions), engine.run(facts) with the churn score as a fact
 * and, after the interleaved rounds, engine.decide alone and with explain
 * alone (no other peer's garbage to collect during their samples).
 * Before timing: engine.decide and the twin select the same actions with the
 * same priorities for 200 customers (seeded exploration), and the rules stage
 * and json-rules-engine agree on every rule of those customers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine as RulesEngine } from 'json-rules-engine';
import { Engine, MemoryStore, parseExpr } from '../../dist/index.js';
import { decodeLearning, decodeSection, ReferenceJourneys, ReferencePrng, referenceCounts, referenceDecide } from '../../dist/reference.js';
import { latency, latencyAsync, note, options, record, ROOT_DIR } from '../lib.mjs';
import { rng, STORIES, telcoCustomer } from '../../scripts/demo-population.mjs';

const SUITE = 'decide telco';
const BUNDLE = join(ROOT_DIR, 'models', 'telco.nbb');
const CHANNELS = ['app', 'web', 'email', 'sms', 'call_center', 'store'];
const CHANNEL_MIX = [0.35, 0.1, 0.2, 0.1, 0.15, 0.1];
export const NOW = Date.UTC(2026, 2, 2, 12);

/** n seeded telco requests (customers c0..), one channel each (scripts/profile-decide.mjs uses the same population). */
export function requests(n, r) {
  return Array.from({ length: n }, (_, i) => {
    const channel = r.pick(CHANNELS, CHANNEL_MIX);
    const context = { now: NOW, channel };
    if (channel === 'call_center' && r.chance(0.2)) context.call_reason = r.pick(['billing', 'technical', 'contract', 'cancel', 'upgrade', 'other']);
    return { customerId: `c${i}`, features: telcoCustomer(r), context };
  });
}

/** Half of the customers get 1-6 recorded contacts over the last 60 days. */
export function recordHistory(engine, reqs, r) {
  const t = engine.decisions.tables;
  let contacts = 0;
  for (const req of reqs) {
    if (r.chance(0.5)) continue;
    for (let k = 0, n = r.int(1, 6); k < n; k++) {
      const a = t.actions[Math.floor(r.u() * t.actions.length)];
      engine.record({
        customerId: req.customerId,
        actionId: a.id,
        channel: t.channels[a.channels[Math.floor(r.u() * a.channels.length)]],
        outcome: r.chance(0.6) ? 'impression' : 'reject',
        at: NOW - Math.floor(r.u() * 60 * 86_400_000),
      });
      contacts++;
    }
  }
  return contacts;
}

/** A telco journey story per customer, observed and advanced to NOW: events replayed and customers with a journey matched. */
export function replayStories(engine, reqs, r) {
  let events = 0;
  let withJourney = 0;
  for (const q of reqs) {
    const story = STORIES.telco(r, NOW);
    for (const e of story) engine.observe(q.customerId, e, { features: q.features });
    engine.advance(q.customerId, NOW);
    events += story.length;
    if (Object.entries(engine.journeyValues(q.customerId, NOW)).some(([k, v]) => k.split('.').length === 2 && v === true)) withJourney++;
  }
  return { events, withJourney };
}

// ---- the rules as json-rules-engine conditions --------------------------------

const OPS = { '==': 'equal', '!=': 'notEqual', '<': 'lessThan', '<=': 'lessThanInclusive', '>': 'greaterThan', '>=': 'greaterThanInclusive' };
const FLIP = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' };
const factOf = (ast) => ast.path.join('_');
const constOf = (ast, rule) => {
  if (ast.kind === 'number' || ast.kind === 'string' || ast.kind === 'bool') return ast.value;
  throw new Error(`json-rules-engine peer: ${rule}: only constants can be compared with a name`);
};

/**
 * One of our rules (its parsed expression) as json-rules-engine conditions.
 * Facts hold missing values as null: json-rules-engine's numeric operators
 * are false on null as ours are, but its notEqual and notIn are true, so
 * `!=` and `not in` get an explicit "not missing" guard (our comparisons with
 * missing are false).
 */
function toConditions(ast, rule) {
  switch (ast.kind) {
    case 'binary': {
      if (ast.op === 'and' || ast.op === 'or') {
        const key = ast.op === 'and' ? 'all' : 'any';
        const parts = [ast.left, ast.right].flatMap((x) => {
          const c = toConditions(x, rule);
          return c[key] ? c[key] : [c];
        });
        return { [key]: parts };
      }
      if (!(ast.op in OPS)) throw new Error(`json-rules-engine peer: ${rule}: operator ${ast.op} has no json-rules-engine form`);
      const [name, value, op] = ast.left.kind === 'name' ? [ast.left, constOf(ast.right, rule), ast.op] : [ast.right, constOf(ast.left, rule), FLIP[ast.op]];
      const cond = { fact: factOf(name), operator: OPS[op], value };
      return op === '!=' ? { all: [{ fact: factOf(name), operator: 'notEqual', value: null }, cond] } : cond;
    }
    case 'unary':
      if (ast.op !== 'not') break;
      return { not: toConditions(ast.operand, rule) };
    case 'in': {
      const values = ast.list.map((x) => constOf(x, rule));
      const cond = { fact: factOf(ast.value), operator: ast.negated ? 'notIn' : 'in', value: values };
      return ast.negated ? { all: [{ fact: factOf(ast.value), operator: 'notEqual', value: null }, cond] } : cond;
    }
    case 'call':
      if (ast.fn === 'isMissing' && ast.args.length === 1 && ast.args[0].kind === 'name') return { fact: factOf(ast.args[0]), operator: 'equal', value: null };
      break;
    case 'name':
      return { fact: factOf(ast), operator: 'equal', value: true };
  }
  throw new Error(`json-rules-engine peer: ${rule}: no json-rules-engine form for ${ast.kind}`);
}

function facts(req, churn, journeyValues) {
  const f = {};
  for (const [k, v] of Object.entries(req.features)) f[k] = v ?? null;
  f.context_channel = req.context.channel;
  f.context_call_reason = req.context.call_reason ?? null;
  f.score_churn = churn;
  for (const [k, v] of Object.entries(journeyValues)) f[k.replace(/\./g, '_')] = typeof v === 'number' && Number.isNaN(v) ? null : v;
  return f;
}

export async function run() {
  const r = rng(2026);
  const reqs = requests(1000, r);
  const n = reqs.length;
  const store = new MemoryStore();
  const engine = await Engine.load(new Uint8Array(readFileSync(BUNDLE)), { store, learning: { seed: 1 } });
  const d = engine.decisions;
  const t = d.tables;
  const contacts = recordHistory(engine, reqs, r);
  const { events, withJourney } = replayStories(engine, reqs, r);

  // the reference peer: the same request -> encode -> referenceDecide (seeded like engine.decide's seed) -> result objects
  const models = new Map(engine.modelIds.map((id) => [id, engine.modelTable(id)]));
  const contactsOffset = engine.stateLayout.sections.find((s) => s.name === 'contacts').offset;
  const fresh = d.freshState();
  const learned = decodeLearning(engine.learning.snapshot());
  const counts = (modelId, key) => learned.models.find((m) => m.id === modelId)?.instances.find(([k]) => k === key)?.[1] ?? referenceCounts(models.get(modelId));
  const ctxNames = engine.context.names;
  const jr = engine.journeys;
  const twin = new ReferenceJourneys(jr.set);
  const referencePeer = (i, seed = i) => {
    const req = reqs[i % n];
    const features = engine.schema.encode(req.features);
    const frame = new Float64Array(t.frame.slots).fill(NaN);
    ctxNames.forEach((name, k) => {
      if (name !== 'channel' && req.context[name] !== undefined) frame[t.frame.contextSlots[k]] = engine.context.encodeValue(k, req.context[name]);
    });
    const c = t.channels.indexOf(req.context.channel);
    const state = store.get(req.customerId) ?? fresh;
    const js = decodeSection(jr.set, jr.layout, state, jr.sectionOffset);
    const res = referenceDecide(t, models, {
      journeyValue: (id) => twin.value(js, NOW, id),
      adaptive: { counts, rng: new ReferencePrng(seed) },
      features,
      frame,
      state,
      contactsOffset,
      now: NOW,
      channels: [c],
      limit: t.arbitration.limit,
    });
    return res.ranked.map((k) => {
      const rec = res.records[k];
      const a = t.actions[rec.action];
      return { id: a.id, kind: a.kind, channel: t.channels[rec.channel], priority: rec.priority, propensity: rec.propensity, value: rec.value, context: rec.context, lever: rec.lever };
    });
  };
  let selected = 0;
  let scored = 0;
  for (let i = 0; i < 200; i++) {
    const dec = engine.decide(reqs[i], { explain: true, seed: i });
    const w = dec.actions.map((a) => `${a.id}@${a.channel}:${a.priority}`).join();
    const ref = referencePeer(i).map((a) => `${a.id}@${a.channel}:${a.priority}`).join();
    if (w !== ref) throw new Error(`${SUITE}: decide and the reference twin disagree on customer ${i}: ${w} vs ${ref}`);
    selected += dec.actions.length;
    if (dec.explanation.scores.churn) scored++;
  }

  // the rules stage: every rule program of every action, in the kernel's order, over a frame
  // filled as the kernel fills it before the rule stages (context, channel, the churn score)
  const ex = engine.wasm.exports;
  const programs = t.actions.flatMap((a) => a.rules.map(([, p]) => d.placed.programPtrs[p]));
  const ruleOf = t.actions.flatMap((a) => a.rules.map(([rule]) => t.rules[rule]));
  const list = engine.wasm.place(Int32Array.from(programs));
  const out = engine.wasm.alloc(programs.length * 8, 16);
  const churnSlot = t.frame.models.find((m) => m.id === 'churn').slot;
  const churnOf = reqs.map((q) => engine.score('churn', q.features)[0]);
  const inputs = reqs.map((q, i) => {
    const frame = new Float64Array(t.frame.slots).fill(NaN);
    frame[0] = NOW;
    const js = decodeSection(jr.set, jr.layout, store.get(q.customerId) ?? fresh, jr.sectionOffset);
    for (const j of t.frame.journeys) frame[j.slot] = twin.value(js, NOW, j.valueId);
    ctxNames.forEach((name, k) => {
      if (q.context[name] !== undefined) frame[t.frame.contextSlots[k]] = engine.context.encodeValue(k, q.context[name]);
    });
    frame[churnSlot] = churnOf[i];
    return { frame, features: engine.schema.encode(q.features) };
  });
  // the engine's views of its memory (re-made when it grows), not a new view per call
  const f64 = () => engine.wasm.f64;
  const f32 = () => engine.wasm.f32;
  const rulesStage = (i) => {
    const x = inputs[i % n];
    f64().set(x.frame, d.framePtr >> 3);
    f32().set(x.features, d.featuresPtr >> 2);
    return ex.evalPrograms(list, programs.length, d.framePtr, d.featuresPtr, out);
  };
  // what the kernel runs at most per requested channel: a program several actions share (a group's
  // rules) runs once per decision (the rule memo), so each distinct program once
  const distinct = [...new Set(programs)];
  const distinctList = engine.wasm.place(Int32Array.from(distinct));
  const rulesDistinct = (i) => {
    const x = inputs[i % n];
    f64().set(x.frame, d.framePtr >> 3);
    f32().set(x.features, d.featuresPtr >> 2);
    return ex.evalPrograms(distinctList, distinct.length, d.framePtr, d.featuresPtr, out);
  };
  const jre = new RulesEngine(
    ruleOf.map((rule, k) => ({ conditions: { all: [toConditions(parseExpr(rule.source), rule.name)] }, event: { type: String(k) }, priority: 1 })),
    { allowUndefinedFacts: true },
  );
  const jreFacts = reqs.map((q, i) => facts(q, churnOf[i], engine.journeyValues(q.customerId, NOW)));
  let fired = 0;
  for (let i = 0; i < 200; i++) {
    rulesStage(i);
    const w = f64().subarray(out >> 3, (out >> 3) + programs.length);
    const got = new Set((await jre.run(jreFacts[i])).events.map((e) => Number(e.type)));
    for (let k = 0; k < programs.length; k++) {
      if ((w[k] === 1) !== got.has(k)) throw new Error(`${SUITE}: the rules stage and json-rules-engine disagree on rule ${ruleOf[k].name} (${ruleOf[k].source}) for customer ${i}: ${w[k]} vs ${got.has(k)}`);
      fired += w[k] === 1 ? 1 : 0;
    }
  }

  // kernel only, on the inputs of the last decide call
  engine.decide(reqs[199]);
  const c0 = 1 << t.channels.indexOf(reqs[199].context.channel);
  const kernelOnly = () => ex.decide(d.placed.dt, d.featuresPtr, d.framePtr, d.statePtr, NOW, c0, 0, t.arbitration.limit, 0, d.outPtr);
  const rows = reqs.map((q) => engine.schema.encode(q.features));
  const scoreOut = new Float32Array(1);

  const peers = [
    ['engine.decide', (i) => engine.decide(reqs[i % n])],
    ['engine.decide explain', (i) => engine.decide(reqs[i % n], { explain: true })],
    ['reference twin (plain TS)', referencePeer],
    ['kernel only', kernelOnly],
    ['churn model alone (300 trees)', (i) => engine.score('churn', rows[i % n], scoreOut)],
    [`rules stage (${programs.length} rules of ${t.actions.length} actions)`, rulesStage],
    [`rules stage, each distinct program once (${distinct.length})`, rulesDistinct],
  ];
  const samples = peers.map(() => []);
  const jreSamples = [];
  const rounds = options.quick ? 2 : 12;
  for (let round = 0; round < rounds; round++) {
    peers.forEach(([, fn], k) => {
      samples[k].push(latency(fn, { warmup: round === 0 ? (options.quick ? 500 : 4000) : 200, samples: options.quick ? 300 : 2000 }));
    });
    jreSamples.push(await latencyAsync((i) => jre.run(jreFacts[i % n]), { warmup: round === 0 ? 200 : 20, samples: options.quick ? 50 : 200 }));
  }
  // engine.decide alone: the interleaved peers leave garbage (explanations, the twin's arrays) that the
  // collector may reclaim during decide's samples; this is decide's own p99 without them
  const aloneRounds = [];
  for (let round = 0; round < rounds; round++) aloneRounds.push(latency((i) => engine.decide(reqs[i % n]), { warmup: 200, samples: options.quick ? 300 : 2000 }));
  const explainOpts = { explain: true };
  const explainAlone = [];
  for (let round = 0; round < rounds; round++) explainAlone.push(latency((i) => engine.decide(reqs[i % n], explainOpts), { warmup: 200, samples: options.quick ? 300 : 2000 }));
  const rules = t.actions.reduce((s, a) => s + a.rules.length, 0);
  note(
    SUITE,
    `${t.actions.length} actions, ${t.rules.length} rules in the spec (${rules} rule evaluations when no action drops out), 300-tree churn model (scored in ${scored} of 200 decisions), ` +
      `adaptive offers model (${learned.models[0]?.instances.length ?? 0} learned actions), ${t.policies.length} policies, ${engine.stateLayout.size} bytes of state per customer, ` +
      `${contacts} recorded contacts, ${events} events (${withJourney} customers with an active journey); ${(selected / 200).toFixed(2)} actions selected per decision; ${((fired / (200 * programs.length)) * 100).toFixed(0)}% of the rules true`,
  );
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log('peer (us per call)'.padEnd(44) + 'p50'.padStart(9) + 'p99'.padStart(9));
  const show = (name, list, peer) => {
    // the median over rounds of each round's p50 and p99
    const p50 = med(list.map((s) => s.p50)) / 1000;
    const p99 = med(list.map((s) => s.p99)) / 1000;
    console.log(name.padEnd(44) + p50.toFixed(2).padStart(9) + p99.toFixed(2).padStart(9));
    record(SUITE, 'latency p50', name, p50, 'us', peer);
    record(SUITE, 'latency p99', name, p99, 'us', peer);
  };
  const [rulesName, distinctName] = [peers[5][0], peers[6][0]];
  const peerOf = { 'engine.decide': ['reference twin (plain TS)'], [rulesName]: ['json-rules-engine (same rules)'], [distinctName]: [rulesName] };
  peers.forEach(([name], k) => show(name, samples[k], peerOf[name] ?? ['engine.decide']));
  show('json-rules-engine (same rules)', jreSamples, undefined);
  show('engine.decide, measured alone', aloneRounds, ['reference twin (plain TS)']);
  show('engine.decide explain, measured alone', explainAlone, ['engine.decide, measured alone']);
}
