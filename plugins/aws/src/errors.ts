/**
 * EC2 failures sorted into what the host can act on. Every error the plugin
 * throws carries a stable `code` (AWS_ERR_*) and keeps EC2's own message and
 * error code (`providerCode`), so an operator sees what AWS said.
 */
import { CONNECTION_ERROR_CODES, PluginError, THROTTLED_ERROR_CODE, type RetryPolicy } from '@kadende/plugin-sdk';

export type AwsErrorCode =
  | 'AWS_ERR_AUTH' // credentials missing, wrong, expired or not allowed
  | 'AWS_ERR_VALIDATION' // EC2 refused the request as written (bad parameter, unknown image, ...)
  | 'AWS_ERR_CONFIG' // the plugin cannot build a request (no region, no credentials)
  | 'AWS_ERR_IMAGE_NOT_FOUND' // a friendly image name matched no AMI
  | typeof THROTTLED_ERROR_CODE // still throttled when the deadline came near (the SDK's code, for the host)
  | 'AWS_ERR_UNAVAILABLE' // 5xx or dropped connections until the deadline came near
  | 'AWS_ERR_TIMEOUT'; // the call's deadline passed

export class AwsPluginError extends PluginError<AwsErrorCode> {
  override readonly name = 'AwsPluginError';
}

const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'EC2ThrottledException',
  'SlowDown',
]);

const AUTH = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredToken',
  'RequestExpired',
  'OptInRequired',
  'Blocked',
  'CredentialsProviderError',
]);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

const asSdk = (error: unknown): SdkError => (typeof error === 'object' && error !== null ? (error as SdkError) : {});

export function isThrottling(error: unknown): boolean {
  return THROTTLING.has(asSdk(error).name ?? '');
}

export function isNetwork(error: unknown): boolean {
  const e = asSdk(error);
  return e.$metadata?.httpStatusCode === undefined && (CONNECTION_ERROR_CODES.has(e.code ?? '') || e.name === 'TimeoutError');
}

export function isServerError(error: unknown): boolean {
  const status = asSdk(error).$metadata?.httpStatusCode;
  return status !== undefined && status >= 500 && !AUTH.has(asSdk(error).name ?? '');
}

export function retryable(error: unknown): boolean {
  return isThrottling(error) || isServerError(error) || isNetwork(error);
}

/** EC2's answer for an instance id it does not know (delete treats that as done). */
export const NOT_FOUND = 'InvalidInstanceID.NotFound';

export function translate(error: unknown, signal?: AbortSignal): Error {
  if (error instanceof AwsPluginError) return error;
  const e = asSdk(error);
  const message = e.message ?? String(error);
  const name = e.name ?? 'Error';
  if (signal?.aborted) {
    return new AwsPluginError('AWS_ERR_TIMEOUT', `EC2 call did not finish before the deadline (last error: ${name}: ${message})`, name, { cause: error });
  }
  if (AUTH.has(name) || e.$metadata?.httpStatusCode === 401 || e.$metadata?.httpStatusCode === 403) {
    return new AwsPluginError('AWS_ERR_AUTH', `${name}: ${message}`, name, { cause: error });
  }
  if (isThrottling(error)) return new AwsPluginError(THROTTLED_ERROR_CODE, `${name}: ${message}`, name, { cause: error });
  if (isServerError(error) || isNetwork(error)) {
    return new AwsPluginError('AWS_ERR_UNAVAILABLE', `${name}: ${message}`, e.code ?? name, { cause: error });
  }
  if (e.$metadata?.httpStatusCode !== undefined) {
    return new AwsPluginError('AWS_ERR_VALIDATION', `${name}: ${message}`, name, { cause: error });
  }
  // Not an answer from EC2 at all: a bug or an unexpected local failure; keep it as it is.
  return error instanceof Error ? error : new Error(message);
}

/** How every EC2 call is retried (see withRetry in the SDK). */
export const RETRY: RetryPolicy = { isRetryable: retryable, translate };
