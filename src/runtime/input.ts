/**
 * The boundary between a caller's values and the engine. Reading a caller's
 * object can run the caller's code (a getter, a Proxy trap, a toString); if
 * that code throws, the call fails with ARGUMENT_INVALID naming what was
 * thrown (the original error is its `cause`), never with a foreign error.
 * NextbestErrors pass through unchanged.
 */
import { NextbestError } from '../errors.js';

export function inputError(e: unknown): NextbestError {
  if (e instanceof NextbestError) return e;
  let what: string;
  try {
    what = e instanceof Error ? `${e.name}: ${String(e.message).slice(0, 200)}` : typeof e;
  } catch {
    what = 'an unreadable value';
  }
  return new NextbestError('ARGUMENT_INVALID', `the input could not be read (a getter, proxy or conversion of the caller's object threw ${what})`, { thrown: what }, { cause: e });
}
