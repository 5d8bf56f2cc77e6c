import { createHash, randomInt } from 'node:crypto';

// Character classes that simple_password_check requires by default (a digit, an upper-case
// and a lower-case letter, a special character). The special characters avoid quotes, `#`,
// `\` and spaces so the password can stand unquoted in an option file.
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const SPECIAL = '-_.+=@%:,';

/** Generates a random password of `length` characters with every character class present. */
export function generatePassword(length = 32): string {
  const classes = [LOWER, UPPER, DIGITS, SPECIAL];
  const all = classes.join('');
  const chars = classes.map((set) => set[randomInt(set.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);

  // Fisher-Yates shuffle so the guaranteed characters do not sit at fixed positions.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/** Matches a mysql_native_password hash as {@link nativePasswordHash} writes it. */
export const NATIVE_PASSWORD_HASH_PATTERN = /^\*[0-9A-F]{40}$/;

/** Computes the mysql_native_password hash `*HEX(SHA1(SHA1(password)))`. */
export function nativePasswordHash(password: string): string {
  const inner = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(inner).digest('hex').toUpperCase()}`;
}

/** Quotes a string literal for MariaDB SQL. Only for values that are not secret. */
export function quoteSqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Host names an admin account is created for: TCP over IPv4 and IPv6 loopback. */
export const ADMIN_HOSTS = ['127.0.0.1', '::1'] as const;

/**
 * SQL that creates an administrator who must connect with TLS, unless `requireTls` is false
 * (only for servers without TLS, such as benchmark baselines). It carries only the password
 * hash, so the statement can be run in bootstrap mode without the password reaching any file.
 * The password never expires, because it is a generated random secret that mariadb-tdx reads
 * from a file, so default_password_lifetime would only lock the tool out.
 */
export function adminAccountSql(
  user: string,
  passwordHash: string,
  requireTls = true,
  hosts: readonly string[] = ADMIN_HOSTS,
): string {
  const statements = ['FLUSH PRIVILEGES;'];
  const require = requireTls ? ' REQUIRE SSL' : '';
  for (const host of hosts) {
    const account = `${quoteSqlString(user)}@${quoteSqlString(host)}`;
    statements.push(
      `CREATE USER ${account} IDENTIFIED BY PASSWORD ${quoteSqlString(passwordHash)}${require} PASSWORD EXPIRE NEVER;`,
      `GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION;`,
    );
  }
  return `${statements.join('\n')}\n`;
}
