// Talking to the daemon: the bearer token (kept in this tab's sessionStorage), JSON errors, and the
// events list in either of its shapes.

const TOKEN_KEY = 'kadende.token';

export class Unauthorized extends Error {}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
};

export const enc = encodeURIComponent;

export function authorized(init = {}) {
  return { ...init, headers: { authorization: `Bearer ${token.get()}`, ...(init.headers ?? {}) } };
}

/** The parsed JSON body and the response; a 401 throws Unauthorized, another error status an Error with the daemon's message. */
export async function request(path, init = {}) {
  const response = await fetch(path, authorized(init));
  if (response.status === 401) throw new Unauthorized('the token was refused');
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new Error(body?.error?.message ?? `${response.status} ${response.statusText}`);
  return { response, body };
}

export async function api(path, init = {}) {
  return (await request(path, init)).body;
}

/**
 * A page of events: `{ events, next }` (application/json), or a bare array of CloudEvents
 * (application/cloudevents-batch+json). The content type says which; the body's shape decides
 * when a server mislabels it.
 */
export async function listEvents(path) {
  const { response, body } = await request(path, { headers: { accept: 'application/cloudevents-batch+json, application/json' } });
  const batch = (response.headers.get('content-type') ?? '').includes('cloudevents-batch');
  if (Array.isArray(body)) return body;
  if (!batch && Array.isArray(body?.events)) return body.events;
  throw new Error(`the events list came in a shape this page does not know (${response.headers.get('content-type') ?? 'no content type'})`);
}
