import { MariadbTdxError } from '../errors.js';

type ErrorOptions = { hint?: string; cause?: unknown };

/**
 * Failures of the key broker: its directory, key store and configuration, and every reason it
 * gives a client for a refused request. The codes are part of the HTTP API: a refused request
 * carries its code in the problem document.
 */
export type BrokerErrorCode =
  // Broker directory, configuration and key store.
  | 'BROKER_DIR_EXISTS'
  | 'BROKER_DIR_INVALID'
  | 'MASTER_KEY_INVALID'
  | 'MASTER_KEY_MISMATCH'
  | 'KEY_STORE_CORRUPT'
  | 'KEYSET_EXISTS'
  | 'KEYSET_NOT_FOUND'
  | 'KEY_NOT_FOUND'
  | 'KEY_VERSION_EXISTS'
  | 'KEY_DUPLICATE'
  | 'KEY_INVALID'
  | 'LISTEN_FAILED'
  // Request format.
  | 'MALFORMED_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNSUPPORTED_VERSION'
  | 'UNSUPPORTED_TEE'
  | 'UNSUPPORTED_KEY'
  | 'UNSUPPORTED_EVIDENCE'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  // Sessions and nonces.
  | 'SESSION_MISSING'
  | 'SESSION_UNKNOWN'
  | 'SESSION_EVICTED'
  | 'SESSIONS_EXHAUSTED'
  | 'TOO_MANY_REQUESTS'
  | 'NONCE_MISMATCH'
  | 'NONCE_EXPIRED'
  | 'NONCE_REUSED'
  | 'TOKEN_INVALID'
  | 'NOT_ATTESTED'
  // Appraisal.
  | 'QUOTE_INVALID'
  | 'REPORT_DATA_MISMATCH'
  | 'POLICY_REJECTED'
  | 'RESOURCE_NOT_FOUND';

export class BrokerError extends MariadbTdxError {
  declare readonly code: BrokerErrorCode;

  constructor(code: BrokerErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** A refusal that the client may retry after `retryAfterSeconds` (sent as Retry-After). */
export class RetryLaterError extends BrokerError {
  constructor(
    code: BrokerErrorCode,
    message: string,
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** Failures of the agent in the TD: evidence, the broker exchange, and key delivery. */
export type AgentErrorCode =
  | 'KBS_UNREACHABLE'
  | 'KBS_TLS_FAILED'
  | 'KBS_REJECTED'
  | 'KBS_RESPONSE_INVALID'
  | 'KEY_DIR_NOT_RAM'
  | 'KEY_CHECK_MISMATCH'
  | 'KEY_MISSING'
  | 'VAULT_LISTEN_FAILED'
  | 'AGENT_START_FAILED';

export class AgentError extends MariadbTdxError {
  declare readonly code: AgentErrorCode;
  /** The broker's reason code when the broker refused a request. */
  readonly reason: string | undefined;

  constructor(
    code: AgentErrorCode,
    message: string,
    options: ErrorOptions & { reason?: string } = {},
  ) {
    super(code, message, options);
    this.reason = options.reason;
  }
}
