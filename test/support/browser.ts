/**
 * The browser the UI tests drive: the Chromium that the npm package @sparticuz/chromium ships
 * inside its tarball (brotli-compressed), so `npm ci && npm test` runs a real browser on a fresh
 * machine with nothing but the npm registry: no apt package, no browser download CDN.
 *
 * The binary is inflated once per package version into the system's temporary folder and shared
 * by every worktree and run. The package's own `executablePath()` is not used: it writes straight
 * to /tmp/chromium and returns any file there, so a run that starts while another is inflating
 * would launch half a binary. Here the binary is written aside and renamed into place.
 *
 * KADENDE_TEST_CHROMIUM names another executable instead (Debian's /usr/bin/chromium, say);
 * a name that does not exist fails the test loudly, it never falls back or skips.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';

const PACKAGE = '@sparticuz/chromium';

/** Where the npm package keeps its compressed browser, and which version it is. */
function shippedBrowser(): { archive: string; version: string } {
  const root = join(dirname(createRequire(import.meta.url).resolve(PACKAGE)), '..');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { archive: join(root, 'bin', 'chromium.br'), version };
}

/** The path of the npm-shipped Chromium, inflated on first use (about 15 s, once per version). */
export async function shippedChromiumPath(): Promise<string> {
  const { archive, version } = shippedBrowser();
  const dir = join(tmpdir(), 'kadende-test-chromium', `${version}-${statSync(archive).size}`);
  const binary = join(dir, 'chromium');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const partial = join(dir, `chromium.${randomUUID()}.partial`);
  try {
    await pipeline(createReadStream(archive), createBrotliDecompress(), createWriteStream(partial, { mode: 0o700 }));
    chmodSync(partial, 0o755);
    renameSync(partial, binary);
  } finally {
    rmSync(partial, { force: true });
  }
  return binary;
}

/** KADENDE_TEST_CHROMIUM when set (it must exist), else the npm-shipped Chromium. */
export async function testChromiumPath(): Promise<string> {
  const chosen = process.env.KADENDE_TEST_CHROMIUM;
  if (chosen === undefined || chosen === '') return shippedChromiumPath();
  if (!existsSync(chosen)) throw new Error(`KADENDE_TEST_CHROMIUM=${chosen} does not exist (unset it to use the Chromium of ${PACKAGE})`);
  return chosen;
}

/** A headless Chromium that reaches only 127.0.0.1 and keeps its own background services off. */
export async function launchTestBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: await testChromiumPath(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-domain-reliability',
      '--disable-features=AutofillServerCommunication,OptimizationHints,Translate,MediaRouter,DialMediaRouteProvider,NetworkTimeServiceQuerying',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
}
