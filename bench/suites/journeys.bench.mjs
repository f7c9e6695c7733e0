/**
 * Journeys: 20 realistic patterns (telco and banking moments of truth: loops,
 * absences between steps and at the end, strict contiguity, conditions on
 * attributes and on a 7-day spending aggregate) over 100,000 customers.
 *
 * Measured, on one pre-generated stream of 2,000,000 events in time order
 * (about 20 per customer, types drawn with realistic frequencies):
 *   - engine.observe(customerId, event) with memoryStore: { wasm: true } (SlabStore: states
 *     in the engine's wasm memory, the kernel runs on the customer's slot in
 *     place; CLOCK recency, TTL, size cap), matches decoded;
 *   - the same with the default MemoryStore (states as JS byte arrays in an exact-LRU Map,
 *     copied in and out of wasm: what any external StateStore costs at least);
 *   - the kernel alone on the slots (events pre-encoded, no lookup): the floor
 *     of the store form;
 *   - engine.observeState(bytes, event, { into: bytes }): the pure form, states
 *     kept by the caller in an array and updated in place; and the default,
 *     which returns new bytes for every event;
 *   - the floor: only copying the event's customer state into a scratch
 *     buffer and back (what any design that keeps per-customer bytes in JS
 *     pays at least: 100,000 random states do not fit in the caches);
 *   - the peer: the plain-TypeScript reference twin on its plain-data customer
 *     state (no bytes), one object per customer, the same semantics;
 *   - observeState into the caller's bytes for 1,000 customers only (states stay
 *     in the CPU caches: the engine's own cost per event);
 *   - floors of a store keyed by customer id: Map.get, and Map.get plus the
 *     LRU re-insert MemoryStore does;
 *   - p50/p99 latency of one observe with the store;
 *   - bytes of state per customer.
 * Rates are events per CPU-second of this process (best of the passes;
 * wall-clock rates printed alongside): the machine is shared.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, buildBundle } from '../../dist/index.js';
import { ReferenceJourneys } from '../../dist/reference.js';
import { latency, mulberry32, options, record, size } from '../lib.mjs';

const SUITE = `journeys: 20 patterns, ${size(100, 10)}k customers`;
// --quick (a smoke run): 10,000 customers and 200,000 events
const CUSTOMERS = size(100_000, 10_000);
const EVENTS = size(2_000_000, 200_000);

export const SPEC = `
bundle: journeys-bench
version: "1"
features:
  tenure_months: numeric
events:
  device_change: { model: categorical }
  connect_fail: { network: [mobile, wifi, fixed] }
  app_open: {}
  app_crash: { version: categorical }
  view_plan: { plan: [basic, plus, max] }
  view_cancel_page: {}
  view_retention_offer: { offer: [discount, upgrade, bundle] }
  store_visit: { store: categorical }
  contract_renewal: {}
  support_call: { topic: [billing, network, device, other] }
  complaint: {}
  bill_issued: { amount: numeric }
  payment: { amount: numeric }
  payment_failed: {}
  roaming_on: { country: categorical }
  usage_alert: { pct: numeric }
  add_to_cart: { value: numeric }
  purchase: { value: numeric }
  card_payment: { amount: numeric, merchant: [grocery, travel, fuel, online, other] }
  atm_decline: { reason: [insufficient_funds, card_blocked, wrong_pin, daily_limit], amount: numeric }
journeys:
  aggregates:
    spend7d: { event: card_payment, value: event.amount, functions: [sum], over: 7d, resolution: 1d }
  patterns:
    connection_trouble:
      steps:
        - { event: device_change, as: change }
        - { followedBy: connect_fail, as: fails, where: 'event.network == "mobile"', times: 3+, capture: [network] }
      within: 1h
    retention_walkout:
      steps:
        - { event: view_retention_offer, as: offer, capture: [offer] }
        - { followedBy: store_visit, as: visit }
        - { notFollowedBy: contract_renewal, within: 24h }
      within: 7d
    declined_heavy_spender:
      steps:
        - { event: atm_decline, where: 'event.reason == "insufficient_funds" and journey.spend7d.sum > 2000', capture: [amount] }
    bill_shock:
      steps:
        - { event: bill_issued, where: event.amount > 150 }
    roaming_welcome:
      steps:
        - { event: roaming_on }
    upgrade_abandon:
      steps:
        - { event: view_plan, where: 'event.plan != "basic"' }
        - { notFollowedBy: purchase, within: 30m }
      within: 1h
    repeated_complaints:
      steps:
        - { event: complaint, times: 2+ }
      within: 7d
    data_cap_near:
      steps:
        - { event: usage_alert, where: event.pct >= 90 }
    payment_failed_twice:
      steps:
        - { event: payment_failed, times: 2 }
      within: 30d
    plan_shopping:
      steps:
        - { event: view_plan, times: 3+ }
      within: 1d
    cart_abandon:
      steps:
        - { event: add_to_cart, where: event.value > 20 }
        - { notFollowedBy: purchase, within: 2h }
      within: 2h
    support_then_cancel_page:
      steps:
        - { event: support_call }
        - { followedBy: view_cancel_page }
      within: 7d
    new_device:
      steps:
        - { event: device_change }
    crash_loop:
      steps:
        - { event: app_crash, times: 3, consecutive: true }
      within: 10m
    late_payment:
      steps:
        - { event: bill_issued }
        - { notFollowedBy: payment, within: 14d }
      within: 1d
    usage_then_support:
      steps:
        - { event: usage_alert, where: event.pct >= 80 }
        - { followedBy: support_call, where: 'event.topic == "billing" or event.topic == "network"' }
      within: 1d
    cancel_intent:
      steps:
        - { event: view_cancel_page, times: 2+ }
      within: 3d
    big_purchase:
      steps:
        - { event: purchase, where: event.value > 500 }
    offer_then_visit:
      steps:
        - { event: view_retention_offer }
        - { followedBy: store_visit }
      within: 3d
    app_engaged:
      steps:
        - { event: app_open, times: 5+ }
      within: 1d
`;

// [type, weight, attributes(rand)]
const TYPES = [
  ['app_open', 30, () => ({})],
  ['card_payment', 18, (r) => ({ amount: Math.round(r() * 30000) / 100, merchant: ['grocery', 'travel', 'fuel', 'online', 'other'][Math.floor(r() * 5)] })],
  ['connect_fail', 8, (r) => ({ network: ['mobile', 'wifi', 'fixed'][Math.floor(r() * 3)] })],
  ['view_plan', 6, (r) => ({ plan: ['basic', 'plus', 'max'][Math.floor(r() * 3)] })],
  ['usage_alert', 4, (r) => ({ pct: Math.floor(r() * 100) })],
  ['payment', 4, (r) => ({ amount: Math.round(r() * 10000) / 100 })],
  ['bill_issued', 3, (r) => ({ amount: Math.round(r() * 25000) / 100 })],
  ['add_to_cart', 4, (r) => ({ value: Math.round(r() * 20000) / 100 })],
  ['purchase', 3, (r) => ({ value: Math.round(r() * 80000) / 100 })],
  ['support_call', 3, (r) => ({ topic: ['billing', 'network', 'device', 'other'][Math.floor(r() * 4)] })],
  ['app_crash', 3, (r) => ({ version: Math.floor(r() * 20) })],
  ['device_change', 2, (r) => ({ model: Math.floor(r() * 50) })],
  ['view_cancel_page', 2, () => ({})],
  ['view_retention_offer', 2, (r) => ({ offer: ['discount', 'upgrade', 'bundle'][Math.floor(r() * 3)] })],
  ['store_visit', 2, (r) => ({ store: Math.floor(r() * 400) })],
  ['complaint', 1, () => ({})],
  ['payment_failed', 1, () => ({})],
  ['roaming_on', 1, (r) => ({ country: Math.floor(r() * 200) })],
  ['atm_decline', 1, (r) => ({ reason: ['insufficient_funds', 'card_blocked', 'wrong_pin', 'daily_limit'][Math.floor(r() * 4)], amount: 100 })],
  ['contract_renewal', 1, () => ({})],
];

/** The stream: events in time order over 20 days, customers drawn uniformly. */
export function stream(seed) {
  const r = mulberry32(seed);
  const total = TYPES.reduce((s, t) => s + t[1], 0);
  const T0 = Date.UTC(2024, 10, 1);
  const span = 20 * 86_400_000;
  const customers = new Int32Array(EVENTS);
  const events = new Array(EVENTS);
  for (let i = 0; i < EVENTS; i++) {
    let x = r() * total;
    let t = TYPES[0];
    for (const c of TYPES) {
      x -= c[1];
      if (x < 0) {
        t = c;
        break;
      }
    }
    customers[i] = Math.floor(r() * CUSTOMERS);
    events[i] = { type: t[0], time: T0 + Math.floor((i / EVENTS) * span), ...t[2](r) };
  }
  return { customers, events };
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Best rate of `passes` timed calls of fn after one untimed (warm-up) call (fn may return the CPU seconds of its timed part). */
function rate(passes, n, fn) {
  let cpu = 0;
  let wall = 0;
  fn();
  for (let p = 0; p < (options.quick ? 1 : passes); p++) {
    const t = process.hrtime.bigint();
    const c = cpuSeconds();
    const own = fn();
    const used = typeof own === 'number' ? own : cpuSeconds() - c;
    cpu = Math.max(cpu, n / used);
    wall = Math.max(wall, n / (typeof own === 'number' ? own : Number(process.hrtime.bigint() - t) / 1e9));
  }
  return { cpu, wall };
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'nb-journeys-'));
  writeFileSync(join(dir, 'bench.yaml'), SPEC);
  const bytes = await buildBundle(join(dir, 'bench.yaml'), { created: 'bench' });
  const { customers, events } = stream(7);
  const ids = Array.from({ length: CUSTOMERS }, (_, i) => `cust-${i}`);
  const fresh = () => Engine.load(bytes, { memoryStore: { wasm: true, maxEntries: 2 * CUSTOMERS } });

  const engine = await fresh();
  const rt = engine.journeys;
  const stateBytes = rt.stateSize;
  console.log(`state: ${stateBytes} bytes per customer (header ${rt.sectionOffset} + journeys ${rt.layout.size}, rounded to 8); ${rt.set.journeys.length} patterns, ${rt.set.aggregates.length} aggregate`);
  record(SUITE, 'state per customer', 'bytes', stateBytes, 'bytes');

  // The twin as the plain-JS peer: plain-data state per customer, events pre-encoded as its attribute arrays.
  const twin = new ReferenceJourneys(rt.set);
  const typeIndex = new Map(rt.set.events.map((e, i) => [e.name, i]));
  const refEvents = events.map((ev) => {
    const def = rt.set.events[typeIndex.get(ev.type)];
    return {
      type: typeIndex.get(ev.type),
      time: ev.time,
      attributes: def.attributes.map((a) => {
        const v = ev[a.name];
        return v === undefined ? NaN : typeof v === 'string' ? a.categories.indexOf(v) : v;
      }),
    };
  });
  const noFeatures = new Float32Array(engine.schema.size).fill(NaN);

  // The same matches before timing anything (first 200,000 events).
  {
    const states = new Array(CUSTOMERS);
    const ref = new Array(CUSTOMERS);
    let mine = 0;
    let theirs = 0;
    for (let i = 0; i < Math.min(200_000, EVENTS); i++) {
      const c = customers[i];
      const r = engine.observeState(states[c], events[i]);
      states[c] = r.state;
      mine += r.matches.length;
      ref[c] ??= twin.fresh();
      theirs += twin.observe(ref[c], refEvents[i], noFeatures).matches.length;
    }
    if (mine !== theirs) throw new Error(`kernel and twin disagree: ${mine} vs ${theirs} matches`);
    console.log(`agreement: ${mine} matches in the first ${Math.min(200_000, EVENTS)} events`);
  }

  // Steady state: every pass replays the stream shifted forward in time (events stay in order for
  // every customer); the first pass of each form warms its states and is not timed.
  const SPAN = 20 * 86_400_000;
  const shift = () => {
    for (const ev of events) ev.time += SPAN;
  };
  let matches = 0;
  const intoOpts = {};
  const observeInto = (states, i, c) => {
    const s = states[c];
    let r;
    if (s === undefined) r = engine.observeState(undefined, events[i]);
    else {
      intoOpts.into = s;
      r = engine.observeState(s, events[i], intoOpts);
    }
    states[c] = r.state;
    matches += r.matches.length;
  };
  // Pure form: the caller keeps the states (an array of byte arrays), updated in place ({ into }).
  const pureStates = new Array(CUSTOMERS);
  const pure = rate(3, EVENTS, () => {
    shift();
    for (let i = 0; i < EVENTS; i++) observeInto(pureStates, i, customers[i]);
  });
  // The same on 1,000 customers, whose states stay in the CPU caches: the engine's own cost per event.
  const hotStates = new Array(1000);
  const hot = rate(3, EVENTS, () => {
    shift();
    for (let i = 0; i < EVENTS; i++) observeInto(hotStates, i, customers[i] % 1000);
  });
  // ... and returning new bytes for every event (the default).
  const copying = rate(2, EVENTS, () => {
    shift();
    for (let i = 0; i < EVENTS; i++) {
      const c = customers[i];
      const r = engine.observeState(pureStates[c], events[i]);
      pureStates[c] = r.state;
      matches += r.matches.length;
    }
  });
  // Floor: only moving each event's customer state into a scratch buffer and back (no kernel, no event).
  const scratch = new Uint8Array(new ArrayBuffer(1 << 16), 4096, stateBytes);
  const floor = rate(3, EVENTS, () => {
    for (let i = 0; i < EVENTS; i++) {
      const s = pureStates[customers[i]];
      scratch.set(s);
      scratch[9]++;
      s.set(scratch);
    }
  });

  // Floors of a store keyed by customer id: a Map lookup of the id, and the lookup plus the
  // delete and re-insert that keeps a Map in LRU order (what MemoryStore.get does).
  const map = new Map(ids.map((id, c) => [id, c]));
  let sink = 0;
  const mapGet = rate(3, EVENTS, () => {
    for (let i = 0; i < EVENTS; i++) sink += map.get(ids[customers[i]]);
  });
  const mapLru = rate(3, EVENTS, () => {
    for (let i = 0; i < EVENTS; i++) {
      const id = ids[customers[i]];
      const c = map.get(id);
      map.delete(id);
      map.set(id, c);
      sink += c;
    }
  });
  if (sink === -1) console.log('');

  // With the store in wasm memory (memoryStore: { wasm: true }; CLOCK + TTL).
  const storeEngine = await fresh();
  const before = storeEngine.journeyStats;
  const best = rate(3, EVENTS, () => {
    shift();
    for (let i = 0; i < EVENTS; i++) matches += storeEngine.observe(ids[customers[i]], events[i]).matches.length;
  });
  const after = storeEngine.journeyStats;
  const stats = { matches: Math.round((after.matches - before.matches) / 4), partialMatchesDropped: Math.round((after.partialMatchesDropped - before.partialMatchesDropped) / 4), rejectedLate: after.rejectedLate };
  if (storeEngine.store.evictions !== 0 || storeEngine.store.size !== CUSTOMERS) throw new Error('the wasm store lost customers');

  // With the default MemoryStore (JS byte arrays, exact LRU): states copied in and out of wasm.
  const mapEngine = await Engine.load(bytes, { memoryStore: { maxEntries: 2 * CUSTOMERS } }); // the default store
  const viaMap = rate(2, EVENTS, () => {
    shift();
    for (let i = 0; i < EVENTS; i++) matches += mapEngine.observe(ids[customers[i]], events[i]).matches.length;
  });

  // The kernel alone on the SlabStore's slots: events pre-encoded into frames, slot pointers known
  // (internals of JourneyRuntime): what is left of the store form without the id lookup, the event
  // encoding and the JS call.
  const krt = storeEngine.journeys;
  const slots = new Int32Array(CUSTOMERS);
  for (let c = 0; c < CUSTOMERS; c++) slots[c] = storeEngine.store.peekSlot(ids[c]);
  const KN = Math.min(EVENTS, 500_000);
  const FS = Math.max(1, krt.set.frameSlots);
  const frames = new Float64Array(KN * FS);
  const ktypes = new Int32Array(KN);
  const kernel = rate(3, KN, () => {
    shift();
    for (let i = 0; i < KN; i++) {
      ktypes[i] = krt.encodeEvent(events[i]);
      frames.set(krt.wasm.f64.subarray(krt.framePtr >> 3, (krt.framePtr >> 3) + FS), i * FS);
    }
    const c0 = cpuSeconds();
    const f64 = krt.wasm.f64;
    const fb = krt.framePtr >> 3;
    for (let i = 0; i < KN; i++) {
      for (let s = 0; s < FS; s++) f64[fb + s] = frames[i * FS + s];
      krt.observeFn(krt.table, slots[customers[i]], ktypes[i], krt.framePtr, krt.featuresPtr, krt.outPtr);
    }
    return cpuSeconds() - c0;
  });

  // The peer: the reference twin on plain data.
  const refStates = new Array(CUSTOMERS);
  for (let c = 0; c < CUSTOMERS; c++) refStates[c] = twin.fresh();
  const peer = rate(2, EVENTS / 2, () => {
    for (let i = 0; i < EVENTS / 2; i++) matches += twin.observe(refStates[customers[i]], refEvents[i], noFeatures).matches.length;
    for (const ev of refEvents) ev.time += SPAN;
  });

  // Latency of one observe with the store, on a warm store (customers already have state).
  let k = 0;
  const lat = latency(
    () => {
      const i = k++ % EVENTS;
      matches += storeEngine.observe(ids[customers[i]], events[i]).matches.length;
    },
    { warmup: size(20_000, 2000), samples: size(50_000, 5000) },
  );

  const metric = 'events per CPU-second';
  record(SUITE, metric, 'observeState(s, e, { into: s })', pure.cpu, 'rows/s', ['reference twin (plain data)', 'floor: copy state in and out']);
  record(SUITE, metric, 'observeState(s, e) (new bytes)', copying.cpu, 'rows/s', 'reference twin (plain data)');
  record(SUITE, metric, 'observeState into, 1,000 customers (cache-resident)', hot.cpu, 'rows/s');
  record(SUITE, metric, 'observe (SlabStore: states in wasm memory)', best.cpu, 'rows/s', ['reference twin (plain data)', 'observe (default MemoryStore: JS arrays, exact LRU)', 'floor: Map.get of the customer id']);
  record(SUITE, metric, 'observe (default MemoryStore: JS arrays, exact LRU)', viaMap.cpu, 'rows/s', 'reference twin (plain data)');
  record(SUITE, metric, 'floor: kernel alone on the slots (events pre-encoded)', kernel.cpu, 'rows/s');
  record(SUITE, metric, 'reference twin (plain data)', peer.cpu, 'rows/s');
  record(SUITE, metric, 'floor: copy state in and out', floor.cpu, 'rows/s');
  record(SUITE, metric, 'floor: Map.get of the customer id', mapGet.cpu, 'rows/s');
  record(SUITE, metric, 'floor: Map.get + LRU re-insert', mapLru.cpu, 'rows/s');
  record(SUITE, 'observe with store', 'p50', lat.p50 / 1000, 'us');
  record(SUITE, 'observe with store', 'p99', lat.p99 / 1000, 'us');
  const m = (x) => `${(x / 1e6).toFixed(2)}M/s`;
  console.log(`  observeState  ${m(pure.cpu)} cpu  ${m(pure.wall)} wall (into); ${m(copying.cpu)} cpu new bytes`);
  console.log(`  hot (1,000 customers) ${m(hot.cpu)} cpu  ${m(hot.wall)} wall`);
  console.log(`  floor         ${m(floor.cpu)} cpu  ${m(floor.wall)} wall (copy a random customer's state in and out)`);
  console.log(`  observe       ${m(best.cpu)} cpu  ${m(best.wall)} wall (SlabStore, states in wasm memory)`);
  console.log(`  observe      ${m(viaMap.cpu)} cpu  ${m(viaMap.wall)} wall (MemoryStore)`);
  console.log(`  kernel alone  ${m(kernel.cpu)} cpu (pre-encoded events on the slots)`);
  console.log(`  floor Map     ${m(mapGet.cpu)} cpu get; ${m(mapLru.cpu)} cpu get + LRU re-insert (100,000 string ids)`);
  console.log(`  twin          ${m(peer.cpu)} cpu  ${m(peer.wall)} wall`);
  console.log(`  observe latency p50 ${(lat.p50 / 1000).toFixed(2)} us  p99 ${(lat.p99 / 1000).toFixed(2)} us`);
  console.log(`  per pass (store): ${stats.matches} matches, ${stats.partialMatchesDropped} partial matches dropped, ${stats.rejectedLate} late (of ${EVENTS})`);
  if (matches === 42) console.log('');
}
