/**
 * The registry: a fastify server keeping, under one folder, each plugin's
 * document (`<dir>/<name>/document.json`) and tarballs (`<dir>/<name>/<name>-<version>.tgz`).
 * Publishing needs the bearer token; a published version is immutable (409);
 * `latest` follows the highest non-prerelease version. Writes are atomic
 * (temporary file + rename) and serialised per plugin within the process.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import semver from 'semver';
import { PluginManifestSchema } from '@kadende/plugin-sdk';
import { DEFAULT_MAX_TARBALL_BYTES, integrityOf, checkTokenLength, readTokenFile, tokenMatches, writeFileAtomic } from '../lib/index.js';
import { latestOf, tarballPath, type PluginDocument } from './document.js';
import { readTarballManifest } from './tarball.js';
import { KadendeError, kadendeError } from '../errors/index.js';

export interface RegistryServerOptions {
  dir: string;
  /** Bearer token publishing needs; without one, publishing is refused. */
  token?: string;
  maxTarballBytes?: number;
  logger?: boolean;
}

/** The manifest's own rule for plugin names, so the registry accepts exactly the names a plugin can have. */
const NAME = new RegExp(PluginManifestSchema.properties.name.pattern!);

export async function createRegistryServer(options: RegistryServerOptions): Promise<FastifyInstance> {
  const { dir } = options;
  if (options.token) checkTokenLength(options.token, 'the registry options', 'a publish token');
  const maxBytes = options.maxTarballBytes ?? DEFAULT_MAX_TARBALL_BYTES;
  await mkdir(dir, { recursive: true });
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: maxBytes });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));

  const locks = new Map<string, Promise<unknown>>();
  const serialised = <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const next = (locks.get(name) ?? Promise.resolve()).then(run, run);
    locks.set(name, next.catch(() => {}));
    return next;
  };
  const documentFile = (name: string) => join(dir, name, 'document.json');
  const readDocument = async (name: string): Promise<PluginDocument | undefined> =>
    existsSync(documentFile(name)) ? (JSON.parse(await readFile(documentFile(name), 'utf8')) as PluginDocument) : undefined;

  const pluginName = (request: FastifyRequest, reply: FastifyReply): string | undefined => {
    const name = (request.params as { name: string }).name.toLowerCase();
    if (NAME.test(name)) return name;
    void refuse(reply, kadendeError('KADENDE_ERR_REGISTRY_BAD_NAME', name));
    return undefined;
  };

  app.get('/:name', async (request, reply) => {
    const name = pluginName(request, reply);
    if (!name) return reply;
    const doc = await readDocument(name);
    if (!doc) return refuse(reply, kadendeError('KADENDE_ERR_NOT_FOUND', `no plugin "${name}" in this registry`));
    return reply.type('application/json').send(doc);
  });

  app.get('/:name/-/:file', async (request, reply) => {
    const name = pluginName(request, reply);
    if (!name) return reply;
    const file = (request.params as { file: string }).file;
    const version = file.startsWith(`${name}-`) && file.endsWith('.tgz') ? file.slice(name.length + 1, -4) : '';
    const path = join(dir, name, `${name}-${version}.tgz`);
    if (!semver.valid(version) || !existsSync(path)) return refuse(reply, kadendeError('KADENDE_ERR_NOT_FOUND', `no tarball ${file}`));
    return reply.type('application/octet-stream').send(createReadStream(path));
  });

  app.put('/:name', async (request, reply) => {
    if (!authorised(options.token, request.headers.authorization)) {
      return refuse(
        reply,
        kadendeError('KADENDE_ERR_REGISTRY_UNAUTHORIZED', options.token ? 'a valid bearer token is required to publish' : 'publishing is disabled: the registry was started without a token'),
      );
    }
    const name = pluginName(request, reply);
    if (!name) return reply;
    const body = request.body;
    if (!Buffer.isBuffer(body)) return refuse(reply, kadendeError('KADENDE_ERR_UNSUPPORTED_MEDIA_TYPE', 'send the tarball as application/octet-stream'));
    let manifest;
    try {
      manifest = await readTarballManifest(body, `upload for ${name}`);
    } catch (error) {
      if (!(error instanceof KadendeError)) throw error;
      return refuse(reply, error);
    }
    if (manifest.name !== name) {
      return refuse(reply, kadendeError('KADENDE_ERR_REGISTRY_PUBLISH', `the tarball is plugin "${manifest.name}", not "${name}"`));
    }
    const signature = request.headers['x-kadende-signature'];
    if (signature !== undefined && (typeof signature !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature))) {
      return refuse(reply, kadendeError('KADENDE_ERR_REGISTRY_PUBLISH', 'x-kadende-signature must be base64'));
    }
    const { version } = manifest;
    const integrity = integrityOf(body);
    return serialised(name, async () => {
      const doc: PluginDocument = (await readDocument(name)) ?? { name, 'dist-tags': {}, versions: {} };
      if (doc.versions[version]) {
        return refuse(reply, kadendeError('KADENDE_ERR_REGISTRY_VERSION_EXISTS', `${name}@${version} is already published; versions are immutable`));
      }
      await mkdir(join(dir, name), { recursive: true });
      // The tarball first: a document never names a tarball that is not there.
      await writeFileAtomic(join(dir, name, `${name}-${version}.tgz`), body);
      doc.versions[version] = {
        tarball: tarballPath(name, version),
        integrity,
        contract: manifest.contract,
        publishedAt: new Date().toISOString(),
        ...(signature ? { signature } : {}),
      };
      const latest = latestOf(Object.keys(doc.versions));
      doc['dist-tags'] = latest ? { ...doc['dist-tags'], latest } : doc['dist-tags'];
      await writeFileAtomic(documentFile(name), `${JSON.stringify(doc, null, 2)}\n`);
      request.log.info({ name, version, integrity }, 'published');
      return reply.code(201).send({ name, version, integrity });
    });
  });

  return app;
}

/** Compares digests in constant time (as the daemon's API does), so not even the token's length leaks. */
function authorised(token: string | undefined, header: string | undefined): boolean {
  return token !== undefined && token !== '' && tokenMatches(token, header);
}

/** The registry's answer to a refused request: `{ code, message }` with the code's status. */
function refuse(reply: FastifyReply, error: KadendeError): FastifyReply {
  return reply.code(error.statusCode).send({ code: error.code, message: error.message });
}

/** The publish token: from --token-file, else KADENDE_REGISTRY_TOKEN (the registry and the publisher read it alike). */
export async function registryToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (tokenFile) return readTokenFile(tokenFile, 'a publish token');
  const token = env.KADENDE_REGISTRY_TOKEN;
  if (token) checkTokenLength(token, 'KADENDE_REGISTRY_TOKEN', 'a publish token');
  return token || undefined;
}
