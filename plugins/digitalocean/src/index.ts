/**
 * The digitalocean plugin: each resource is a droplet. describe lists droplets
 * by Kadende's tags (encoded as DO tags, see tags.ts), create looks the
 * kadende.resource tag up before every attempt (DO has no idempotency key),
 * delete destroys (a droplet already gone is success).
 */
import { definePlugin } from '@kadende/plugin-sdk';
import { apiFor } from './client.js';
import { createDroplet, deleteDroplet, listDroplets } from './droplets.js';
import type { DoProperties } from './properties.js';

export default definePlugin({
  async describe({ tags }, context) {
    return { resources: await listDroplets(apiFor(context), tags, context) };
  },

  async create({ properties, tags, token }, context) {
    return createDroplet(apiFor(context), properties as unknown as DoProperties, tags, token, context, { apiWithTimeout: (ms) => apiFor(context, ms) });
  },

  async delete({ id }, context) {
    await deleteDroplet(apiFor(context), id, context);
    return {};
  },
});
