/**
 * Checks each leaf's resourceProperties against its plugin's propertiesSchema,
 * filling the schema's defaults into spec.groups[i].properties. A second pass
 * after loading, because the schemas come from plugins the config names.
 */
import type { ValidateFunction } from 'ajv';
import { createAjv } from '@kadende/plugin-sdk';
import { ajvProblems } from './ajv-problems.js';
import { formatPath } from './errors.js';
import type { LoadedConfig } from './load.js';
import type { ConfigIssue, LeafGroup } from '../../model/index.js';

/** Returns the problems (empty when every leaf is valid); throwing is the caller's choice. */
export function checkResourceProperties(
  loaded: LoadedConfig,
  file: string,
  schemaFor: (group: LeafGroup) => object | undefined,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  // One ajv per schema object: plugins' schemas may reuse an $id, which one ajv would refuse.
  const compiled = new Map<object, ValidateFunction | Error>();
  for (const group of loaded.spec.groups) {
    const schema = schemaFor(group);
    if (!schema) continue;
    const groupAt = loaded.documentPath(group.path) ?? ['groups'];
    const at = [...groupAt, 'resourceProperties'];
    const issue = (path: Array<string | number>, message: string, anchor?: 'key' | 'value') =>
      issues.push({ file, ...loaded.locate(path, anchor), path: formatPath(path), message });

    let validate = compiled.get(schema);
    if (!validate) {
      try {
        validate = createAjv({ useDefaults: true }).compile(schema);
      } catch (error) {
        validate = error as Error;
      }
      compiled.set(schema, validate);
    }
    if (validate instanceof Error) {
      issue([...groupAt, 'resourcePlugin'], `plugin "${group.plugin.name}" has an unusable propertiesSchema: ${validate.message}`);
      continue;
    }
    // Validates in place so that the schema's defaults land in the spec.
    if (validate(group.properties)) continue;
    for (const problem of ajvProblems(validate.errors, group.properties, schema)) {
      issue([...at, ...problem.path], problem.message, problem.atKey ? 'key' : 'value');
    }
  }
  return issues;
}
