/**
 * A contract test kit for plugin authors, for vitest:
 *
 *   import { describeContract } from '@kadende/plugin-sdk/testkit';
 *   describeContract({ name: 'my-plugin', plugin, properties: () => ({ directory: tmp }) });
 *
 * Without vitest, `@kadende/plugin-sdk/testkit/node` does the same with Node's
 * built-in runner (`node --test`). Both run the checks of contract.ts: every
 * answer against the contract's JSON Schemas, and the behaviour the host relies
 * on: create tags what it makes, describe finds by tags, create is idempotent
 * on its token, delete works and deleting a missing id succeeds.
 */
import { afterAll, describe, it } from 'vitest';
import { contractSuite, type ContractOptions } from './contract.js';

export { contractSuite, ContractViolation, type ContractCheck, type ContractOptions, type ContractSuite } from './contract.js';

export function describeContract(options: ContractOptions): void {
  const suite = contractSuite(options);
  describe(suite.title, () => {
    afterAll(() => suite.cleanup());
    for (const check of suite.checks) it(check.name, () => check.run());
  });
}
