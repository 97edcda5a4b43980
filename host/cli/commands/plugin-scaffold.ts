/**
 * The files `kadende plugin init NAME` writes: a working plugin whose
 * resources are JSON files in a directory (replace its body with calls to your
 * provider), a contract test on Node's built-in runner, and scripts that build
 * with `kadende plugin build` (esbuild, shipped with kadende) so that nothing
 * but the SDK needs installing.
 */
const SDK_VERSION = '^0.1.0';

export function scaffold(name: string): Record<string, string> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const pkg = {
    name: `kadende-plugin-${name}`,
    version: '0.1.0',
    description: `Kadende resource plugin ${name}`,
    type: 'module',
    private: true,
    license: 'UNLICENSED',
    files: ['dist/plugin.js', 'README.md'],
    scripts: {
      build: 'kadende plugin build',
      // The shell expands the files: Node 20 takes a folder here, Node 22 and 24 take only files or globs.
      test: 'npm run build && node --test test/*.test.*',
      package: 'npm run build && kadende plugin pack',
    },
    devDependencies: { '@kadende/plugin-sdk': SDK_VERSION },
    kadende: {
      name,
      version: '0.1.0',
      contract: 1,
      main: 'dist/plugin.js',
      description: `Each resource is <directory>/<id>.json (replace with your provider).`,
      env: [],
      limits: { concurrency: 8, timeoutMs: 10000, memoryMb: 64 },
      // The sandbox lets a plugin touch no file of the host's but the folders these properties name.
      folders: ['directory'],
      propertiesSchema: {
        type: 'object',
        required: ['directory'],
        additionalProperties: false,
        properties: { directory: { type: 'string', minLength: 1, description: 'Where the resource files live.' } },
      },
    },
  };

  const source = `/**
 * The ${name} resource plugin. Kadende calls describe, create and delete in a
 * worker thread; every request and answer is checked against the contract.
 * This one keeps each resource as <directory>/<id>.json: replace the bodies
 * with calls to your provider, keeping the three promises the contract makes:
 * describe finds by tags, create is idempotent on its token, delete of what is
 * gone succeeds.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, PluginError, type Resource, type Tags } from '@kadende/plugin-sdk';

interface Properties {
  directory: string;
}

/** Stable codes for what this plugin throws on purpose; the host shows them with the message. */
class ${pascal(name)}Error extends PluginError<'${constant(name)}_BAD_ID' | '${constant(name)}_IO'> {
  override name = '${pascal(name)}Error';
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

async function all(directory: string): Promise<Resource[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ${pascal(name)}Error('${constant(name)}_IO', \`cannot list \${directory}: \${(error as Error).message}\`, (error as NodeJS.ErrnoException).code);
  }
  const found: Resource[] = [];
  for (const file of names.filter((n) => n.endsWith('.json')).sort()) {
    const text = await readFile(join(directory, file), 'utf8').catch(() => undefined);
    if (text) found.push(JSON.parse(text) as Resource);
  }
  return found;
}

const carries = (resource: Resource, tags: Tags) => Object.entries(tags).every(([k, v]) => resource.tags[k] === v);

export default definePlugin({
  async describe({ tags, properties }) {
    const { directory } = properties as unknown as Properties;
    return { resources: (await all(directory)).filter((r) => carries(r, tags)) };
  },

  async create({ tags, token, properties }) {
    const { directory } = properties as unknown as Properties;
    if (!SAFE_ID.test(token)) throw new ${pascal(name)}Error('${constant(name)}_BAD_ID', \`token \${token} cannot be a file name\`);
    // Idempotent on the token: a retried create finds what the first one made.
    const file = join(directory, \`\${token}.json\`);
    const existing = await readFile(file, 'utf8').then((t) => JSON.parse(t) as Resource, () => undefined);
    if (existing) return existing;
    const resource: Resource = { id: token, status: 'active', tags, createdAt: new Date().toISOString(), address: file };
    await mkdir(directory, { recursive: true });
    await writeFile(file, JSON.stringify(resource, null, 2));
    return resource;
  },

  async delete({ id, properties }) {
    const { directory } = properties as unknown as Properties;
    // Deleting what is already gone (or never was) succeeds.
    if (SAFE_ID.test(id)) await rm(join(directory, \`\${id}.json\`), { force: true });
    return {};
  },
});
`;

  const test = `// The contract test kit, on Node's built-in test runner: \`npm test\` builds dist/plugin.js, then runs this.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { describeContract } from '@kadende/plugin-sdk/testkit/node';
import plugin from '../dist/plugin.js';

const directory = mkdtempSync(join(tmpdir(), '${name}-contract-'));
after(() => rmSync(directory, { recursive: true, force: true }));

describeContract({ name: '${name}', plugin, properties: () => ({ directory }) });
`;

  const tsconfig = {
    compilerOptions: {
      target: 'ES2023',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    },
    include: ['src'],
  };

  const readme = `# ${name}

A [Kadende](https://github.com/kadende) resource plugin.

\`\`\`sh
npm install            # the SDK (see kadende's README: \`kadende plugin sdk\` writes its tarball)
npm test               # kadende plugin build (bundles src/index.ts into dist/plugin.js), then the contract test
kadende plugin test . --properties '{"directory":"/tmp/${name}"}'   # the same checks, in a worker as the host runs it
kadende plugin pack    # ${name}-0.1.0.tgz
\`\`\`

## Properties

| property | required | meaning |
|---|---|---|
| \`directory\` | yes | where the resource files live |

## Use

\`\`\`yaml
groups:
  web:
    size: 2
    resourcePlugin: { name: ${name} }
    resourceProperties: { directory: /var/lib/${name} }
\`\`\`
`;

  return {
    'package.json': json(pkg),
    'src/index.ts': source,
    'test/contract.test.mjs': test,
    'tsconfig.json': json(tsconfig),
    'README.md': readme,
    '.gitignore': 'node_modules/\ndist/\n*.tgz\n',
  };
}

function pascal(name: string): string {
  const words = name.split(/[^a-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return /^[0-9]/.test(joined) ? `P${joined}` : joined || 'Plugin';
}

function constant(name: string): string {
  const text = name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return /^[0-9]/.test(text) ? `P${text}` : text;
}
