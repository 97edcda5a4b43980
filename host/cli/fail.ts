/** Prints an error as the CLI reports every failure, and says which exit code it means. */
import { CommanderError } from 'commander';
import type { ConfigError } from '../config/index.js';
import { stringify } from 'yaml';
import { globals, machineOutput } from './program.js';
import { KadendeError, errorCode, errorMessage } from '../../errors/index.js';

export function fail(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and --version are not failures; everything else commander rejects is invalid input.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : 2;
  }
  // Another library's error keeps its own code (ENOENT, ...); only a code-less one is unexpected.
  const code = errorCode(error) ?? 'KADENDE_ERR_UNEXPECTED';
  const exitCode = error instanceof KadendeError ? error.exitCode : 1;
  const message = errorMessage(error);
  if (machineOutput()) {
    // details: what the command had when it failed (the last reconcile report of a stuck or timed-out wait).
    const details = error instanceof KadendeError ? error.details : undefined;
    const body = { error: { code, message, issues: (error as ConfigError).issues, details } };
    process.stderr.write(globals().output === 'yaml' ? stringify(JSON.parse(JSON.stringify(body))) : `${JSON.stringify(body)}\n`);
  } else {
    process.stderr.write(`kadende: ${message} [${code}]\n`);
    if (!(error instanceof KadendeError) && process.env.KADENDE_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
  }
  return exitCode;
}
