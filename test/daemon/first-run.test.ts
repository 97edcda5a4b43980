// A daemon's first start as an operator does it: no data dir yet, no token
// configured. It makes a private token file, and a CLI on the same host finds it.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, kadende, tempDir } from '../support/cli.js';
import { until } from '../support/nats-server.js';

const box = tempDir('first-run');
afterAll(() => box.cleanup());

describe('daemon first run', () => {
  it('creates its data dir and a private API token, which a local CLI uses with no setup', async () => {
    const dataDir = join(box.root, 'not', 'yet', 'there');
    const env = { ...process.env, KADENDE_DATA_DIR: dataDir, KADENDE_TOKEN: '' };
    let log = '';
    const daemon = spawn(process.execPath, [CLI, 'daemon', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    daemon.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      await until(() => log.includes('kadende daemon ready') || daemon.exitCode !== null, 15_000, 'daemon ready');
      expect(daemon.exitCode, log).toBeNull();
      const server = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(log)![1]!;

      expect(statSync(join(dataDir, 'api-token')).mode & 0o777).toBe(0o600);
      const local = await kadende(['--server', server, 'get', 'clusters'], env);
      expect(local).toMatchObject({ code: 0, stdout: '(none)\n' });
      const stranger = await kadende(['--server', server, 'get', 'clusters'], { ...env, KADENDE_DATA_DIR: join(box.root, 'elsewhere') });
      expect(stranger.code).toBe(1);
      expect(stranger.stderr).toContain("wants an API token and none was found: set KADENDE_TOKEN, or run with the daemon's --data-dir");
      expect(stranger.stderr).toContain('[KADENDE_ERR_UNAUTHORIZED]');
      const wrong = await kadende(['--server', server, 'get', 'clusters'], { ...env, KADENDE_DATA_DIR: join(box.root, 'elsewhere'), KADENDE_TOKEN: 'not-the-token-at-all' });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('a valid bearer token is required');
    } finally {
      daemon.kill('SIGTERM');
      await new Promise((resolve) => (daemon.exitCode !== null ? resolve(null) : daemon.once('exit', resolve)));
    }
    expect(daemon.exitCode).toBe(0);
  });
});
