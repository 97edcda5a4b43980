/**
 * Number flags, parsed in one place: commander runs these argParsers as it
 * reads the command line, so a bad value is refused (exit 2,
 * KADENDE_ERR_ARGUMENT) before a command does anything.
 */
import { Option } from 'commander';
import { kadendeError } from '../../errors/index.js';

/** Makes the parser for one flag: the flag's name goes into its error message. */
export type FlagParser<T> = (flag: string) => (value: string) => T;

/** A positive number of seconds, as milliseconds. */
export const seconds: FlagParser<number> = (flag) => (value) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw kadendeError('KADENDE_ERR_ARGUMENT', `${flag} takes a number of seconds, got "${value}"`);
  return n * 1000;
};

export const positiveInteger: FlagParser<number> = (flag) => (value) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw kadendeError('KADENDE_ERR_ARGUMENT', `${flag} takes a positive integer, got "${value}"`);
  return n;
};

/** A TCP port; 0 asks for any free one. */
export const port: FlagParser<number> = (flag) => (value) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw kadendeError('KADENDE_ERR_ARGUMENT', `${flag} takes a port number, got "${value}"`);
  return n;
};

export const atLeast =
  (min: number): FlagParser<number> =>
  (flag) =>
  (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw kadendeError('KADENDE_ERR_ARGUMENT', `${flag} takes a number >= ${min}, got "${value}"`);
    return n;
  };

/**
 * An option parsed by `parse`. commander does not parse defaults, so the
 * default goes through the same parser here; help still shows it as written.
 */
export function parsedOption<T>(flags: string, description: string, parse: FlagParser<T>, defaultValue?: string): Option {
  const option = new Option(flags, description);
  const parseValue = parse(option.long ?? option.name());
  option.argParser((value: string) => parseValue(value));
  return defaultValue === undefined ? option : option.default(parseValue(defaultValue), JSON.stringify(defaultValue));
}

/** true or false, for flags written `--flag=false`. */
export const boolean: FlagParser<boolean> = (flag) => (value) => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw kadendeError('KADENDE_ERR_ARGUMENT', `${flag} takes true or false, got "${value}"`);
};

/** An event id (a UUID, as `kadende events -o json` prints them). */
export const eventId: FlagParser<string> = (flag) => (value) => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw kadendeError('KADENDE_ERR_ARGUMENT', `${flag} takes an event id (a UUID, as \`kadende events -o json\` shows), got "${value}"`);
  }
  return value.toLowerCase();
};
