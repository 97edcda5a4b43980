/** The commander program and the output helpers every command module shares. */
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import type { GlobalOptions } from './context.js';
import { tableSettings } from './format.js';
import { applyContext } from './contexts.js';
import { KADENDE_VERSION } from '../../lib/index.js';

/** Output formats: `table` (the default, for people), `wide` (the table with more columns), `json` and `yaml` (for programs). */
export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const program = new Command('kadende')
  .description('Keeps groups of resources made by plugins at their size and healthy.')
  .version(KADENDE_VERSION)
  // Every command's help lists the global flags too.
  .configureHelp({ showGlobalOptions: true })
  .option('--data-dir <dir>', 'where the embedded store lives (default: $KADENDE_DATA_DIR, else ~/.local/share/kadende)')
  .option('--store <url>', 'a NATS server holding the shared store of several hosts, nats://HOST:PORT (default: $KADENDE_STORE, else the embedded store in the data dir)')
  .option('--cache-dir <dir>', 'where downloaded plugins are cached (default: $KADENDE_CACHE_DIR, else ~/.cache/kadende/plugins)')
  .option('--registry <urls>', 'plugin registries, comma-separated, tried in order (default: $KADENDE_REGISTRY)')
  .option('--trusted-keys <file>', 'Ed25519 public keys (PEM); registry plugins must be signed by one (default: $KADENDE_TRUSTED_KEYS)')
  .option('--plugin-max-in-flight <limits>', 'most plugin calls in flight per provider account, e.g. aws=20,gcp=8 (default: $KADENDE_PLUGIN_MAX_IN_FLIGHT, else adapted to the provider\'s throttling)')
  .option('--server <url>', 'use a running `kadende daemon` through its API (default: $KADENDE_SERVER; token: $KADENDE_TOKEN, else the local daemon\'s)')
  .addOption(new Option('-o, --output <format>', 'output format: table, wide (more columns), json or yaml').choices(OUTPUT_FORMATS).default('table'))
  .option('--no-headers', 'tables without their header line')
  .option('--context <name>', 'a context of the CLI configuration (kadende config): its server, token file and data dir (default: the current context)')
  .showHelpAfterError()
  .exitOverride()
  .hook('preAction', (_program, action) => {
    tableSettings.headers = globals().headers !== false;
    // `kadende config ...` manages the contexts: a broken or missing one must not stop it.
    if (action.parent?.name() !== 'config') applyContext(program);
  });

export const globals = (): GlobalOptions => program.opts<GlobalOptions>();

/** -o json and -o yaml: for programs, no progress, no notes on stderr, errors as data. */
export const machineOutput = (output = globals().output): boolean => output === 'json' || output === 'yaml';

/** The data as JSON or YAML (-o json, -o yaml), else the human rendering; `wide` for -o wide (the human one when a command has no wider view). */
export function out(data: unknown, human: () => string, wide: () => string = human): void {
  process.stdout.write(`${formatted(data, human, wide)}\n`);
}

export function formatted(data: unknown, human: () => string, wide: () => string = human): string {
  switch (globals().output) {
    case 'json':
      return JSON.stringify(data, null, 2);
    case 'yaml':
      return stringify(data).trimEnd();
    case 'wide':
      return wide();
    default:
      return human();
  }
}
