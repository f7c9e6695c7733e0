/**
 * The `nextbest` command.
 *
 *   nextbest build SPEC -o OUT.nbb      compile a spec into a bundle
 *   nextbest inspect BUNDLE [--json]    what is inside
 *   nextbest validate BUNDLE            load it as an engine would; exit 1 if it does not
 *   nextbest score --bundle B --input IN  score a CSV/NDJSON stream on a worker pool (score.ts)
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { NextbestError } from '../errors.js';
import { VERSION } from '../version.js';
import { buildBundleFile } from '../compile/build.js';
import { inspectBundle, formatReport } from '../bundle/inspect.js';
import { Engine } from '../engine.js';
import { scoreCommand, SCORE_USAGE } from './score.js';

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
  nextbest validate BUNDLE              load a bundle as an engine would (exit 1 if it fails)
${SCORE_USAGE}  nextbest help                         this text
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
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    const path = one(positionals, 'bundle');
    const engine = await Engine.load(readBytes(path));
    io.out(`ok ${path}: ${engine.info.name} ${engine.info.version} sha256 ${engine.info.sha256}`);
    return 0;
  },
  score: scoreCommand,
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
