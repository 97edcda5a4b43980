/**
 * A configuration posted as `application/json` is read as JSON first. The
 * loader reads YAML, of which JSON is a subset, so it would take `{"size": tru}`
 * (a plain scalar) and call broken JSON a "YAML syntax error". Valid JSON goes
 * on to the loader as the same text, so its issues point into the JSON.
 */
import { printParseErrorCode, visit, type ParseErrorCode } from 'jsonc-parser';
import { ConfigError } from '../config/index.js';
import type { ConfigIssue } from '../../model/index.js';

/** jsonc-parser's `CommaExpected` as "comma expected". */
const words = (code: ParseErrorCode): string =>
  printParseErrorCode(code)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();

/** Throws a ConfigError located at the first JSON syntax error of `text` (the ones after it follow from it). */
export function checkJsonSyntax(text: string, file: string): void {
  let first: ConfigIssue | undefined;
  visit(
    text,
    {
      onError: (code, _offset, _length, line, character) => {
        first ??= { file, line: line + 1, column: character + 1, path: '', message: `JSON syntax error: ${words(code)}` };
      },
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  );
  if (first) throw new ConfigError([first]);
}
