#!/usr/bin/env node
/**
 * The `kadende` command. Exit codes: 0 success, 1 failure, 2 invalid input
 * (bad arguments, an invalid configuration, a name already taken).
 */
import { fail } from './fail.js';
import { program } from './program.js';
import { stuckPluginThreads } from './context.js';
import { registerApply } from './commands/apply.js';
import { registerPlan } from './commands/plan.js';
import { registerReconcile } from './commands/reconcile.js';
import { registerGet } from './commands/get.js';
import { registerDescribe } from './commands/describe.js';
import { registerEvents } from './commands/events.js';
import { registerDelete } from './commands/delete.js';
import { registerPluginCommands } from './commands/plugin.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerDaemon } from './commands/daemon.js';
import { registerStore } from './commands/store.js';

// The order here is the order `kadende --help` lists them in.
for (const register of [registerApply, registerPlan, registerReconcile, registerGet, registerDescribe, registerEvents, registerDelete, registerPluginCommands, registerRegistryCommands, registerDaemon, registerStore]) {
  register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = fail(error);
}
// The command is done (every command awaits its own end, a daemon's and a registry's too). A
// plugin thread stuck in a system call (fs.promises.mkdir('/proc/nope/x') on Node 20) is ended
// by nothing but ending the process, and Node's own exit waits for it forever: kill it instead.
if (stuckPluginThreads > 0) {
  process.stderr.write(`kadende: ${stuckPluginThreads} plugin thread(s) stuck in a system call cannot be stopped; ending the process (exit status 137)\n`);
  process.kill(process.pid, 'SIGKILL');
}
