/**
 * The gcp bundle carries a Compute descriptor cut to the services it uses
 * (scripts/prune-protos.mjs): every type those services reach must still resolve,
 * as google-gax resolves it, and the rest of the Compute API must be gone.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a build script in plain JavaScript, without types
import { pruneProtos } from '../../scripts/prune-protos.mjs';

const require = createRequire(new URL('../../plugins/gcp/package.json', import.meta.url));
const full = JSON.parse(readFileSync(require.resolve('@google-cloud/compute/build/protos/protos.json'), 'utf8')) as protobuf.INamespace;
const services = ['google.cloud.compute.v1.Instances', 'google.cloud.compute.v1.ZoneOperations'];
const pruned = (pruneProtos as (json: unknown, pkg: string, services: string[]) => protobuf.INamespace)(full, 'google.cloud.compute', services);

describe('the Compute descriptor the gcp bundle carries', () => {
  const root = protobuf.Root.fromJSON(pruned);

  it('resolves every method, field and nested type of the services it keeps', () => {
    expect(() => root.resolveAll()).not.toThrow();
    for (const name of services) {
      const service = root.lookupService(name);
      const fullService = protobuf.Root.fromJSON(full).lookupService(name);
      expect(service.methodsArray.map((m) => m.name)).toEqual(fullService.methodsArray.map((m) => m.name));
      // The REST routes gax builds its calls from travel in the methods' options.
      expect(service.methods.Insert?.options ?? service.methods.Get?.options).toEqual((fullService.methods.Insert ?? fullService.methods.Get)!.options);
    }
    const instance = root.lookupType('google.cloud.compute.v1.Instance');
    expect(instance.fields.disks!.resolvedType?.fullName).toBe('.google.cloud.compute.v1.AttachedDisk');
    expect(root.lookupType('google.cloud.compute.v1.Operation').fields.error!.resolvedType).not.toBeNull();
  });

  it('keeps the namespaces outside Compute (the HTTP rules and options gax reads) and drops the other Compute services and versions', () => {
    expect(root.lookupType('google.api.HttpRule')).toBeDefined();
    expect(root.lookup('google.cloud.compute.v1.Disks')).toBeNull();
    expect(root.lookup('google.cloud.compute.v1beta')).toBeNull();
    expect(JSON.stringify(pruned).length).toBeLessThan(JSON.stringify(full).length / 10);
  });
});
