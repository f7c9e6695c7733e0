import { NextbestError } from '../../src/errors.js';

/** The NextbestError code f throws, or 'ok' when it returns (any other error is rethrown). */
export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof NextbestError) return e.code;
    throw e;
  }
  return 'ok';
}
