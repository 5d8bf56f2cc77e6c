import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { BrokerError } from '../../errors.js';
import { AttestationSchema, SESSION_COOKIE, type Attestation } from '../../protocol.js';
import { expectedReportData } from '../../runtime-data.js';
import { checkTeePublicKey } from '../../tee-key.js';
import type { Appraisal } from '../appraisal.js';
import type { BrokerContext } from '../context.js';
import { MAX_QUOTE_BYTES } from '../context.js';
import { RefusalError, clientAddress, markAudited, readJsonBody } from '../http.js';
import { nonceExpired, type Session } from '../sessions.js';

/** `POST /kbs/v0/attest`: appraises the quote and, when it passes, returns a token. */
export async function handleAttest(c: Context, broker: BrokerContext) {
  const session = requireSession(c, broker);
  const audit = { event: 'attest' as const, client: clientAddress(c), session: session.label };
  let appraisal: Appraisal | undefined;

  try {
    const attestation = await readJsonBody(c, AttestationSchema);
    checkEvidenceShape(attestation);
    const runtimeData = attestation['runtime-data'];
    const teePubkey = await checkTeePublicKey(runtimeData['tee-pubkey']);
    broker.sessions.spendNonce(session, runtimeData.nonce);

    appraisal = await broker.appraiser(decodeQuote(attestation));
    checkAppraisal(appraisal, attestation);

    const claims = {
      ...appraisal.claims,
      tcbStatus: appraisal.tcbStatus,
      simulated: appraisal.simulated,
    };
    const expiresAt = broker.sessions.markAttested(session, teePubkey, claims);
    const token = await broker.tokens.issue(teePubkey, claims, expiresAt);
    broker.audit({ ...audit, decision: 'accepted', ...appraisalFacts(appraisal) });
    return c.json({ token });
  } catch (error) {
    if (error instanceof BrokerError) {
      const reasons = error instanceof RefusalError ? error.reasons : undefined;
      broker.audit({
        ...audit,
        decision: 'rejected',
        code: error.code,
        reasons,
        ...appraisalFacts(appraisal),
      });
    }
    markAudited(error);
    throw error;
  }
}

/**
 * Finds the session named by the cookie; refuses a request without a usable one. A session that
 * ended recently is refused with the reason it ended.
 */
export function requireSession(c: Context, broker: BrokerContext): Session {
  const id = getCookie(c, SESSION_COOKIE);
  if (id === undefined) {
    throw new BrokerError('SESSION_MISSING', `the request has no ${SESSION_COOKIE} cookie`, {
      hint: 'start with POST /kbs/v0/auth and send its cookie back',
    });
  }
  const session = broker.sessions.find(id);
  if (session) return session;

  const ended = broker.sessions.endOf(id);
  if (ended === 'nonce-expired') throw nonceExpired(undefined);
  if (ended === 'nonce-used') {
    throw new BrokerError('NONCE_REUSED', 'this session already used its nonce', {
      hint: 'start a new session with POST /kbs/v0/auth',
    });
  }
  if (ended === 'evicted') {
    throw new BrokerError('SESSION_EVICTED', 'the broker dropped this session to make room', {
      hint: 'start a new session with POST /kbs/v0/auth and attest promptly',
    });
  }
  throw new BrokerError('SESSION_UNKNOWN', 'the session cookie names no open session', {
    hint: 'sessions expire and do not survive a broker restart; start again with auth',
  });
}

function checkEvidenceShape(attestation: Attestation) {
  // NOTE: init-data (a TOML document whose digest is MRCONFIGID) and device evidence are not
  // appraised yet, so a request carrying them is refused rather than half-checked.
  if (attestation['init-data']) {
    throw new BrokerError('UNSUPPORTED_EVIDENCE', 'init-data is not supported by this broker', {
      hint: 'pin MRCONFIGID in the appraisal policy instead',
    });
  }
  if ((attestation['tee-evidence'].additional_evidence ?? '') !== '') {
    throw new BrokerError('UNSUPPORTED_EVIDENCE', 'additional (device) evidence is not supported', {
      hint: 'send an empty additional_evidence',
    });
  }
}

function decodeQuote(attestation: Attestation): Buffer {
  const text = attestation['tee-evidence'].primary_evidence.quote;
  const quote = Buffer.from(
    text,
    text.includes('-') || text.includes('_') ? 'base64url' : 'base64',
  );
  if (quote.length === 0 || quote.length > MAX_QUOTE_BYTES) {
    throw new BrokerError(
      'MALFORMED_REQUEST',
      `the quote is ${quote.length} bytes; a TDX quote is 1 to ${MAX_QUOTE_BYTES} bytes`,
    );
  }
  return quote;
}

/**
 * Refuses a quote that did not verify, whose REPORTDATA does not bind this session's nonce and
 * public key, or that the policy rejected, in that order. REPORTDATA is compared only after
 * verification, because until then it is attacker-supplied.
 */
function checkAppraisal(appraisal: Appraisal, attestation: Attestation) {
  const codes = appraisal.reasons.map((reason) => reason.code);
  if (!appraisal.verified || !appraisal.reportData) {
    throw new RefusalError(
      'QUOTE_INVALID',
      `the quote did not verify: ${describeReasons(appraisal)}`,
      codes,
    );
  }

  const runtimeData = attestation['runtime-data'];
  const expected = expectedReportData({
    nonce: runtimeData.nonce,
    teePubkey: runtimeData['tee-pubkey'],
    additionalEvidence: attestation['tee-evidence'].additional_evidence ?? '',
  });
  const actual = appraisal.reportData;
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new RefusalError(
      'REPORT_DATA_MISMATCH',
      'REPORTDATA is not SHA-384 of the runtime data (nonce and tee-pubkey) of this request',
      ['REPORT_DATA_MISMATCH'],
      { hint: 'bind the canonical runtime data into the quote, as trustee clients do' },
    );
  }

  if (!appraisal.accepted) {
    throw new RefusalError(
      'POLICY_REJECTED',
      `the policy rejected the TD: ${describeReasons(appraisal)}`,
      codes,
    );
  }
}

function describeReasons(appraisal: Appraisal): string {
  return appraisal.reasons.map((reason) => `${reason.code} (${reason.message})`).join('; ');
}

function appraisalFacts(appraisal: Appraisal | undefined) {
  if (!appraisal) return {};
  return { td: appraisal.claims, tcbStatus: appraisal.tcbStatus, simulated: appraisal.simulated };
}
