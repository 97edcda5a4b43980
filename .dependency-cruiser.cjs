/**
 * The layering of Kadende's folders (docs/ARCHITECTURE.md, "Layout"), checked
 * by `npm test`: a folder imports only folders below it, and other folders
 * only through their index.ts. Lowest first:
 *
 *   model, errors          types and the error catalogue: import nothing of Kadende's
 *   lib                    fetch, integrity, atomic writes, tokens, tarballs: errors only
 *   registry               plugin registry server, client and packing: lib, errors, model
 *   host/config, host/store, host/events, host/plugins
 *   host/controller        the reconciler, planner, scheduler and use cases
 *   host/api, host/daemon.ts
 *   host/cli               the commands: may use everything above
 *
 * plugin-sdk and the plugins import none of it: a plugin sees only the SDK.
 */
const layer = (name, from, forbidden) => ({
  name,
  severity: 'error',
  comment: `${from} may not import ${forbidden}`,
  from: { path: from },
  to: { path: forbidden },
});

const HOST_UPPER = '^host/(controller|api|cli|daemon\\.ts)';

module.exports = {
  forbidden: [
    layer('model-imports-nothing', '^model/', '^(errors|lib|registry|host|plugins)/'),
    layer('errors-import-nothing', '^errors/', '^(lib|registry|host|plugins)/'),
    layer('lib-below-registry-and-host', '^lib/', '^(registry|host|plugins)/'),
    layer('registry-below-host', '^registry/', '^(host|plugins)/'),
    layer('config-below-the-rest', '^host/config/', '^host/(store|events|plugins|controller|api|cli|daemon\\.ts)'),
    layer('store-below-events', '^host/store/', '^host/(config|events|plugins|controller|api|cli|daemon\\.ts)'),
    layer('events-use-only-the-store', '^host/events/', '^host/(config|plugins|controller|api|cli|daemon\\.ts)'),
    layer('plugins-below-the-controller', '^host/plugins/', '^host/(config|store|events|controller|api|cli|daemon\\.ts)'),
    layer('controller-below-api-and-cli', '^host/controller/', '^host/(api|cli|daemon\\.ts)'),
    layer('api-below-the-cli', '^host/api/', '^host/(cli|daemon\\.ts)'),
    layer('sdk-and-plugins-see-only-the-sdk', '^(plugin-sdk|plugins)/', '^(model|errors|lib|registry|host)/'),
    {
      name: 'through-the-index',
      severity: 'error',
      comment: 'another folder is used through its index.ts, never one of its files',
      from: { path: '^(host/[^/]+|lib|model|errors|registry)/' },
      to: { path: '^(host/[^/]+|lib|model|errors|registry)/(?!index\\.ts$)', pathNot: '^$1/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|test|bench)/|\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
