// The host's checks of a plugin's answers (pool.ts): the contract's schemas with the host's own
// date-time check (one regex, field by field, instead of ajv-formats' full check).
import { describe, expect, it } from 'vitest';
import { hostContractValidators } from './pool.js';

const answer = (createdAt: string) => ({ resources: [{ id: 'i-1', status: 'active', tags: {}, createdAt }] });

describe('hostContractValidators', () => {
  const validators = hostContractValidators();

  it.each(['2026-01-01T00:00:00Z', '2026-12-31T23:59:59.123456Z', '2026-06-01t10:00:00+02:00', '2026-06-01 10:00:00-0530', '2024-02-29T00:00:00z'])(
    'takes the RFC 3339 date-time %s, and Date reads it',
    (createdAt) => {
      expect(validators.response('describe', answer(createdAt))).toEqual([]);
      expect(Number.isNaN(Date.parse(createdAt))).toBe(false);
    },
  );

  it.each(['2026-13-01T00:00:00Z', '2026-01-32T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:60:00Z', '2026-01-01T00:00:00', '2026-01-01', 'yesterday', '2026-01-01T00:00:00Z trailing'])(
    'refuses %s, naming the field',
    (createdAt) => {
      expect(validators.response('describe', answer(createdAt))).toEqual(['/resources/0/createdAt: must match format "date-time"']);
    },
  );
});
