/**
 * Signatures: Ed25519 over `name@version:integrity`, so a signature vouches for
 * exactly one immutable tarball of one plugin version. Digests: lib/integrity.ts.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { kadendeError } from '../../errors/index.js';

/** The bytes a publisher signs. */
export const signedPayload = (name: string, version: string, integrity: string) => Buffer.from(`${name}@${version}:${integrity}`);

/** Signs with an Ed25519 private key (PEM); answers the base64 signature. */
export function signPlugin(privateKeyPem: string, name: string, version: string, integrity: string): string {
  try {
    return sign(null, signedPayload(name, version, integrity), privateKeyPem).toString('base64');
  } catch (error) {
    throw kadendeError('KADENDE_ERR_SIGN_KEY', `cannot sign ${name}@${version}: ${(error as Error).message} (expected an Ed25519 private key in PEM)`).with({ cause: error });
  }
}

/** Reads every PEM public key in a file (several may be concatenated). */
export function readTrustedKeys(file: string): KeyObject[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw kadendeError('KADENDE_ERR_TRUSTED_KEYS', `cannot read trusted keys ${file}: ${(error as Error).message}`);
  }
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw kadendeError('KADENDE_ERR_TRUSTED_KEYS', `${file} holds no PEM public key`);
  return blocks.map((pem) => {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') {
      throw kadendeError('KADENDE_ERR_TRUSTED_KEYS', `${file}: a ${key.asymmetricKeyType} key is not an Ed25519 key`);
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
    throw kadendeError('KADENDE_ERR_PLUGIN_UNSIGNED', `plugin ${name}@${version} from ${where} is not signed, and trusted keys are configured`);
  }
  const payload = signedPayload(name, version, integrity);
  const bytes = Buffer.from(signature, 'base64');
  if (!keys.some((key) => verify(null, payload, key, bytes))) {
    throw kadendeError('KADENDE_ERR_PLUGIN_SIGNATURE', `plugin ${name}@${version} from ${where}: the signature was not made by any trusted key`);
  }
}
