/**
 * pool.swap: the reload-under-load test of issue 7 (100 swaps between three
 * bundle versions while decisions and scores run continuously through the
 * pool: no call fails, every result is attributable to exactly one bundle,
 * and equals a single engine of that bundle), and failed swaps leaving the
 * pool on the old bundle.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { compileSpec, Engine, generateKeyPair, NextbestError, Pool, signBundle, SpecSource, type PoolDecideRequest, type PoolDecision } from '../../src/index.js';
import { encodeBundle } from '../../src/bundle/codec.js';
import { mulberry32 } from '../helpers/random.js';

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

const T = Date.UTC(2026, 0, 5, 9, 0);

/** Version k: the scorecard's points, the actions' values and rules change with k; version 3 adds an action. */
function spec(k: number): string {
  return `
bundle: reload
version: "${k}"
features: { age: numeric, income: numeric, plan: [basic, premium, family] }
context: { channel: [app, email, call] }
models:
  risk:
    scorecard:
      basePoints: ${380 + 10 * k}
      scaling: { pdo: 20, baseScore: 600, baseOdds: 50 }
      characteristics:
        - feature: age
          bins:
            - { below: 25, points: ${5 * k} }
            - { from: 25, below: 40, points: 25 }
            - { from: 40, points: 40 }
          missing: 15
        - feature: income
          bins:
            - { below: ${1000 + 500 * k}, points: 5 }
            - { from: ${1000 + 500 * k}, points: 60 }
actions:
  upgrade: { kind: sale, channels: [app, email], propensity: score.risk, value: ${10 * k}, eligibility: 'plan != "premium"' }
  loyalty: { kind: service, channels: [app, call], propensity: 0.${k + 2}, value: ${30 - 5 * k}, eligibility: 'age >= ${20 + k * 5}' }
  family_pack: { kind: sale, channels: [email], propensity: 1 - score.risk, value: 12 }
${k === 3 ? "  premium_care: { kind: service, channels: [call, app], propensity: 0.7, value: 8, eligibility: 'income > 2500' }\n" : ''}arbitration: { limit: 2 }
`;
}

const VERSIONS = [1, 2, 3].map((k) => encodeBundle(compileSpec(new SpecSource(spec(k), `reload-${k}.yaml`), { created: 'x' })));

function requests(r: Rng, n: number): PoolDecideRequest[] {
  return Array.from({ length: n }, (_, i) => ({
    features: { age: r.chance(0.1) ? null : 18 + r.int(60), income: 500 + r.int(4000), plan: r.pick(['basic', 'premium', 'family']) },
    context: { now: T + i * 1000, ...(r.chance(0.3) ? {} : { channel: r.pick(['app', 'email', 'call']) }) },
  }));
}

const pools: Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
});

describe('pool.swap', () => {
  it('100 swaps under continuous load: no call fails, every result from exactly one bundle, equal to a single engine of it', async () => {
    const engines = new Map<string, Engine>();
    for (const b of VERSIONS) {
      const e = await Engine.load(b);
      engines.set(e.info.sha256, e);
    }
    const shas = [...engines.keys()];
    const pool = await Pool.create({ bundle: VERSIONS[0]!, threads: 2, targetTaskMs: 0.05 });
    pools.push(pool);

    interface Call {
      /** The bundle current when the call was made. */
      at: string;
      reqs: PoolDecideRequest[];
      seed: number;
      got: PoolDecision[];
    }
    const decided: Call[] = [];
    const scored: { at: string; rows: Float32Array; n: number; got: Float32Array }[] = [];
    const failures: unknown[] = [];
    let stop = false;
    /** Calls still running when a swap happened (they finish on their own bundle). */
    let crossed = 0;

    const decider = async (id: number): Promise<void> => {
      const r = new Rng(100 + id);
      while (!stop) {
        const reqs = requests(r, 1 + r.int(40));
        const seed = r.int(1000);
        const at = pool.info.sha256;
        try {
          decided.push({ at, reqs, seed, got: await pool.decide(reqs, { seed }) });
          if (pool.info.sha256 !== at) crossed++;
        } catch (e) {
          failures.push(e);
        }
      }
    };
    const scorer = async (): Promise<void> => {
      const r = new Rng(7);
      while (!stop) {
        const n = 1 + r.int(200);
        const at = pool.info.sha256;
        const schema = pool.schema;
        const rows = new Float32Array(n * schema.size);
        for (let i = 0; i < n; i++) schema.encodeInto({ age: 18 + r.int(60), income: r.int(5000), plan: r.pick(['basic', 'family']) }, rows, i * schema.size);
        try {
          scored.push({ at, rows, n, got: await pool.score(rows, n, { model: 'risk' }) });
          if (pool.info.sha256 !== at) crossed++;
        } catch (e) {
          failures.push(e);
        }
      }
    };
    const swapper = async (): Promise<number[]> => {
      const seen: number[] = [];
      for (let i = 1; i <= 100; i++) {
        const ev = await pool.swap(VERSIONS[i % 3]!);
        seen.push(ev.swap);
        expect(ev.current.sha256).toBe(shas[i % 3]);
        expect(pool.info.sha256).toBe(shas[i % 3]);
        // let some calls start on this version
        await new Promise((res) => setTimeout(res, 1));
      }
      stop = true;
      return seen;
    };
    const [seen] = await Promise.all([swapper(), decider(0), decider(1), decider(2), scorer()]);

    expect(failures).toEqual([]);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(pool.info.sha256).toBe(shas[100 % 3]);
    const perVersion = new Map<string, number>();
    for (const c of decided) {
      // the whole call on the bundle current when it was made
      for (const item of c.got) expect(item.bundle).toBe(c.at);
      perVersion.set(c.at, (perVersion.get(c.at) ?? 0) + c.reqs.length);
      const e = engines.get(c.at)!;
      c.reqs.forEach((req, i) => {
        const item = c.got[i]!;
        expect(item.ok).toBe(true);
        if (item.ok) expect(item.decision).toEqual(e.decide(req, { seed: c.seed + i }));
      });
    }
    for (const s of scored) expect(s.got).toEqual(engines.get(s.at)!.scoreBatch('risk', s.rows, s.n));
    // load ran through the swaps: every version decided many requests, calls overlapped swaps
    expect(decided.length).toBeGreaterThan(100);
    for (const sha of shas) expect(perVersion.get(sha) ?? 0).toBeGreaterThan(50);
    expect(scored.length).toBeGreaterThan(20);
    expect(crossed).toBeGreaterThan(10);
    // and the versions decide differently, so attributing a decision to a version means something
    const probe = requests(new Rng(9), 50);
    const answers = shas.map((sha) => JSON.stringify(probe.map((q) => engines.get(sha)!.decide(q, { seed: 1 }).actions.map((a) => [a.id, a.priority]))));
    expect(new Set(answers).size).toBe(3);
    expect(pool.stats().pendingCalls).toBe(0);
  }, 30_000);

  it('a bundle that fails any check throws its typed error; the pool stays on the old bundle', async () => {
    const k = generateKeyPair();
    const signed = signBundle(VERSIONS[0]!, k.privateKeyPem);
    const pool = await Pool.create({ bundle: signed, threads: 1, trustedKeys: [k.publicKeyPem] });
    pools.push(pool);
    const served = pool.info;
    const reqs = requests(new Rng(3), 20);
    const before = await pool.decide(reqs, { seed: 1 });
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: unknown) => (e instanceof NextbestError ? e.code : `foreign: ${String(e)}`),
      );
    expect(await code(pool.swap(VERSIONS[1]!))).toBe('BUNDLE_UNSIGNED');
    expect(await code(pool.swap(signBundle(VERSIONS[1]!, generateKeyPair().privateKeyPem)))).toBe('BUNDLE_SIGNATURE');
    const flipped = signBundle(VERSIONS[1]!, k.privateKeyPem);
    flipped[flipped.length >> 1]! ^= 4;
    expect(await code(pool.swap(flipped))).toMatch(/^BUNDLE_/);
    expect(await code(pool.swap(signed.subarray(0, 64)))).toBe('BUNDLE_TRUNCATED');
    expect(await code(pool.swap('/nonexistent/x.nbb'))).toBe('ARGUMENT_INVALID');
    expect(await code(pool.swap(signBundle(VERSIONS[2]!, k.privateKeyPem), { limits: { actions: 3 } }))).toBe('LIMIT_EXCEEDED');
    expect(await code(pool.swap(signed, { threads: 2 } as never))).toBe('OPTION_INVALID');
    expect(pool.info).toBe(served);
    const after = await pool.decide(reqs, { seed: 1 });
    expect(after).toEqual(before);
    // key rotation: the new keys verify this swap
    const k2 = generateKeyPair();
    const ev = await pool.swap(signBundle(VERSIONS[2]!, k2.privateKeyPem), { trustedKeys: [k2.publicKeyPem] });
    expect(ev).toMatchObject({ swap: 1, previous: { sha256: served.sha256 }, current: { version: '3', verified: true, keyId: k2.keyId } });
    expect((await pool.decide(reqs.slice(0, 1)))[0]!.bundle).toBe(ev.current.sha256);
    expect(await code(pool.swap(signed))).toBe('BUNDLE_SIGNATURE');
  });

  it("requests' state written under the bundle before is migrated, as in an engine that swapped", async () => {
    const withPolicies = (k: number, extra: string) =>
      encodeBundle(compileSpec(new SpecSource(spec(k) + `policies:\n  email_cap: { channel: email, max: 1, per: 7d }\n${extra}`, `state-${k}.yaml`), { created: 'x' }));
    const v1 = withPolicies(1, '');
    const v2 = withPolicies(2, '  call_cap: { channel: call, max: 2, per: 1d }\n'); // a new policy: a new layout, email_cap carried
    const v3 = withPolicies(3, '  call_cap: { channel: call, max: 3, per: 1d }\n'); // call_cap changed: reset
    const e1 = await Engine.load(v1);
    let s1 = e1.recordState(undefined, { actionId: 'upgrade', channel: 'email', outcome: 'impression', at: T });
    s1 = e1.recordState(s1, { actionId: 'family_pack', channel: 'email', outcome: 'impression', at: T });
    const reqs: PoolDecideRequest[] = requests(new Rng(5), 30).map((q) => ({ ...q, context: { now: T + 60_000, channel: 'email' }, state: s1 }));
    // what an engine that swapped says
    const ref = await Engine.load(v1);
    await ref.swap(v2);
    const want = reqs.map((q) => ref.decideState(q.state, q).decision);
    expect(want.every((d) => d.actions.length === 0)).toBe(true); // the email cap remembers the impressions
    const pool = await Pool.create({ bundle: v1, threads: 2 });
    pools.push(pool);
    await pool.swap(v2);
    const got = await pool.decide(reqs);
    got.forEach((g, i) => {
      expect(g.ok && g.bundle === ref.info.sha256).toBe(true);
      if (g.ok) expect(g.decision).toEqual(want[i]);
    });
    // two swaps back: one level only, the state is refused in its own slot
    await pool.swap(v3);
    const old = await pool.decide(reqs.slice(0, 2));
    expect(old.map((d) => (d.ok ? 'ok' : d.error.code))).toEqual(['STATE_INVALID', 'STATE_INVALID']);
  });

  it('limits in the pool options bound bundles and batches', async () => {
    await expect(Pool.create({ bundle: VERSIONS[0]!, threads: 1, limits: { actions: 2 } })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: 'actions' } });
    await expect(Pool.create({ bundle: VERSIONS[0]!, threads: 1, limits: { nope: 1 } as never })).rejects.toMatchObject({ code: 'OPTION_INVALID' });
    const pool = await Pool.create({ bundle: VERSIONS[0]!, threads: 1, limits: { batchSize: 10 } });
    pools.push(pool);
    expect(pool.limits.batchSize).toBe(10);
    const err = await pool.decide(requests(new Rng(1), 11)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: 'batchSize', value: 11, max: 10 } });
    expect((err as Error).message).toContain('limits.batchSize');
    await expect(pool.score(new Float32Array(11 * 3), 11)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: 'batchSize' } });
    expect((await pool.decide(requests(new Rng(1), 10))).every((d) => d.ok)).toBe(true);
  });
});
