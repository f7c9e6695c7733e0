/**
 * The `nextbest` command.
 *
 *   nextbest build SPEC -o OUT.nbb      compile a spec into a bundle
 *   nextbest inspect BUNDLE [--json]    what is inside
 *   nextbest validate BUNDLE            load it as an engine would; exit 1 if it does not
 *   nextbest score --bundle B --input IN  score a CSV/NDJSON stream on a worker pool (score.ts)
 *   nextbest decide --bundle B --input IN decide for an NDJSON stream of requests on a worker pool (decide.ts)
 *   nextbest evaluate --log L ...       offline evaluation of a policy (src/cli/evaluate.ts)
 */
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, signBundle } from '../bundle/sign.js';
import { NextbestError } from '../errors.js';
import { VERSION } from '../version.js';
import { buildBundleFile } from '../compile/build.js';
import { inspectBundle, formatReport } from '../bundle/inspect.js';
import { Engine } from '../engine.js';
import { scoreCommand, SCORE_USAGE } from './score.js';
import { decideCommand, DECIDE_USAGE } from './decide.js';
import { evaluateCommand } from './evaluate.js';

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  /** Streams for commands that stream rows (score); without them, stdout goes through out() and stdin is process.stdin. */
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  /** Where a progress bar is drawn when it is a TTY. */
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

const defaultIO: CliIO = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
};

const USAGE = `nextbest ${VERSION}

usage:
  nextbest build SPEC -o OUT.nbb        compile a spec (YAML/JSON) into a bundle
  nextbest inspect BUNDLE [--json]      show what a bundle holds
  nextbest validate BUNDLE [--trusted-key PUB.pem ...]
                                        load a bundle as an engine would (exit 1 if it fails)
  nextbest keygen --out DIR             write an Ed25519 key pair: DIR/key.pem, DIR/key.pub.pem
  nextbest sign BUNDLE --key KEY.pem -o OUT.nbb
                                        sign a bundle's payload
${SCORE_USAGE}${DECIDE_USAGE}  nextbest evaluate --log LOG.ndjson (--bundle NEW.nbb | --policy POLICY.mjs)
           [--confidence 0.95] [--interval normal|bootstrap] [--resamples 1000] [--seed 1] [--json]
                                        estimate a policy's acceptance rate on logged decisions (IPS, SNIPS, DR)
  nextbest help                         this text
`;

type Command = (args: string[], io: CliIO) => Promise<number>;

function readBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new NextbestError('ARGUMENT_INVALID', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new NextbestError('ARGUMENT_INVALID', `expected exactly one ${what}, got ${positionals.length}`);
  return positionals[0]!;
}

export const commands: Record<string, Command> = {
  async build(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string', short: 'o' } } });
    const spec = one(positionals, 'spec file');
    const out = values.out ?? spec.replace(/\.(ya?ml|json)$/i, '') + '.nbb';
    const bytes = await buildBundleFile(spec, out);
    io.out(`wrote ${out} (${bytes.byteLength} bytes)`);
    return 0;
  },
  async inspect(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
    const report = inspectBundle(readBytes(one(positionals, 'bundle')));
    io.out(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return 0;
  },
  async validate(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { 'trusted-key': { type: 'string', multiple: true } },
    });
    const path = one(positionals, 'bundle');
    const keys = values['trusted-key']?.map((k) => new TextDecoder().decode(readBytes(k)));
    const engine = await Engine.load(readBytes(path), keys ? { trustedKeys: keys } : {});
    const signed = engine.info.verified ? ` signed by ${engine.info.keyId}` : '';
    io.out(`ok ${path}: ${engine.info.name} ${engine.info.version} sha256 ${engine.info.sha256}${signed}`);
    return 0;
  },
  async keygen(args, io) {
    const { values } = parseArgs({ args, options: { out: { type: 'string', short: 'o' }, force: { type: 'boolean' } } });
    if (!values.out) throw new NextbestError('ARGUMENT_INVALID', 'keygen needs --out DIR');
    const priv = join(values.out, 'key.pem');
    const pub = join(values.out, 'key.pub.pem');
    if (!values.force && (existsSync(priv) || existsSync(pub))) {
      throw new NextbestError('ARGUMENT_INVALID', `${priv} or ${pub} exists; pass --force to overwrite`);
    }
    mkdirSync(values.out, { recursive: true });
    const k = generateKeyPair();
    writeFileSync(priv, k.privateKeyPem, { mode: 0o600 });
    writeFileSync(pub, k.publicKeyPem);
    io.out(`wrote ${priv} and ${pub} (key id ${k.keyId})`);
    return 0;
  },
  async sign(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { key: { type: 'string', short: 'k' }, out: { type: 'string', short: 'o' } },
    });
    const path = one(positionals, 'bundle');
    if (!values.key) throw new NextbestError('ARGUMENT_INVALID', 'sign needs --key KEY.pem');
    const out = values.out ?? path.replace(/\.nbb$/, '') + '.signed.nbb';
    const signed = signBundle(readBytes(path), new TextDecoder().decode(readBytes(values.key)));
    writeFileSync(out, signed);
    io.out(`wrote ${out} (${signed.byteLength} bytes)`);
    return 0;
  },
  score: scoreCommand,
  decide: decideCommand,
  evaluate: evaluateCommand,
  async help(_args, io) {
    io.out(USAGE);
    return 0;
  },
};

/** Runs the CLI; returns the exit code. Errors are printed with their code, never thrown. */
export async function runCli(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(VERSION);
    return 0;
  }
  const cmd = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    io.err(`nextbest: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await cmd(rest, io);
  } catch (e) {
    if (e instanceof NextbestError) {
      io.err(`nextbest ${name}: ${e.code}: ${e.message}`);
      return 1;
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`nextbest ${name}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
