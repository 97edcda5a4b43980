/** Compiled validators for the contract, shared by the host and the test kit. */
import { addFormats, Ajv, type ErrorObject, type ValidateFunction } from './vendor.js';
import { contractSchemas, PluginManifestSchema, type PluginManifest, type PluginMethod } from './schemas.js';

export function createAjv(options: { useDefaults?: boolean } = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: options.useDefaults ?? false });
  addFormats(ajv);
  return ajv;
}

/** `/tags/x must be string` style messages, one per error. */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined, root = ''): string[] {
  return (errors ?? []).map((error) => {
    const where = `${root}${error.instancePath}` || '(root)';
    if (error.keyword === 'additionalProperties') {
      return `${where}: unexpected property "${String(error.params.additionalProperty)}"`;
    }
    if (error.keyword === 'enum') {
      return `${where}: ${error.message} (${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`;
    }
    return `${where}: ${error.message}`;
  });
}

export interface ContractValidators {
  request(method: PluginMethod, value: unknown): string[];
  response(method: PluginMethod, value: unknown): string[];
}

export function createContractValidators(ajv: Ajv = createAjv()): ContractValidators {
  const compiled = new Map<string, ValidateFunction>();
  for (const [method, { request, response }] of Object.entries(contractSchemas)) {
    compiled.set(`${method}:request`, ajv.compile(request));
    compiled.set(`${method}:response`, ajv.compile(response));
  }
  const check = (key: string, value: unknown): string[] => {
    const validate = compiled.get(key)!;
    return validate(value) ? [] : formatAjvErrors(validate.errors);
  };
  return {
    request: (method, value) => check(`${method}:request`, value),
    response: (method, value) => check(`${method}:response`, value),
  };
}

/** Compiled on first use, then shared: compiling the manifest schema is most of a validation's cost. */
let manifestValidator: ValidateFunction | undefined;

/**
 * Validates a manifest (filling defaults) and checks that its propertiesSchema
 * is itself a valid JSON Schema. Returns the problems, empty when it is valid.
 */
export function validateManifest(value: unknown): { manifest?: PluginManifest; problems: string[] } {
  const validate = (manifestValidator ??= createAjv({ useDefaults: true }).compile(PluginManifestSchema));
  const copy = structuredClone(value);
  if (!validate(copy)) return { problems: formatAjvErrors(validate.errors, 'kadende') };
  const manifest = copy as PluginManifest;
  // A fresh ajv per manifest: plugins' propertiesSchemas may reuse an $id, which one ajv would refuse.
  const ajv = createAjv({ useDefaults: true });
  if (!ajv.validateSchema(manifest.propertiesSchema)) {
    return { problems: formatAjvErrors(ajv.errors, 'kadende/propertiesSchema').map((p) => `${p} (not a valid JSON Schema)`) };
  }
  try {
    ajv.compile(manifest.propertiesSchema);
  } catch (error) {
    return { problems: [`kadende/propertiesSchema: not a valid JSON Schema: ${(error as Error).message}`] };
  }
  return { manifest, problems: [] };
}
