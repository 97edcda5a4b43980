/**
 * Optimistic concurrency for applies and deletes (RFC 9110 13.1): a cluster's
 * ETag names its configuration's version, and `If-Match` / `If-None-Match: *`
 * become a precondition the service checks under the cluster's write lock,
 * right before it writes, so no other apply or delete of this daemon comes
 * between the check and the write. (With the NATS store, a write from another
 * host this one has not seen yet is refused by the journal's expected
 * sequence: KADENDE_ERR_STORE_CONFLICT, nothing written.)
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ClusterRecord } from '../../model/index.js';
import { kadendeError } from '../../errors/index.js';

/**
 * `"<generation>-<incarnation>"`: a new ETag with every applied change, and a different one for a
 * cluster deleted and made again under the same id (its generation starts at 1 again).
 */
export function clusterEtag(cluster: ClusterRecord): string {
  const incarnation = createHash('sha256').update(`${cluster.id}\n${cluster.createdAt}`).digest('base64url').slice(0, 10);
  return `"${cluster.generation}-${incarnation}"`;
}

/** The cluster as the API shows it: the record, with its generation under `metadata` too. */
export function clusterView(cluster: ClusterRecord): ClusterRecord & { metadata: { generation: number } } {
  return { ...cluster, metadata: { generation: cluster.generation } };
}

const ENTITY_TAG = /^(W\/)?"[\x21\x23-\x7e]*"$/;

/** `*`, or the entity tags of a list (weak ones kept with their `W/`); a malformed list is refused. */
function entityTags(header: string, name: string): '*' | string[] {
  const tags = header.split(',').map((tag) => tag.trim()).filter(Boolean);
  if (tags.length === 1 && tags[0] === '*') return '*';
  const bad = tags.find((tag) => !ENTITY_TAG.test(tag));
  if (bad !== undefined || tags.length === 0) {
    throw kadendeError('KADENDE_ERR_REQUEST_INVALID', `${name} takes * or entity tags such as "3-AbCdEfGhIj" (as ETag gave them), got ${JSON.stringify(header.slice(0, 200))}`);
  }
  return tags;
}

const failed = (message: string) => kadendeError('KADENDE_ERR_PRECONDITION_FAILED', message);

/** The precondition of a request's If-Match / If-None-Match on the cluster it writes, or undefined when it sends neither. */
export function clusterPrecondition(headers: IncomingHttpHeaders): ((current: ClusterRecord | undefined) => void) | undefined {
  const ifMatch = headers['if-match'] === undefined ? undefined : entityTags(headers['if-match'], 'If-Match');
  const ifNoneMatch = headers['if-none-match'] === undefined ? undefined : entityTags(headers['if-none-match'], 'If-None-Match');
  if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
  const said = (tags: '*' | string[]) => (tags === '*' ? '*' : tags.join(', '));
  return (current) => {
    const etag = current && clusterEtag(current);
    // If-Match compares strongly: a weak tag never matches.
    if (ifMatch !== undefined && !(etag && (ifMatch === '*' || ifMatch.includes(etag)))) {
      throw failed(
        current
          ? `cluster ${current.name} is at ETag ${etag} (generation ${current.generation}), not ${said(ifMatch)}: it changed since it was read; read it again and resend with its ETag`
          : `If-Match asks for a cluster that does not exist (${said(ifMatch)})`,
      );
    }
    // If-None-Match compares weakly.
    const weak = (tag: string) => tag.replace(/^W\//, '');
    if (ifNoneMatch !== undefined && etag && (ifNoneMatch === '*' || ifNoneMatch.map(weak).includes(etag))) {
      throw failed(`cluster ${current!.name} exists (ETag ${etag}), and If-None-Match: ${said(ifNoneMatch)} asks that it does not`);
    }
  };
}
