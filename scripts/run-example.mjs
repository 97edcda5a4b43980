// `npm run example`: runs the example cluster for real with the file plugin and
// the embedded LevelDB store, showing each command as an operator would type
// it: apply, reconcile until converged, break something, reconcile again.
//
// KADENDE_DATA_DIR (default .kadende/data) holds its store; KADENDE_EXAMPLE_DIR, if set, is a
// folder the cluster file is copied into and run from, so its resources land there instead of
// under examples/basic/ (the test of this script runs it that way).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const env = { ...process.env, KADENDE_DATA_DIR: process.env.KADENDE_DATA_DIR ?? join(root, '.kadende/data') };
const cli = join(root, 'dist/host/cli/main.js');
const exampleDir = process.env.KADENDE_EXAMPLE_DIR ?? join(root, 'examples/basic');
if (process.env.KADENDE_EXAMPLE_DIR) {
  mkdirSync(exampleDir, { recursive: true });
  copyFileSync(join(root, 'examples/basic/cluster.yaml'), join(exampleDir, 'cluster.yaml'));
}
const config = relative(root, join(exampleDir, 'cluster.yaml'));

function kadende(...args) {
  process.stdout.write(`\n$ kadende ${args.join(' ')}\n`);
  execFileSync(process.execPath, [cli, ...args], { cwd: root, env, stdio: 'inherit' });
}

kadende('apply', '-f', config);
kadende('reconcile', 'example', '--wait');
kadende('get', 'resources', 'example');

// The file plugin's folders are relative to the cluster file (apply resolves them there).
const resources = join(exampleDir, '.kadende/example-resources');
const web = join(resources, 'web');
const victim = readdirSync(web).find((name) => name.endsWith('.json'));
process.stdout.write(`\n# Someone deletes a machine behind Kadende's back: rm ${join(web, victim)}\n`);
rmSync(join(web, victim));
kadende('reconcile', 'example', '--wait');
kadende('events', 'example', '--limit', '8');
process.stdout.write(`\nDone. The resources are files under ${resources}; the store is in ${env.KADENDE_DATA_DIR}.\n`);
process.stdout.write(`Clean up with: node dist/host/cli/main.js --data-dir ${env.KADENDE_DATA_DIR} delete cluster example\n`);
