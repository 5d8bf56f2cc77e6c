import type { PostureCheck } from '../types.js';
import { ACCOUNT_CHECKS } from './accounts.js';
import { ENCRYPTION_FIRST_LOOK } from './encryption.js';
import { HARDENING_CHECKS } from './hardening.js';
import { KEY_CHECKS } from './keys.js';
import { LOG_CHECKS } from './logs.js';
import { TABLESPACE_CHECKS } from './tablespaces.js';
import { TRANSPORT_CHECKS, sessionEncrypted } from './transport.js';

/**
 * Every check, in the order they run and appear in JSON. The three things a DBA looks at first
 * lead: this session's cipher, the encryption variables, the key management plugin.
 */
export const CATALOGUE: readonly PostureCheck[] = [
  sessionEncrypted,
  ...ENCRYPTION_FIRST_LOOK,
  ...TRANSPORT_CHECKS,
  ...TABLESPACE_CHECKS,
  ...ACCOUNT_CHECKS,
  ...LOG_CHECKS,
  ...KEY_CHECKS,
  ...HARDENING_CHECKS,
];
