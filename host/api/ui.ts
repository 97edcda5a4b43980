/**
 * Serves the web UI (host/api/ui: one page, its ES modules, one stylesheet) at
 * /ui/. The files hold no data, so they need no token; the page asks for one
 * and sends it with every API call. A fixed handful of files does not warrant
 * a static file server plugin: they are read once at start.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import type { FastifyInstance } from 'fastify';

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'chart.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'events.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** The UI's files stay in the source tree: tsc does not copy them into dist/. */
const uiDir = () => join(PROJECT_ROOT, 'host/api/ui');

export function isUiPath(url: string): boolean {
  return url === '/' || url === '/ui' || url.startsWith('/ui/');
}

export function registerUi(app: FastifyInstance): void {
  const dir = uiDir();
  const content = Object.fromEntries(Object.keys(FILES).map((name) => [name, readFileSync(join(dir, name))]));
  const headers = { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
  app.get('/', async (_request, reply) => reply.redirect('/ui/'));
  app.get('/ui', async (_request, reply) => reply.redirect('/ui/'));
  app.get<{ Params: { file?: string } }>('/ui/:file', async (request, reply) => {
    const name = request.params.file || 'index.html';
    const type = FILES[name];
    if (!type) return reply.status(404).send({ error: { code: 'KADENDE_ERR_NOT_FOUND', message: `no UI file ${name}` } });
    return reply
      .headers({ ...headers, 'content-type': type, 'content-security-policy': "default-src 'self'; object-src 'none'; base-uri 'none'" })
      .send(content[name]);
  });
  app.get('/ui/', async (_request, reply) =>
    reply.headers({ ...headers, 'content-type': FILES['index.html']!, 'content-security-policy': "default-src 'self'; object-src 'none'; base-uri 'none'" }).send(content['index.html']),
  );
}
