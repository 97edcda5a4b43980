/**
 * Compute Engine clients built only from the env the manifest declares
 * (context.env), never from Application Default Credentials lookups in the
 * worker's process.env or the metadata server:
 *
 * - GOOGLE_OAUTH_ACCESS_TOKEN: a ready access token (e.g. `gcloud auth print-access-token`);
 * - GOOGLE_CREDENTIALS: a service account key, as JSON text;
 * - GOOGLE_APPLICATION_CREDENTIALS: the path of a service account key file;
 * - KADENDE_GCP_ENDPOINT: another endpoint (tests, compatible clouds); with no
 *   credentials at all it is called without authentication.
 *
 * Clients are kept per configuration so connections are reused in a worker.
 */
import { readFileSync } from 'node:fs';
// The two clients straight from their modules: the package index also loads every other
// client and the 30 MB static protobuf code, which would make the bundled plugin 70 MB.
import { InstancesClient } from '@google-cloud/compute/build/src/v1/instances_client.js';
import { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client.js';
import { OAuth2Client, PassThroughClient } from 'google-auth-library';
import type { PluginContext } from '@kadende/plugin-sdk';
import { GcpPluginError } from './errors.js';
import { DEFAULT_ZONE, type GcpProperties } from './properties.js';

export interface Gce {
  instances: InstancesClient;
  operations: ZoneOperationsClient;
  project: string;
  zone: string;
}

type ClientOptions = NonNullable<ConstructorParameters<typeof InstancesClient>[0]>;

// google-gax carries its own copy of google-auth-library; the classes match at run time, not in types.
type AuthClientOption = ClientOptions['authClient'];

const SCOPES = ['https://www.googleapis.com/auth/compute'];
const cache = new Map<string, { instances: InstancesClient; operations: ZoneOperationsClient; defaultProject?: string }>();

interface ServiceAccountKey {
  client_email?: string;
  private_key?: string;
  project_id?: string;
}

function endpointOptions(endpoint: string | undefined): ClientOptions {
  if (!endpoint) return {};
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new GcpPluginError('GCP_ERR_CONFIG', `KADENDE_GCP_ENDPOINT "${endpoint}" is not a URL`);
  }
  const protocol = url.protocol.replace(':', '');
  // Without an explicit port the client goes to 443 whatever the protocol.
  const port = url.port ? Number(url.port) : protocol === 'http' ? 80 : 443;
  return { apiEndpoint: url.hostname, port, protocol };
}

function build(env: PluginContext['env']) {
  const endpoint = env.KADENDE_GCP_ENDPOINT || undefined;
  const options: ClientOptions = { fallback: true, ...endpointOptions(endpoint) };
  let defaultProject: string | undefined;
  if (env.GOOGLE_OAUTH_ACCESS_TOKEN) {
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: env.GOOGLE_OAUTH_ACCESS_TOKEN });
    options.authClient = auth as unknown as AuthClientOption;
  } else if (env.GOOGLE_CREDENTIALS || env.GOOGLE_APPLICATION_CREDENTIALS) {
    let key: ServiceAccountKey;
    const source = env.GOOGLE_CREDENTIALS ? 'GOOGLE_CREDENTIALS' : `GOOGLE_APPLICATION_CREDENTIALS (${env.GOOGLE_APPLICATION_CREDENTIALS})`;
    try {
      key = JSON.parse(env.GOOGLE_CREDENTIALS || readFileSync(env.GOOGLE_APPLICATION_CREDENTIALS!, 'utf8')) as ServiceAccountKey;
    } catch (error) {
      throw new GcpPluginError('GCP_ERR_AUTH', `Cannot read the service account key from ${source}: ${(error as Error).message}`);
    }
    if (!key.client_email || !key.private_key) {
      throw new GcpPluginError('GCP_ERR_AUTH', `The service account key in ${source} has no client_email or private_key`);
    }
    options.credentials = { client_email: key.client_email, private_key: key.private_key };
    options.scopes = SCOPES;
    defaultProject = key.project_id;
  } else if (endpoint) {
    options.authClient = new PassThroughClient() as unknown as AuthClientOption;
  } else {
    throw new GcpPluginError('GCP_ERR_AUTH', 'No Google Cloud credentials: set GOOGLE_CREDENTIALS, GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_OAUTH_ACCESS_TOKEN');
  }
  if (defaultProject) options.projectId = defaultProject;
  return { instances: new InstancesClient(options), operations: new ZoneOperationsClient(options), defaultProject };
}

export function gceFor(properties: GcpProperties, context: PluginContext): Gce {
  const env = context.env;
  const cacheKey = JSON.stringify(['KADENDE_GCP_ENDPOINT', 'GOOGLE_OAUTH_ACCESS_TOKEN', 'GOOGLE_CREDENTIALS', 'GOOGLE_APPLICATION_CREDENTIALS'].map((name) => env[name]));
  let clients = cache.get(cacheKey);
  if (!clients) {
    clients = build(env);
    cache.set(cacheKey, clients);
  }
  const project = properties.project ?? env.GOOGLE_CLOUD_PROJECT ?? clients.defaultProject;
  if (!project) {
    throw new GcpPluginError('GCP_ERR_CONFIG', 'No Google Cloud project: set resourceProperties.project, GOOGLE_CLOUD_PROJECT, or use a service account key that names one');
  }
  return { instances: clients.instances, operations: clients.operations, project, zone: properties.zone ?? DEFAULT_ZONE };
}
