// The CLI's own tools: `kadende` on the PATH (npm link), version (with a daemon's), shell
// completion from the command tree, global flags in every command's help, get --watch.
import { execFile, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { kadende, startCli, tempDir } from '../support/cli.js';
import { freePort, until } from '../support/nats-server.js';

const run = promisify(execFile);
const repo = new URL('../..', import.meta.url).pathname;
const VERSION = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const box = tempDir('tools');
const TOKEN = 'tools-test-token-0123456789';
const env = { ...process.env, KADENDE_DATA_DIR: join(box.root, 'data'), KADENDE_CACHE_DIR: join(box.root, 'cache'), KADENDE_TOKEN: TOKEN, KADENDE_SERVER: '' };
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  box.cleanup();
});
const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

describe('kadende on the PATH', () => {
  it('npm link puts a kadende that runs on the PATH', async () => {
    const prefix = join(box.root, 'prefix');
    // The global prefix, so that the link goes into the temporary folder and not the machine's.
    await run('npm', ['link', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: repo, env: { ...process.env, npm_config_prefix: prefix } });
    const { stdout } = await run('kadende', ['version'], { env: { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` } });
    expect(stdout).toBe(`Client Version: ${VERSION} (Node.js ${process.version})\n`);
  }, 120_000);
});

describe('version', () => {
  it("says this kadende's version, and with --server the daemon's", async () => {
    const local = await kadende(['-o', 'json', 'version'], env);
    expect(JSON.parse(local.stdout)).toEqual({ client: { version: VERSION, node: process.version } });
    const port = await freePort();
    const daemon = startCli(['daemon', '--port', String(port)], env, children);
    await until(() => daemon.output().includes('kadende daemon ready'), 30_000, 'daemon ready');
    const remote = await kadende(['--server', `http://127.0.0.1:${port}`, 'version'], env);
    expect(remote.stdout).toBe(`Client Version: ${VERSION} (Node.js ${process.version})\nServer Version: ${VERSION} (http://127.0.0.1:${port})\n`);
    daemon.child.kill('SIGTERM');
    expect(await exited(daemon.child)).toBe(0);
  }, 90_000);
});

describe('shell completion, from the command tree', () => {
  const complete = async (shell: 'bash', line: string[]) => {
    const script = join(box.root, 'completion.bash');
    writeFileSync(script, (await kadende(['completion', shell], env)).stdout);
    const words = line.map((w) => `'${w}'`).join(' ');
    const { stdout } = await run('bash', ['-c', `source ${script}; COMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _kadende; printf '%s\\n' "\${COMPREPLY[@]}"`]);
    return stdout.trim().split('\n');
  };

  it('bash completes commands, subcommands and each command\'s flags', async () => {
    expect(await complete('bash', ['kadende', 're'])).toEqual(['reconcile', 'registry']);
    expect(await complete('bash', ['kadende', 'get', ''])).toEqual(expect.arrayContaining(['clusters', 'resources', 'hosts']));
    expect(await complete('bash', ['kadende', '-o', 'json', 'reconcile', 'shop', '--re'])).toEqual(['--retry-failed', '--registry']);
    expect(await complete('bash', ['kadende', 'get', 'clusters', '--w'])).toEqual(['--watch']);
  });

  it('zsh gets the same through bashcompinit; another shell is refused, exit 2', async () => {
    const zsh = await kadende(['completion', 'zsh'], env);
    expect(zsh.stdout).toContain('autoload -U +X bashcompinit && bashcompinit');
    expect(zsh.stdout).toContain('complete -o default -F _kadende kadende');
    const fish = await kadende(['completion', 'fish'], env);
    expect(fish.code).toBe(2);
    expect(fish.stderr).toContain('completion takes bash or zsh, got "fish"');
  });
});

describe('help', () => {
  it("every command's help shows the global flags", async () => {
    for (const command of [['reconcile'], ['get', 'clusters'], ['plugin', 'install']]) {
      const help = await kadende([...command, '--help'], env);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Global Options:');
      expect(help.stdout).toMatch(/--data-dir <dir>/);
      expect(help.stdout).toMatch(/-o, --output <format>/);
    }
  });
});

describe('get --watch', () => {
  it('prints the list again when it changes, not on every look, until Ctrl-C (exit 0)', async () => {
    const file = join(box.root, 'watched.yaml');
    const config = (size: number) =>
      writeFileSync(file, `version: "1"\nname: watched\ngroups:\n  web:\n    size: ${size}\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: ${join(box.root, 'res')} }\n`);
    config(1);
    expect((await kadende(['apply', '-f', file], env)).code).toBe(0);
    const watch = startCli(['get', 'clusters', '--watch'], { ...env, KADENDE_WATCH_INTERVAL_MS: '200' }, children);
    await until(() => /watched\s+converging\s+0\/1/.test(watch.output()), 30_000, 'the first listing');
    // Looks go on every 200 ms; the data is the same, so nothing is printed again.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(watch.output().match(/^NAME/gm)).toHaveLength(1);
    // Each look opens the store only briefly: other commands still run meanwhile.
    config(2);
    expect((await kadende(['apply', '-f', file], env)).code).toBe(0);
    await until(() => /watched\s+converging\s+0\/2/.test(watch.output()), 30_000, 'the listing after the change');
    expect(watch.output().match(/^NAME/gm)).toHaveLength(2);
    watch.child.kill('SIGINT');
    expect(await exited(watch.child)).toBe(0);
  }, 120_000);
});
