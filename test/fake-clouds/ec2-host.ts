/**
 * What the tests driving the bundled aws plugin through the host share: a fake
 * EC2, this process's environment pointing the plugin at it (the host hands each
 * sandbox the manifest's env names from process.env), a LevelStore in a
 * temporary folder and a PluginHost of the built-ins, all closed by `close`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginHost, type PluginHostOptions } from '../../host/plugins/host.js';
import { localSources, PluginResolver } from '../../host/plugins/resolve.js';
import { LevelStore } from '../../host/store/level-store.js';
import { startFakeEc2, type FakeEc2Options } from './aws.js';
import { ec2Env, FAKE_CREDENTIALS, setProcessEnv } from './env.js';

export async function ec2Host(options: { ec2?: FakeEc2Options; host?: PluginHostOptions; env?: Record<string, string> } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'kadende-ec2-host-'));
  const ec2 = await startFakeEc2({ ...FAKE_CREDENTIALS.ec2, ...options.ec2 });
  const restoreEnv = setProcessEnv({ ...ec2Env(ec2), ...options.env });
  const store = await LevelStore.open(join(root, 'store'));
  const plugins = new PluginHost(new PluginResolver(localSources({ ...process.env, KADENDE_PLUGIN_PATH: '' })), options.host);
  const close = async () => {
    await plugins.close();
    await store.close();
    await ec2.close();
    restoreEnv();
    rmSync(root, { recursive: true, force: true });
  };
  return { ec2, store, plugins, close };
}
