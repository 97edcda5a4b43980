/** The built `kadende` CLI as a child process, as an operator runs it, and scratch folders for tests. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = new URL('../../dist/host/cli/main.js', import.meta.url).pathname;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kadende(args: string[], env: Record<string, string | undefined> = {}, input?: string, cwd?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      // Ambient registry, trust and context settings of the machine must not leak into a test.
      { env: { ...process.env, KADENDE_DEBUG: '1', KADENDE_REGISTRY: '', KADENDE_TRUSTED_KEYS: '', KADENDE_CONFIG: join(tmpdir(), 'kadende-tests-no-cli-config.yaml'), ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024, cwd },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** A temporary folder and its removal. */
export function tempDir(prefix: string): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), `kadende-${prefix}-`));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A scratch folder for one test file, with the env that puts the CLI's data and cache in it. */
export function scratch(prefix: string) {
  const dir = tempDir(prefix);
  return { ...dir, env: { KADENDE_DATA_DIR: join(dir.root, 'data'), KADENDE_CACHE_DIR: join(dir.root, 'cache') } };
}

/** The resource files of the file plugin in a directory, parsed. */
export function resourceFiles(directory: string): Array<{ file: string; id: string; status: string; tags: Record<string, string> }> {
  let names: string[] = [];
  try {
    names = readdirSync(directory).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((file) => ({ file: join(directory, file), ...JSON.parse(readFileSync(join(directory, file), 'utf8')) }));
}

/** Starts a long-running CLI command (a daemon, a follower), collecting its stdout and stderr; `children` lets the test kill what is left. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, children: ChildProcess[]): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  children.push(child);
  return { child, output: () => output };
}
