import { ConfigError } from '../errors.js';
import { adminAccountSql, NATIVE_PASSWORD_HASH_PATTERN } from '../mariadb/accounts.js';

/** An administrator account reached over the network, given by its password hash. */
export interface RemoteAdminAccount {
  readonly user: string;
  readonly host: string;
  /** mysql_native_password hash (`*` and 40 hex digits). */
  readonly passwordHash: string;
}

/** Rejects account names, host patterns and hashes that are not safe to put into SQL. */
export function validateRemoteAdmins(accounts: readonly RemoteAdminAccount[]) {
  for (const account of accounts) {
    const userValid = /^[A-Za-z0-9_]{1,32}$/.test(account.user);
    const hostValid = /^[A-Za-z0-9_.:%-]{1,255}$/.test(account.host);
    if (!userValid || !hostValid) {
      throw new ConfigError(
        'INVALID_OPTION',
        `remote administrator ${JSON.stringify(`${account.user}@${account.host}`)} is not USER@HOST`,
        { hint: 'use letters, digits and _ for the user, and an address or host pattern' },
      );
    }
    if (!NATIVE_PASSWORD_HASH_PATTERN.test(account.passwordHash)) {
      throw new ConfigError(
        'INVALID_OPTION',
        `the password hash of ${account.user}@${account.host} is not a mysql_native_password hash`,
        { hint: "expected '*' and 40 upper-case hex digits, as SELECT PASSWORD('...') prints" },
      );
    }
  }
}

/** SQL that creates the remote administrators, each for its one host. */
export function remoteAdminSql(
  accounts: readonly RemoteAdminAccount[],
  requireTls: boolean,
): string {
  return accounts
    .map((account) =>
      adminAccountSql(account.user, account.passwordHash, requireTls, [account.host]),
    )
    .join('');
}
