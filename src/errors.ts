/**
 * Base class of every error that mariadb-tdx raises on purpose.
 *
 * `code` is stable and meant for programs. `message` names the value that failed, and `hint`
 * tells the user what to do next. Neither contains key material, passwords or SQL parameters.
 */
export class MariadbTdxError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** Invalid command-line input, option values or state-directory contents. */
export type ConfigErrorCode =
  | 'INVALID_OPTION'
  | 'STATE_DIR_FOREIGN'
  | 'STATE_DIR_INVALID'
  | 'STATE_DIR_MISSING'
  | 'STATE_DIR_NOT_EMPTY'
  | 'STATE_DIR_NOT_DIRECTORY'
  | 'UNSAFE_PERMISSIONS'
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'INPUT_TOO_LARGE'
  | 'UNSUPPORTED_PLATFORM';

export class ConfigError extends MariadbTdxError {
  declare readonly code: ConfigErrorCode;

  constructor(
    code: ConfigErrorCode,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Missing, malformed or mismatching database encryption keys. */
export type KeyErrorCode =
  | 'KEY_FILE_MISSING'
  | 'KEY_FILE_INVALID'
  | 'KEY_FILE_PERMISSIONS'
  | 'KEY_CHECK_MISMATCH'
  | 'KEY_CHECK_MISSING'
  | 'KEY_CHECK_INVALID'
  | 'KEY_EXISTS'
  | 'FILEKEY_MISSING'
  | 'FILEKEY_INVALID'
  | 'FILEKEY_WRONG';

export class KeyError extends MariadbTdxError {
  declare readonly code: KeyErrorCode;

  constructor(code: KeyErrorCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(code, message, options);
  }
}

/** Failures of the local MariaDB server: binaries, start, stop. */
export type ServerErrorCode =
  | 'MARIADBD_NOT_FOUND'
  | 'INSTALL_DB_FAILED'
  | 'BOOTSTRAP_FAILED'
  | 'PORT_IN_USE'
  | 'START_FAILED'
  | 'START_TIMEOUT'
  | 'STOP_TIMEOUT'
  | 'NOT_RUNNING'
  | 'ALREADY_RUNNING'
  | 'STATE_DIR_BUSY'
  | 'INTERRUPTED'
  | 'PID_MISMATCH';

export class ServerError extends MariadbTdxError {
  declare readonly code: ServerErrorCode;

  constructor(
    code: ServerErrorCode,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Failures to connect to or query a MariaDB server. */
export type DatabaseErrorCode =
  | 'CONNECTION_REFUSED'
  | 'CONNECTION_TIMEOUT'
  | 'HOST_UNREACHABLE'
  | 'TLS_VERIFY_FAILED'
  | 'TLS_UNAVAILABLE'
  | 'ACCESS_DENIED'
  | 'QUERY_FAILED';

export class DatabaseError extends MariadbTdxError {
  declare readonly code: DatabaseErrorCode;

  constructor(
    code: DatabaseErrorCode,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Problems with the sample data sets. */
export type DatasetErrorCode = 'DATASET_EXISTS' | 'DATASET_UNKNOWN' | 'DATASET_TOO_LARGE';

export class DatasetError extends MariadbTdxError {
  declare readonly code: DatasetErrorCode;

  constructor(
    code: DatasetErrorCode,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(code, message, options);
  }
}
