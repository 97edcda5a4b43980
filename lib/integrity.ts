/**
 * Digests. Integrity strings follow Subresource Integrity as npm uses it
 * (`sha512-<base64>`); computed with node:crypto because ssri's current major
 * needs Node 22.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const SUPPORTED = new Set(['sha512', 'sha384', 'sha256']);

export function integrityOf(bytes: Uint8Array, algorithm = 'sha512'): string {
  return `${algorithm}-${createHash(algorithm).update(bytes).digest('base64')}`;
}

/** Parses `sha512-... sha256-...` (an SRI may list several); unknown algorithms are ignored, as SRI says. */
export function parseIntegrity(integrity: string): Array<{ algorithm: string; digest: string }> {
  return integrity
    .trim()
    .split(/\s+/)
    .map((part) => /^(sha\d+)-([A-Za-z0-9+/]+={0,2})(\?.*)?$/.exec(part))
    .filter((m): m is RegExpExecArray => m !== null && SUPPORTED.has(m[1]!))
    .map((m) => ({ algorithm: m[1]!, digest: m[2]! }));
}

export function isValidIntegrity(integrity: string): boolean {
  return parseIntegrity(integrity).length > 0;
}

/** True when the bytes match the strongest hash the integrity lists. */
export function matchesIntegrity(bytes: Uint8Array, integrity: string): boolean {
  const hashes = parseIntegrity(integrity);
  if (hashes.length === 0) return false;
  const strongest = hashes.sort((a, b) => Number(b.algorithm.slice(3)) - Number(a.algorithm.slice(3)))[0]!;
  const actual = Buffer.from(createHash(strongest.algorithm).update(bytes).digest('base64'));
  const wanted = Buffer.from(strongest.digest);
  return actual.length === wanted.length && timingSafeEqual(actual, wanted);
}
