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

/** `code: message` of the NextbestError f throws, or 'ok' when it returns (any other error is rethrown). */
export function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof NextbestError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'ok';
}

/** The NextbestError code p rejects with, or 'ok' when it resolves (any other error is rethrown). */
export async function codeOfAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof NextbestError) return e.code;
    throw e;
  }
  return 'ok';
}
