/**
 * Digests and signatures. Integrity strings follow Subresource Integrity as npm
 * uses it (`sha512-<base64>`); computed with node:crypto because ssri's current
 * major needs Node 22. Signatures are Ed25519 over `name@version:integrity`, so
 * a signature vouches for exactly one immutable tarball of one plugin version.
 */
import { createHash, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KadendeError, invalidInput } from '../errors.js';

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

/** The bytes a publisher signs. */
export const signedPayload = (name: string, version: string, integrity: string) => Buffer.from(`${name}@${version}:${integrity}`);

/** Signs with an Ed25519 private key (PEM); answers the base64 signature. */
export function signPlugin(privateKeyPem: string, name: string, version: string, integrity: string): string {
  try {
    return sign(null, signedPayload(name, version, integrity), privateKeyPem).toString('base64');
  } catch (error) {
    throw invalidInput('KADENDE_ERR_SIGN_KEY', `cannot sign ${name}@${version}: ${(error as Error).message} (expected an Ed25519 private key in PEM)`, { cause: error });
  }
}

/** Reads every PEM public key in a file (several may be concatenated). */
export function readTrustedKeys(file: string): KeyObject[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw invalidInput('KADENDE_ERR_TRUSTED_KEYS', `cannot read trusted keys ${file}: ${(error as Error).message}`);
  }
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw invalidInput('KADENDE_ERR_TRUSTED_KEYS', `${file} holds no PEM public key`);
  return blocks.map((pem) => {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') {
      throw invalidInput('KADENDE_ERR_TRUSTED_KEYS', `${file}: a ${key.asymmetricKeyType} key is not an Ed25519 key`);
    }
    return key;
  });
}

/**
 * With trusted keys configured, a plugin must carry a signature one of them
 * made over exactly this name, version and integrity. Without keys, anything
 * passes: trust then rests on the digest alone.
 */
export function checkSignature(keys: KeyObject[] | undefined, plugin: { name: string; version: string; integrity: string; signature?: string; where: string }): void {
  if (!keys || keys.length === 0) return;
  const { name, version, integrity, signature, where } = plugin;
  if (!signature) {
    throw new KadendeError('KADENDE_ERR_PLUGIN_UNSIGNED', `plugin ${name}@${version} from ${where} is not signed, and trusted keys are configured`);
  }
  const payload = signedPayload(name, version, integrity);
  const bytes = Buffer.from(signature, 'base64');
  if (!keys.some((key) => verify(null, payload, key, bytes))) {
    throw new KadendeError('KADENDE_ERR_PLUGIN_SIGNATURE', `plugin ${name}@${version} from ${where}: the signature was not made by any trusted key`);
  }
}
