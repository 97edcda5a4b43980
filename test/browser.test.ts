// The UI tests' browser comes from the npm registry (test/support/browser.ts): `npm ci && npm test`
// on a fresh machine, which has no Debian chromium, still runs a real browser, and never skips.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launchTestBrowser, testChromiumPath } from './support/browser.js';

const shippedVersion = (): string => {
  const root = join(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..');
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
};

describe('the browser of the UI tests', () => {
  const saved = process.env.KADENDE_TEST_CHROMIUM;
  afterEach(() => {
    if (saved === undefined) delete process.env.KADENDE_TEST_CHROMIUM;
    else process.env.KADENDE_TEST_CHROMIUM = saved;
  });

  it('is the Chromium inside the npm package, which renders and runs a page headless', async () => {
    delete process.env.KADENDE_TEST_CHROMIUM;
    const path = await testChromiumPath();
    expect(path).not.toMatch(/^\/usr\//);
    const browser = await launchTestBrowser();
    try {
      // The package's major version is the Chromium major it ships.
      expect(browser.version().split('.')[0]).toBe(shippedVersion().split('.')[0]);
      const page = await browser.newPage();
      await page.setContent('<p id="p"></p><script>document.getElementById("p").textContent = String(6 * 7)</script>');
      expect(await page.textContent('#p')).toBe('42');
    } finally {
      await browser.close();
    }
  });

  it('fails loudly, not by a skip, when KADENDE_TEST_CHROMIUM names a browser that is not there', async () => {
    process.env.KADENDE_TEST_CHROMIUM = '/nonexistent/chromium';
    await expect(testChromiumPath()).rejects.toThrow('KADENDE_TEST_CHROMIUM=/nonexistent/chromium does not exist');
  });
});
