import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeContract } from '@kadende/plugin-sdk/testkit';
import plugin from '../src/index.js';

const directory = mkdtempSync(join(tmpdir(), 'kadende-file-contract-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describeContract({ name: 'file', plugin, properties: () => ({ directory }) });
