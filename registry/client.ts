/** Talks to a Kadende registry over HTTP (undici): fetch a plugin's document, publish a tarball. */
import { request } from 'undici';
import { describeNetworkError } from '../lib/index.js';
import { documentProblems, type PluginDocument, type VersionEntry } from './document.js';
import { kadendeError } from '../errors/index.js';

export class RegistryClient {
  readonly base: string;

  constructor(base: string, private readonly timeoutMs = 15_000) {
    this.base = base.replace(/\/+$/, '');
  }

  /** The tarball's absolute URL (documents hold it relative to the registry). */
  tarballUrl(entry: VersionEntry): string {
    return new URL(entry.tarball, `${this.base}/`).href;
  }

  /** The plugin's document, or undefined when this registry does not have the plugin. */
  async document(name: string): Promise<PluginDocument | undefined> {
    const url = `${this.base}/${encodeURIComponent(name)}`;
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, { headers: { accept: 'application/json' }, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
    } catch (error) {
      throw kadendeError('KADENDE_ERR_REGISTRY_UNREACHABLE', `registry ${this.base} is unreachable (looking up plugin ${name}): ${describeNetworkError(error)}`).with({ cause: error });
    }
    const bad = (why: string, cause?: unknown) =>
      kadendeError('KADENDE_ERR_REGISTRY_BAD_RESPONSE', `registry ${this.base}: GET ${url} (plugin ${name}): ${why}`).with({ cause });
    if (response.statusCode === 404) {
      await response.body.dump().catch(() => {});
      return undefined;
    }
    if (response.statusCode !== 200) {
      await response.body.dump().catch(() => {});
      throw bad(`answered ${response.statusCode}`);
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw bad(`the body broke off: ${describeNetworkError(error)}`, error);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw bad(`not JSON (${text.length} bytes starting ${JSON.stringify(text.slice(0, 40))})`);
    }
    const problems = documentProblems(doc);
    if (problems.length > 0) throw bad(`not a plugin document: ${problems.join('; ')}`);
    if ((doc as PluginDocument).name !== name) throw bad(`the document is for "${(doc as PluginDocument).name}"`);
    return doc as PluginDocument;
  }

  /** Uploads a tarball; the registry reads name and version from its manifest. */
  async publish(name: string, tarball: Uint8Array, options: { token?: string; signature?: string } = {}): Promise<{ name: string; version: string; integrity: string }> {
    const url = `${this.base}/${encodeURIComponent(name)}`;
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        method: 'PUT',
        body: tarball,
        headers: {
          'content-type': 'application/octet-stream',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.signature ? { 'x-kadende-signature': options.signature } : {}),
        },
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (error) {
      throw kadendeError('KADENDE_ERR_REGISTRY_UNREACHABLE', `registry ${this.base} is unreachable (publishing ${name}): ${describeNetworkError(error)}`).with({ cause: error });
    }
    const text = await response.body.text().catch(() => '');
    let body: { message?: string; code?: string; name?: string; version?: string; integrity?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // An answer that is not JSON is reported by status below.
    }
    if (response.statusCode === 201) return body as { name: string; version: string; integrity: string };
    const code =
      response.statusCode === 409
        ? 'KADENDE_ERR_REGISTRY_VERSION_EXISTS'
        : response.statusCode === 401 || response.statusCode === 403
          ? 'KADENDE_ERR_REGISTRY_UNAUTHORIZED'
          : 'KADENDE_ERR_REGISTRY_PUBLISH';
    throw kadendeError(code, `registry ${this.base} refused ${name}: ${response.statusCode} ${body.message ?? text.slice(0, 200)}`);
  }
}
