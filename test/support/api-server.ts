/** The daemon's API on 127.0.0.1, on a free port, for tests that call it over real HTTP. */
import { pino } from 'pino';
import { buildApi, type Api, type ApiOptions } from '../../host/api/server.js';
import { afterAll, beforeAll } from 'vitest';
import { openTestService, type TestService } from './service.js';

export async function listenApi(t: TestService, token: string, options: Partial<ApiOptions> = {}): Promise<{ api: Api; base: string }> {
  const api = await buildApi({ service: t.service, feed: t.store.feed, token, logger: pino({ level: 'silent' }), ...options });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  return { api, base: `http://127.0.0.1:${(api.app.server.address() as { port: number }).port}` };
}

/** A test service and its API for a whole describe block: opened before its tests, closed after. */
export function useTestApi(token: string): { t: TestService; api: Api; base: string } {
  const handle = {} as { t: TestService; api: Api; base: string };
  beforeAll(async () => {
    handle.t = await openTestService();
    Object.assign(handle, await listenApi(handle.t, token));
  });
  afterAll(async () => {
    await handle.api?.app.close();
    await handle.t?.close();
  });
  return handle;
}
