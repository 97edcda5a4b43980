/**
 * The contract test kit for Node's built-in test runner (no test framework to
 * install):
 *
 *   // test/contract.test.mjs, run with `node --test`
 *   import { describeContract } from '@kadende/plugin-sdk/testkit/node';
 *   import plugin from '../dist/plugin.js';
 *   describeContract({ name: 'my-plugin', plugin, properties: () => ({ directory: tmp }) });
 */
import { after, describe, it } from 'node:test';
import { contractSuite, type ContractOptions } from './contract.js';

export { contractSuite, ContractViolation, type ContractCheck, type ContractOptions, type ContractSuite } from './contract.js';

export function describeContract(options: ContractOptions): void {
  const suite = contractSuite(options);
  describe(suite.title, () => {
    after(() => suite.cleanup());
    for (const check of suite.checks) it(check.name, () => check.run());
  });
}
