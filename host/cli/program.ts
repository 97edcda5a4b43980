/** The commander program and the output helpers every command module shares. */
import { Command, Option } from 'commander';
import type { GlobalOptions } from './context.js';

export const program = new Command('kadende')
  .description('Keeps groups of resources made by plugins at their size and healthy.')
  .version('0.1.0')
  .option('--data-dir <dir>', 'where the embedded store lives (default: $KADENDE_DATA_DIR, else ~/.local/share/kadende)')
  .option('--store <url>', 'a NATS server holding the shared store of several hosts, nats://HOST:PORT (default: $KADENDE_STORE, else the embedded store in the data dir)')
  .option('--cache-dir <dir>', 'where downloaded plugins are cached (default: $KADENDE_CACHE_DIR, else ~/.cache/kadende/plugins)')
  .option('--registry <urls>', 'plugin registries, comma-separated, tried in order (default: $KADENDE_REGISTRY)')
  .option('--trusted-keys <file>', 'Ed25519 public keys (PEM); registry plugins must be signed by one (default: $KADENDE_TRUSTED_KEYS)')
  .option('--plugin-max-in-flight <limits>', 'most plugin calls in flight per provider account, e.g. aws=20,gcp=8 (default: $KADENDE_PLUGIN_MAX_IN_FLIGHT, else adapted to the provider\'s throttling)')
  .option('--server <url>', 'use a running `kadende daemon` through its API (default: $KADENDE_SERVER; token: $KADENDE_TOKEN, else the local daemon\'s)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
  .showHelpAfterError()
  .exitOverride();

export const globals = (): GlobalOptions => program.opts<GlobalOptions>();

/** JSON with -o json, else the human rendering. */
export function out(json: unknown, human: () => string): void {
  process.stdout.write(globals().output === 'json' ? `${JSON.stringify(json, null, 2)}\n` : `${human()}\n`);
}
