import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { z } from 'zod';
import { BrokerError, type BrokerErrorCode } from '../errors.js';
import { PROBLEM_TYPE_PREFIX, type Problem } from '../protocol.js';

/** A refusal that carries the individual reasons (verifier or policy codes) behind its code. */
export class RefusalError extends BrokerError {
  readonly reasons: readonly string[];

  constructor(
    code: BrokerErrorCode,
    message: string,
    reasons: readonly string[],
    options?: { hint?: string },
  ) {
    super(code, message, options);
    this.reasons = reasons;
  }
}

// Known failures and their HTTP status. Anything not listed is a server fault: a bare 500.
const STATUS_BY_CODE: Partial<Record<BrokerErrorCode, number>> = {
  MALFORMED_REQUEST: 400,
  UNSUPPORTED_VERSION: 400,
  UNSUPPORTED_TEE: 400,
  UNSUPPORTED_KEY: 400,
  UNSUPPORTED_EVIDENCE: 400,
  SESSION_MISSING: 401,
  SESSION_UNKNOWN: 401,
  SESSION_EVICTED: 401,
  NONCE_MISMATCH: 401,
  NONCE_EXPIRED: 401,
  NONCE_REUSED: 401,
  TOKEN_INVALID: 401,
  NOT_ATTESTED: 401,
  QUOTE_INVALID: 403,
  REPORT_DATA_MISMATCH: 403,
  POLICY_REJECTED: 403,
  NOT_FOUND: 404,
  RESOURCE_NOT_FOUND: 404,
  KEYSET_NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  SESSIONS_EXHAUSTED: 503,
};

const audited = new WeakSet<object>();

/** Records that a handler wrote the audit line of this failure, so it is not written twice. */
export function markAudited(error: unknown) {
  if (typeof error === 'object' && error !== null) audited.add(error);
}

/** True when a handler already wrote the audit line of this failure. */
export function isAudited(error: unknown): boolean {
  return typeof error === 'object' && error !== null && audited.has(error);
}

/** HTTP status of a known failure, or undefined when the error is a server fault. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof BrokerError ? STATUS_BY_CODE[error.code] : undefined;
}

/** Builds the problem document of a known failure; its message never quotes request bytes. */
export function problemOf(error: BrokerError, status: number): Problem & { reasons?: string[] } {
  return {
    type: `${PROBLEM_TYPE_PREFIX}${error.code}`,
    title: error.code,
    status,
    detail: error.hint ? `${error.message}; ${error.hint}` : error.message,
    code: error.code,
    ...(error instanceof RefusalError ? { reasons: [...error.reasons] } : {}),
  };
}

/** Address of the TCP peer, or undefined for requests made in process (tests). */
export function clientAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/**
 * Reads and validates a JSON body. Errors name the failing JSON path but never echo input,
 * because Node's own JSON.parse messages quote the bytes around the error.
 */
export async function readJsonBody<Schema extends z.ZodType>(
  c: Context,
  schema: Schema,
): Promise<z.infer<Schema>> {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(?:;|$)/i.test(contentType)) {
    throw new BrokerError('UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json');
  }

  let value: unknown;
  try {
    value = JSON.parse(await c.req.text());
  } catch {
    throw new BrokerError('MALFORMED_REQUEST', 'the request body is not valid JSON');
  }

  const result = schema.safeParse(value);
  if (!result.success) {
    const paths = result.error.issues.map((issue) => issue.path.join('.') || '(root)');
    throw new BrokerError(
      'MALFORMED_REQUEST',
      `the request body does not match the protocol at ${[...new Set(paths)].slice(0, 5).join(', ')}`,
    );
  }
  return result.data;
}
