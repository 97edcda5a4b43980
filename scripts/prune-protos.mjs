// A protobufjs JSON descriptor cut down to what some of its services use.
//
// @google-cloud/compute ships one protos.json (11.7 MB) describing every Compute API, v1 and
// v1beta, and each of its clients loads all of it. The gcp plugin uses two services; its bundle
// keeps only the types they reach (by protobufjs's own name resolution, as google-gax resolves
// them), plus every namespace outside the package being pruned (google.api, google.protobuf,
// google.rpc: the options and error details gax reads).
import protobuf from 'protobufjs';

/**
 * @param {object} json   the descriptor, as protos.json holds it
 * @param {string} pkg    the package to prune, such as 'google.cloud.compute'
 * @param {string[]} services  fully qualified services to keep, such as 'google.cloud.compute.v1.Instances'
 * @returns {object} a descriptor holding those services and what they reach
 */
export function pruneProtos(json, pkg, services) {
  const root = protobuf.Root.fromJSON(json);
  root.resolveAll();
  const keep = new Set();
  const visit = (reflected) => {
    if (!reflected || keep.has(reflected.fullName)) return;
    keep.add(reflected.fullName);
    if (reflected instanceof protobuf.Type) {
      for (const field of reflected.fieldsArray) visit(field.resolvedType);
      for (const nested of reflected.nestedArray) visit(nested);
    }
  };
  for (const name of services) {
    const service = root.lookupService(name);
    keep.add(service.fullName);
    for (const method of service.methodsArray) {
      visit(method.resolvedRequestType);
      visit(method.resolvedResponseType);
    }
  }
  // A kept name keeps its namespaces: '.google.cloud.compute.v1.Instance' keeps '.google.cloud.compute.v1'.
  const enclosing = new Set();
  for (const name of keep) for (let at = name.lastIndexOf('.'); at > 0; at = name.lastIndexOf('.', at - 1)) enclosing.add(name.slice(0, at));
  const pruned = `.${pkg}`;
  const cut = (node, path) => {
    if (!node.nested) return node;
    const nested = {};
    for (const [key, child] of Object.entries(node.nested)) {
      const name = `${path}.${key}`;
      const inside = name === pruned || name.startsWith(`${pruned}.`);
      if (pruned.startsWith(`${name}.`)) nested[key] = cut(child, name);
      else if (!inside || keep.has(name)) nested[key] = child;
      else if (enclosing.has(name)) nested[key] = cut(child, name);
    }
    return { ...node, nested };
  };
  return cut(json, '');
}
