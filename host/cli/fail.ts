/** Prints an error as the CLI reports every failure, and says which exit code it means. */
import { CommanderError } from 'commander';
import { ConfigError } from '../config/errors.js';
import { KadendeError } from '../errors.js';
import { globals } from './program.js';

export function fail(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and --version are not failures; everything else commander rejects is invalid input.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : 2;
  }
  const code = (error as { code?: string }).code ?? 'KADENDE_ERR_UNEXPECTED';
  const exitCode = error instanceof ConfigError ? 2 : error instanceof KadendeError ? error.exitCode : 1;
  if (globals().output === 'json') {
    process.stderr.write(`${JSON.stringify({ error: { code, message: (error as Error).message, issues: (error as ConfigError).issues } })}\n`);
  } else {
    process.stderr.write(`kadende: ${(error as Error).message} [${code}]\n`);
    if (!(error instanceof KadendeError) && !(error instanceof ConfigError) && process.env.KADENDE_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
  }
  return exitCode;
}
