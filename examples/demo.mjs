// npm run demo: the demo bundles at work (models/telco.nbb, bank.nbb, retail.nbb).
//
// For each bundle: replay the sample customers' contact history and events
// (models/<name>/contacts.ndjson, events.ndjson) through engine.record and
// engine.observe, as a host would as they happen (journeys match, triggers
// decide), then decide for every sample customer (customers.ndjson) and
// print the ranked actions with their factors (P propensity, C context
// weight, V value, L lever), why the top action won, and what was not
// offered and why. Everything comes from the engine's own explanation.
//
//   node examples/demo.mjs [telco|bank|retail ...] [--all]   (--all: every reason an offer was not made, not just 3)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../dist/index.js';

const MODELS = join(dirname(fileURLToPath(import.meta.url)), '..', 'models');
const args = process.argv.slice(2);
const showAll = args.includes('--all');
const names = args.filter((a) => !a.startsWith('--'));
const BUNDLES = names.length > 0 ? names : ['telco', 'bank', 'retail'];

const lines = (file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
const hhmm = (t) => new Date(t).toISOString().slice(11, 16);
const day = (t) => new Date(t).toISOString().slice(0, 10);
const when = (t, now) => (day(t) === day(now) ? hhmm(t) : `${day(t).slice(5)} ${hhmm(t)}`);
const num = (x, d = 2) => (x === undefined ? '' : Math.abs(x) >= 1000 ? x.toFixed(0) : x.toFixed(d));
const clip = (s, n) => (s.length <= n ? s : s.slice(0, n - 3) + '...');

/** "phone_change at 09:55, failed_connections x3 10:02-10:31" */
function matchText(m, now) {
  const steps = m.events
    .filter((e) => e.count > 0)
    .map((e) => {
      const attrs = e.attributes ? ` (${Object.entries(e.attributes).map(([k, v]) => `${k} ${typeof v === 'number' ? Math.round(v * 100) / 100 : v}`).join(', ')})` : '';
      return e.count > 1 ? `${e.step} x${e.count} ${when(e.firstTime, now)}-${when(e.lastTime, now)}${attrs}` : `${e.step} at ${when(e.lastTime, now)}${attrs}`;
    });
  return `${m.journey} at ${when(m.time, now)}: ${steps.join(', ')}`;
}

/** How far a candidate got (the later its stage, the closer it came to being offered). */
const PROGRESS = ['channel', 'eligibility', 'applicability', 'suitability', 'policy', 'propensity', 'value', 'context', 'priority', 'suppression', 'exclusion', 'limit', 'selected'];

/** Journeys a rule expression reads. */
const journeysIn = (expression) => [...expression.matchAll(/journey\.([A-Za-z0-9_]+)/g)].map((m) => m[1]);

/** One line on why the top action won: the moment (a journey match) or the rules and scores behind it, and what it kept out. */
function reasonForTop(top, decision, journeys, actionInfo) {
  const info = actionInfo.get(top.id);
  const now = decision.explanation.now;
  const matched = [...new Set(info.rules.flatMap((r) => journeysIn(r.expression)))].map((j) => journeys.get(j)).filter(Boolean);
  let because;
  if (matched.length > 0) {
    because = matchText(matched[0], now);
  } else {
    const own = info.rules.filter((r) => r.owner === `action ${top.id}`);
    because = (own.length > 0 ? own : info.rules).map((r) => `${r.name} (${r.expression})`).join(', ');
    const scores = Object.entries(decision.explanation.scores).map(([m, v]) => `${m} ${num(v[0], 2)}`);
    if (scores.length > 0) because += `; scores: ${scores.join(', ')}`;
  }
  const consequence = [`${top.id} first${top.mandatory ? ` (mandatory ${top.kind})` : ''}`];
  // what it kept out: candidates it suppressed, or that a rule on the same moment held back
  const active = new Set(matched.map((m) => m.journey));
  const held = new Set(
    decision.explanation.candidates
      .filter((c) => (c.stage === 'suppression' && c.by === top.id) || (c.rule && journeysIn(c.rule.expression).some((j) => active.has(j)) && /not journey/.test(c.rule.expression)))
      .map((c) => c.action),
  );
  if (held.size > 0) {
    const kinds = new Set([...held].map((a) => actionInfo.get(a).kind));
    consequence.push(`${held.size} ${kinds.size === 1 ? `${[...kinds][0]} ` : ''}offers held back on every channel`);
  }
  return `${because} -> ${consequence.join(', ')}`;
}

/**
 * The most telling offers that were not made: those that came closest (by
 * stage), and those a rule on this customer's moments held back, before
 * rules on moments that did not happen.
 */
function dropped(decision, journeys, limit) {
  const interest = (c) => {
    let score = PROGRESS.indexOf(c.stage);
    if (c.rule) {
      const read = journeysIn(c.rule.expression);
      if (read.some((j) => journeys.has(j))) score += 20;
      else if (/^\s*journey\.[A-Za-z0-9_]+(\s+or\s+journey\.[A-Za-z0-9_]+)*\s*$/.test(c.rule.expression)) score -= 20; // waits for a moment that did not happen
    }
    return score;
  };
  const out = decision.explanation.candidates
    .filter((c) => c.stage !== 'selected' && c.stage !== 'channel')
    .map((c, i) => ({ c, i, score: interest(c) }))
    .sort((a, b) => b.score - a.score || (b.c.factors?.priority ?? 0) - (a.c.factors?.priority ?? 0) || a.i - b.i)
    .map((x) => x.c);
  // one line per reason: the first offer it stopped, and how many more it stopped
  const groups = new Map();
  const seen = new Set();
  for (const c of out) {
    if (seen.has(c.action)) continue;
    seen.add(c.action);
    const key = `${c.stage}:${c.rule?.name ?? c.policy?.id ?? c.set ?? c.by ?? ''}`;
    const g = groups.get(key);
    if (g) g.more++;
    else groups.set(key, { c, more: 0 });
  }
  return [...groups.values()].slice(0, limit);
}

async function demo(name) {
  const dir = join(MODELS, name);
  const engine = await Engine.load(join(MODELS, `${name}.nbb`), { learning: { seed: 7 } });
  const customers = lines(join(dir, 'customers.ndjson'));
  const featuresOf = new Map(customers.map((c) => [c.customerId, c.features]));
  const actionInfo = new Map(engine.actions.map((a) => [a.id, a]));

  // the contact history and the events, in time order, as they happened
  const contacts = lines(join(dir, 'contacts.ndjson')).map((c) => ({ at: c.at, contact: c }));
  const events = lines(join(dir, 'events.ndjson')).map(({ customerId, ...event }) => ({ at: event.time, customerId, event }));
  const stream = [...contacts, ...events].sort((a, b) => a.at - b.at);
  const journeys = new Map(customers.map((c) => [c.customerId, new Map()]));
  const triggered = new Map(customers.map((c) => [c.customerId, []]));
  let matches = 0;
  for (const s of stream) {
    if (s.contact) {
      engine.record(s.contact);
      continue;
    }
    const r = engine.observe(s.customerId, s.event, { features: featuresOf.get(s.customerId) });
    for (const m of r.matches) {
      journeys.get(s.customerId).set(m.journey, m);
      matches++;
    }
    for (const d of r.decisions ?? []) triggered.get(s.customerId).push(d);
  }

  const t = engine.actions;
  console.log(
    `\n== ${engine.info.name} ${engine.info.version}: ${t.length} actions, ${new Set(t.flatMap((a) => a.rules)).size} rules, ` +
      `models ${engine.modelIds.join(', ')}; replayed ${events.length} events (${matches} journey matches) and ${contacts.length} contacts`,
  );
  console.log('customer  channel              #  action                         priority      P      C        V      L');
  for (const [i, req] of customers.entries()) {
    const now = req.context.now;
    for (const m of engine.advance(req.customerId, now)) journeys.get(req.customerId).set(m.journey, m); // absences that time alone completed
    const decision = engine.decide(req, { explain: true, limit: 3, seed: i });
    const channel = Array.isArray(req.context.channel) ? req.context.channel.join('+') : (req.context.channel ?? 'all');
    const head = `${req.customerId.padEnd(9)} ${clip(channel + (req.context.call_reason ? `/${req.context.call_reason}` : req.context.page ? `/${req.context.page}` : ''), 20).padEnd(20)}`;
    if (decision.actions.length === 0) console.log(`${head} -  (nothing to offer)`);
    decision.actions.forEach((a, k) => {
      const row = `${String(a.rank).padStart(1)}  ${clip(a.id + (a.mandatory ? '*' : ''), 30).padEnd(30)} ${num(a.priority).padStart(8)} ${num(a.propensity, 3).padStart(6)} ${num(a.context).padStart(6)} ${num(a.value).padStart(8)} ${num(a.lever).padStart(6)}`;
      console.log(`${k === 0 ? head : ' '.repeat(head.length)} ${row}`);
    });
    const pad = ' '.repeat(10);
    const fired = triggered.get(req.customerId);
    for (const d of fired) {
      const acts = d.decision.actions.map((a) => a.id).join(', ') || 'nothing';
      console.log(`${pad}trigger: ${d.journey} at ${when(d.time, now)} -> ${d.trigger}: ${acts}`);
    }
    if (decision.actions.length > 0) console.log(`${pad}why: ${reasonForTop(decision.actions[0], decision, journeys.get(req.customerId), actionInfo)}`);
    for (const { c, more } of dropped(decision, journeys.get(req.customerId), showAll ? Infinity : 3)) {
      console.log(`${pad}not offered: ${c.action}${c.channel ? ` on ${c.channel}` : ''}${more > 0 ? ` (and ${more} more)` : ''}: ${clip(c.reason, 150)}`);
    }
  }
}

for (const name of BUNDLES) await demo(name);
console.log('\n* mandatory. P propensity (adaptive ones explored), C context weight, V value, L lever; priority = P x C x V x L.');
