/**
 * The CLI's contexts, as kubeconfig's: named sets of a daemon's URL, its token file and a data
 * dir, and the one in use. In `$KADENDE_CONFIG`, else `<XDG config dir>/kadende/config.yaml`,
 * written atomically with mode 0600 (it names token files). Precedence, per setting: a flag, then
 * the environment variable, then the context, then the default.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import envPaths from 'env-paths';
import { parse, stringify } from 'yaml';
import { kadendeError } from '../../errors/index.js';
import { writeFileAtomic } from '../../lib/index.js';

export interface ContextEntry {
  server?: string;
  tokenFile?: string;
  dataDir?: string;
}

export interface CliConfig {
  currentContext?: string;
  contexts: Record<string, ContextEntry>;
}

const ENTRY_FIELDS = ['server', 'tokenFile', 'dataDir'] as const;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.KADENDE_CONFIG || join(envPaths('kadende', { suffix: '' }).config, 'config.yaml');
}

/** The file's contexts; a missing file is an empty configuration. */
export function readCliConfig(file = configPath()): CliConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: {} };
    throw kadendeError('KADENDE_ERR_CLI_CONFIG', file, `cannot read it: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = parse(text) ?? {};
  } catch (error) {
    throw kadendeError('KADENDE_ERR_CLI_CONFIG', file, `is not YAML: ${(error as Error).message}`);
  }
  return checked(file, data);
}

function checked(file: string, data: unknown): CliConfig {
  const bad = (where: string, what: string) => kadendeError('KADENDE_ERR_CLI_CONFIG', file, `${where}: ${what}`);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('(top)', 'must be a mapping with currentContext and contexts');
  const { currentContext, contexts = {}, ...extra } = data as Record<string, unknown>;
  for (const key of Object.keys(extra)) throw bad(key, 'is not a field (currentContext, contexts)');
  if (currentContext !== undefined && typeof currentContext !== 'string') throw bad('currentContext', 'must be a context name');
  if (typeof contexts !== 'object' || contexts === null || Array.isArray(contexts)) throw bad('contexts', 'must be a mapping of names to contexts');
  for (const [name, entry] of Object.entries(contexts as Record<string, unknown>)) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad(`contexts.${name}`, 'must be a mapping with server, tokenFile, dataDir');
    for (const [key, value] of Object.entries(entry)) {
      if (!(ENTRY_FIELDS as readonly string[]).includes(key)) throw bad(`contexts.${name}.${key}`, `is not a field (${ENTRY_FIELDS.join(', ')})`);
      if (typeof value !== 'string') throw bad(`contexts.${name}.${key}`, 'must be a string');
    }
  }
  return { ...(currentContext !== undefined ? { currentContext } : {}), contexts: contexts as Record<string, ContextEntry> };
}

export async function writeCliConfig(config: CliConfig, file = configPath()): Promise<void> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, stringify(config), 0o600);
}

/** The context a command runs in: --context NAME, else the file's current one; none without either. */
export function activeContext(name: string | undefined, file = configPath()): { name: string; entry: ContextEntry } | undefined {
  const config = readCliConfig(file);
  const chosen = name ?? config.currentContext;
  if (chosen === undefined) return undefined;
  const entry = config.contexts[chosen];
  if (!entry) throw kadendeError('KADENDE_ERR_CLI_CONFIG', file, `has no context "${chosen}" (see \`kadende config get-contexts\`)`);
  return { name: chosen, entry };
}

/** The settings a context gives a command, where neither a flag nor an environment variable gives one. */
export interface ContextTarget {
  getOptionValueSource(key: string): string | undefined;
  setOptionValueWithSource(key: string, value: unknown, source: 'config'): unknown;
  opts(): { context?: string };
}

export function applyContext(program: ContextTarget, env: NodeJS.ProcessEnv = process.env): void {
  const active = activeContext(program.opts().context);
  if (!active) return;
  const { entry } = active;
  const open = (key: string, variable: string) => program.getOptionValueSource(key) !== 'cli' && !env[variable];
  if (entry.dataDir && open('dataDir', 'KADENDE_DATA_DIR')) program.setOptionValueWithSource('dataDir', entry.dataDir, 'config');
  if (entry.server && open('server', 'KADENDE_SERVER')) program.setOptionValueWithSource('server', entry.server, 'config');
  if (entry.tokenFile && !env.KADENDE_TOKEN) program.setOptionValueWithSource('tokenFile', entry.tokenFile, 'config');
}
