/** Recognising JetStream's refusals, shared by the NATS store, its outbox and its leases. */
import { JetStreamApiError } from '@nats-io/jetstream';

/** JetStream API error code of a failed expectation (wrong last sequence, key exists, wrong revision). */
export const NATS_CONFLICT = 10071;

export function isConflict(error: unknown): boolean {
  if (error instanceof JetStreamApiError) return error.code === NATS_CONFLICT;
  const e = error as { api_error?: { err_code?: number }; code?: unknown; message?: string } | undefined;
  return e?.api_error?.err_code === NATS_CONFLICT || /wrong last sequence|key exists|wrong last msg/i.test(e?.message ?? '');
}
