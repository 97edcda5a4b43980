/**
 * The gcp plugin: each resource is a Compute Engine VM. describe lists VMs by
 * Kadende's tags encoded as labels (originals kept in metadata, see
 * labels.ts), create looks the kadende.resource label up first and otherwise
 * inserts a VM with a name derived from the token and waits for the zone
 * operation, delete deletes (a VM already gone is success).
 */
import { definePlugin } from '@kadende/plugin-sdk';
import { gceFor } from './client.js';
import { createInstance, deleteInstance, listInstances } from './instances.js';
import type { GcpProperties } from './properties.js';

export default definePlugin({
  async describe({ tags, properties }, context) {
    return { resources: await listInstances(gceFor(properties as unknown as GcpProperties, context), tags, context) };
  },

  async create({ properties, tags, token }, context) {
    const props = properties as unknown as GcpProperties;
    return createInstance(gceFor(props, context), props, tags, token, context);
  },

  async delete({ id, properties }, context) {
    await deleteInstance(gceFor(properties as unknown as GcpProperties, context), id, context);
    return {};
  },
});
