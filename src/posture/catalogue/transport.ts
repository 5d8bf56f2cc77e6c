import { TLS12_CIPHERS } from '../../mariadb/profile.js';
import {
  LOCAL_HOSTS_SQL,
  isOn,
  listAccounts,
  listNames,
  nameValueMap,
  switchCheck,
  variableCheck,
} from '../rules.js';
import type { PostureCheck, Verdict } from '../types.js';
import { versionAtLeast } from '../version.js';
import { replicationTls } from './replication.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate that expires within this many days is reported with a warning. */
export const CERTIFICATE_WARNING_DAYS = 30;

export const sessionEncrypted: PostureCheck = {
  id: 'T01',
  group: 'transport',
  title: 'this session is encrypted',
  severity: 'critical',
  sql: "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_version', 'Ssl_cipher')",
  expected: 'Ssl_cipher set, Ssl_version TLSv1.2 or TLSv1.3',
  advice:
    'connect with TLS and verify the server certificate, for example ' +
    'mariadb --ssl-ca=ca.pem --ssl-verify-server-cert',
  risk: 'statements, results and the login exchange cross the network in clear',
  baseline: 'required',
  evaluate: (rows) => {
    const status = nameValueMap(rows);
    const cipher = status.get('ssl_cipher') ?? '';
    const version = status.get('ssl_version') ?? '';
    if (cipher === '') return { status: 'fail', observed: 'not encrypted (Ssl_cipher is empty)' };
    if (!['TLSv1.2', 'TLSv1.3'].includes(version)) {
      return { status: 'fail', observed: `${version} ${cipher}` };
    }
    return { status: 'pass', observed: `${version} ${cipher}` };
  },
};

export const tlsAvailable = variableCheck({
  id: 'T02',
  group: 'transport',
  title: 'TLS is available',
  severity: 'critical',
  variables: ['have_ssl'],
  expected: 'have_ssl=YES',
  advice: 'set ssl_cert and ssl_key (and ssl_ca) under [mariadbd] and restart',
  risk: 'no client can encrypt its connection',
  baseline: 'required',
  judge: (values) => {
    const value = values.get('have_ssl') ?? '';
    return { status: value === 'YES' ? 'pass' : 'fail', observed: `have_ssl=${value}` };
  },
});

export const tlsRequired = switchCheck({
  id: 'T03',
  group: 'transport',
  title: 'TLS is required for every TCP connection',
  severity: 'high',
  variable: 'require_secure_transport',
  expected: 'require_secure_transport=ON',
  advice:
    'SET GLOBAL require_secure_transport=ON, and require_secure_transport=ON under [mariadbd]',
  risk: 'a client that does not ask for TLS, or a downgrading man-in-the-middle, talks in clear',
  baseline: 'open',
});

const OLD_TLS_VERSIONS = ['TLSv1.0', 'TLSv1.1'];

export const tlsVersions = variableCheck({
  id: 'T04',
  group: 'transport',
  title: 'TLSv1.0 and TLSv1.1 are disabled',
  severity: 'high',
  variables: ['tls_version'],
  expected: 'tls_version without TLSv1.0 and TLSv1.1',
  advice: 'tls_version=TLSv1.2,TLSv1.3 under [mariadbd] and restart (the variable is read-only)',
  risk: 'protocol versions with known weaknesses can be negotiated',
  baseline: 'open',
  judge: (values) => {
    const value = values.get('tls_version') ?? '';
    const old = value.split(',').filter((version) => OLD_TLS_VERSIONS.includes(version.trim()));
    return { status: old.length === 0 ? 'pass' : 'fail', observed: `tls_version=${value}` };
  },
});

/** True for a TLSv1.2 suite with ephemeral key exchange and an AEAD cipher. */
export function isStrongTls12Suite(name: string): boolean {
  const forwardSecret = /^(ECDHE|DHE)-/.test(name);
  const aead = /(GCM|CHACHA20|CCM)/.test(name);
  return forwardSecret && aead;
}

export const cipherSuites: PostureCheck = {
  id: 'T05',
  group: 'transport',
  title: 'TLSv1.2 cipher suites have forward secrecy and AEAD',
  severity: 'medium',
  sql:
    "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER_LIST' " +
    "UNION ALL SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES WHERE VARIABLE_NAME = 'TLS_VERSION'",
  expected: 'only ECDHE or DHE suites with GCM or ChaCha20-Poly1305 in Ssl_cipher_list',
  advice: `ssl_cipher=${TLS12_CIPHERS.join(':')} under [mariadbd] and restart`,
  risk: 'suites without forward secrecy let a stolen server key decrypt recorded sessions',
  baseline: 'open',
  evaluate: (rows) => {
    const values = nameValueMap(rows);
    const list = values.get('ssl_cipher_list') ?? '';
    if (list === '') {
      return {
        status: 'not_applicable',
        observed: 'this session is not encrypted, so the server shows no cipher list',
      };
    }
    const versions = (values.get('tls_version') ?? '').split(',').map((v) => v.trim());
    if (!versions.some((version) => ['TLSv1.2', ...OLD_TLS_VERSIONS].includes(version))) {
      return { status: 'pass', observed: 'only TLSv1.3 is enabled' };
    }

    // TLSv1.3 suites (TLS_AES_…, TLS_CHACHA20_…) are all AEAD with ephemeral key exchange.
    const tls12 = list.split(':').filter((suite) => suite !== '' && !suite.startsWith('TLS_'));
    const weak = tls12.filter((suite) => !isStrongTls12Suite(suite));
    return weak.length === 0
      ? { status: 'pass', observed: `${tls12.length} TLSv1.2 suites, all ECDHE/DHE with AEAD` }
      : { status: 'fail', observed: `${weak.length} weak suites offered: ${listNames(weak)}` };
  },
};

// OpenSSL prints certificate times as `Mar  8 16:34:38 2029 GMT` (ASN1_TIME_print).
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses an OpenSSL certificate time, or returns undefined when it has another form. */
export function parseOpensslTime(text: string): Date | undefined {
  const match = /^([A-Z][a-z]{2})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(
    text.trim(),
  );
  if (!match) return undefined;
  const month = MONTHS.indexOf(match[1]!);
  if (month < 0) return undefined;
  const [day, hours, minutes, seconds, year] = match.slice(2).map(Number) as number[];
  return new Date(Date.UTC(year!, month, day, hours, minutes, seconds));
}

function judgeCertificate(notBefore: Date, notAfter: Date, now: Date): Verdict {
  const until = notAfter.toISOString().slice(0, 10);
  const days = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  if (notBefore.getTime() > now.getTime()) {
    return {
      status: 'fail',
      observed: `not valid before ${notBefore.toISOString().slice(0, 10)}`,
    };
  }
  if (notAfter.getTime() <= now.getTime()) {
    return { status: 'fail', observed: `expired on ${until}` };
  }
  if (days < CERTIFICATE_WARNING_DAYS) {
    return { status: 'warn', observed: `expires on ${until} (in ${days} days)` };
  }
  return { status: 'pass', observed: `valid until ${until} (${days} days)` };
}

export const certificateValidity: PostureCheck = {
  id: 'T06',
  group: 'transport',
  title: `server certificate is valid for ${CERTIFICATE_WARNING_DAYS} days or more`,
  severity: 'high',
  sql:
    'SHOW SESSION STATUS WHERE Variable_name IN ' +
    "('Ssl_cipher', 'Ssl_server_not_before', 'Ssl_server_not_after')",
  expected: `Ssl_server_not_after more than ${CERTIFICATE_WARNING_DAYS} days ahead`,
  advice:
    'issue a new server certificate, replace the files named by ssl_cert and ssl_key, ' +
    'then run FLUSH SSL',
  risk: 'clients that verify the certificate stop connecting when it expires',
  baseline: 'required',
  evaluate: (rows, context) => {
    const status = nameValueMap(rows);
    if ((status.get('ssl_cipher') ?? '') === '') {
      return {
        status: 'not_applicable',
        observed: 'this session is not encrypted, so the server shows no certificate',
      };
    }
    const notAfterText = status.get('ssl_server_not_after') ?? '';
    if (notAfterText === '') {
      return { status: 'not_applicable', observed: 'the server has no certificate loaded' };
    }
    const notAfter = parseOpensslTime(notAfterText);
    const notBefore = parseOpensslTime(status.get('ssl_server_not_before') ?? '') ?? new Date(0);
    if (!notAfter) return { status: 'warn', observed: `unreadable date "${notAfterText}"` };
    return judgeCertificate(notBefore, notAfter, context.now);
  },
};

export const remoteAccountsWithoutTls: PostureCheck = {
  id: 'T07',
  group: 'transport',
  title: 'remote accounts require TLS',
  severity: 'high',
  // require_secure_transport arrived in 10.5.2; before it, nothing enforced TLS server-wide.
  sql: (version) =>
    `SELECT User, Host, ${versionAtLeast(version, 10, 5, 2) ? '@@require_secure_transport' : '0'} ` +
    `AS require_secure_transport FROM mysql.user WHERE is_role = 'N' AND ssl_type = '' ` +
    `AND Host NOT IN ${LOCAL_HOSTS_SQL}`,
  expected: 'every account outside the local host has REQUIRE SSL or X509',
  advice: "ALTER USER 'user'@'host' REQUIRE SSL for each account listed (or REQUIRE X509)",
  risk: 'these accounts may log in over plain TCP whenever the server does not require TLS',
  baseline: 'open',
  evaluate: (rows) => {
    if (rows.length === 0) return { status: 'pass', observed: 'none' };
    // With require_secure_transport on, the server already rejects plain TCP; the per-account
    // requirement is the second line of defence if that setting is ever turned off.
    const enforced = isOn(String(rows[0]?.require_secure_transport ?? ''));
    return {
      status: enforced ? 'warn' : 'fail',
      observed: `${listAccounts(rows)}${enforced ? ' (require_secure_transport is ON)' : ''}`,
    };
  },
};

export const TRANSPORT_CHECKS: readonly PostureCheck[] = [
  tlsAvailable,
  tlsRequired,
  tlsVersions,
  cipherSuites,
  certificateValidity,
  remoteAccountsWithoutTls,
  replicationTls,
];
