// Contexts, as kubeconfig's: kadende config set-context / use-context / get-contexts /
// current-context, and a context's server, token file and data dir under flags and variables.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kadende, startCli, tempDir } from '../support/cli.js';
import { freePort, until } from '../support/nats-server.js';

const box = tempDir('contexts');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  box.cleanup();
});
const configFile = join(box.root, 'kadende-config.yaml');
// No data dir, server or token from the environment: the context gives them.
const env = { KADENDE_CONFIG: configFile, KADENDE_DATA_DIR: '', KADENDE_SERVER: '', KADENDE_TOKEN: '', KADENDE_CACHE_DIR: join(box.root, 'cache') };
const run = (args: string[], extra: Record<string, string> = {}) => kadende(args, { ...env, ...extra });
const cluster = join(box.root, 'ctx.yaml');
writeFileSync(cluster, `version: "1"\nname: ctx\ngroups:\n  web:\n    size: 1\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: ${join(box.root, 'res')} }\n`);

describe('kadende config', () => {
  it('set-context writes the file atomically, mode 0600; get-contexts, use-context and current-context read it', async () => {
    const none = await run(['config', 'current-context']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`${configFile}: sets no current context (\`kadende config use-context NAME\`) [KADENDE_ERR_CLI_CONFIG]`);
    expect((await run(['config', 'set-context', 'local', '--data-dir', join(box.root, 'data-a')])).stdout).toBe('context "local" created\n');
    expect((await run(['config', 'set-context', 'remote', '--server', 'http://127.0.0.1:9', '--token-file', 'token'], {})).code).toBe(0);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    const unknown = await run(['config', 'use-context', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('has no context "nope"');
    expect((await run(['config', 'use-context', 'local'])).stdout).toBe('switched to context "local"\n');
    expect((await run(['config', 'current-context'])).stdout).toBe('local\n');
    const listed = await run(['config', 'get-contexts']);
    expect(listed.stdout.split('\n')).toEqual([
      expect.stringMatching(/^CURRENT\s+NAME\s+SERVER\s+TOKEN-FILE\s+DATA-DIR$/),
      expect.stringMatching(new RegExp(`^\\*\\s+local\\s+-\\s+-\\s+${join(box.root, 'data-a')}$`)),
      // A relative token file is stored absolute.
      expect.stringMatching(/^\s+remote\s+http:\/\/127\.0\.0\.1:9\s+\/\S+\/token\s+-$/),
      '',
    ]);
    // set-context changes only what it is given.
    await run(['config', 'set-context', 'remote', '--data-dir', join(box.root, 'data-r')]);
    expect(JSON.parse((await run(['-o', 'json', 'config', 'get-contexts'])).stdout).contexts.remote).toMatchObject({ server: 'http://127.0.0.1:9', dataDir: join(box.root, 'data-r') });
  });

  it("the context's data dir is used where no flag or variable gives one; a flag and a variable override it", async () => {
    expect((await run(['apply', '-f', cluster])).code).toBe(0);
    expect(existsSync(join(box.root, 'data-a', 'store'))).toBe(true);
    expect((await run(['get', 'clusters'])).stdout).toMatch(/^ctx\s/m);
    const flag = await run(['--data-dir', join(box.root, 'elsewhere'), 'get', 'clusters']);
    expect(flag.stderr).toContain(`no store in ${join(box.root, 'elsewhere', 'store')}`);
    const variable = await run(['get', 'clusters'], { KADENDE_DATA_DIR: join(box.root, 'from-env') });
    expect(variable.stderr).toContain(`no store in ${join(box.root, 'from-env', 'store')}`);
    // --context picks another context for one command.
    expect((await run(['--context', 'remote', 'version'])).stderr).toContain('http://127.0.0.1:9');
  });

  it("a context's server and token file reach a daemon", async () => {
    const port = await freePort();
    const token = join(box.root, 'daemon-token');
    writeFileSync(token, 'contexts-test-token-0123456789\n', { mode: 0o600 });
    const daemon = startCli(['daemon', '--port', String(port), '--token-file', token], { ...process.env, ...env, KADENDE_DATA_DIR: join(box.root, 'data-d') }, children);
    await until(() => daemon.output().includes('kadende daemon ready'), 30_000, 'daemon ready');
    await run(['config', 'set-context', 'daemon', '--server', `http://127.0.0.1:${port}`, '--token-file', token]);
    await run(['config', 'use-context', 'daemon']);
    const applied = await run(['apply', '-f', cluster]);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await run(['get', 'clusters'])).stdout).toMatch(/^ctx\s/m);
    expect((await run(['version'])).stdout).toContain(`Server Version: `);
    // The store is the daemon's, not the local context's.
    expect(existsSync(join(box.root, 'data-d', 'store'))).toBe(true);
    daemon.child.kill('SIGTERM');
  }, 90_000);

  it('honours the XDG config dir without KADENDE_CONFIG, and names a wrong field in a broken file', async () => {
    const xdg = join(box.root, 'xdg');
    expect((await run(['config', 'set-context', 'x', '--data-dir', '/tmp/x'], { KADENDE_CONFIG: '', XDG_CONFIG_HOME: xdg })).code).toBe(0);
    expect(readFileSync(join(xdg, 'kadende', 'config.yaml'), 'utf8')).toContain('dataDir: /tmp/x');
    writeFileSync(configFile, 'currentContext: a\ncontexts:\n  a:\n    sever: http://x\n');
    const broken = await run(['get', 'clusters']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`${configFile}: contexts.a.sever: is not a field (server, tokenFile, dataDir) [KADENDE_ERR_CLI_CONFIG]`);
  });
});
