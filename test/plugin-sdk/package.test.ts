/**
 * The SDK as a package: `npm pack` of plugin-sdk and `kadende plugin sdk` ship
 * the same files; every export it declares exists in them with its types; it
 * has no runtime dependencies (so its tarball installs offline); the bundled
 * vendor module imports nothing but Node's built-ins.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kadende, tempDir } from '../support/cli.js';

const SDK = new URL('../../plugin-sdk/', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  files: string[];
};
const tmp = tempDir('sdk-package');
afterAll(() => tmp.cleanup());

const npmPackFiles = () =>
  new Promise<string[]>((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: SDK, env }, (error, stdout) =>
      error ? reject(error) : resolve((JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path).sort()),
    );
  });

describe('@kadende/plugin-sdk as a package', () => {
  it('has no runtime dependencies, and its vendored bundle imports only node: built-ins', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    const vendor = readFileSync(join(SDK, 'dist/vendor.js'), 'utf8');
    const imports = [...vendor.matchAll(/^import .* from ["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.every((i) => i!.startsWith('node:'))).toBe(true);
  });

  it('npm pack and kadende plugin sdk ship the same files, holding every export and its types', async () => {
    const npm = await npmPackFiles();
    const result = await kadende(['-o', 'json', 'plugin', 'sdk', '--out-dir', tmp.root]);
    expect(result.code, result.stderr).toBe(0);
    const ours = (JSON.parse(result.stdout) as { files: string[] }).files;
    expect(ours).toEqual(npm);
    expect(npm).toContain('README.md');
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const targets = typeof target === 'string' ? [target] : [target.types, target.default];
      for (const file of targets) {
        expect(npm, `${subpath} -> ${file}`).toContain(file.replace(/^\.\//, ''));
        expect(existsSync(join(SDK, file))).toBe(true);
      }
    }
  });
});
