#!/usr/bin/env node
/**
 * The `kadende` command. Exit codes: 0 success, 1 failure, 2 invalid input
 * (bad arguments, an invalid configuration, a name already taken).
 */
import { fail } from './fail.js';
import { program } from './program.js';
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

// The order here is the order `kadende --help` lists them in.
for (const register of [registerApply, registerPlan, registerReconcile, registerGet, registerDescribe, registerEvents, registerDelete, registerPluginCommands, registerRegistryCommands, registerDaemon]) {
  register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = fail(error);
}
