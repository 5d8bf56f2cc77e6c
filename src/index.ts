// Public library surface of mariadb-tdx. Each layer adds its exports here by name.

export {
  MariadbTdxError,
  ConfigError,
  KeyError,
  ServerError,
  DatabaseError,
  DatasetError,
} from './errors.js';
export type {
  ConfigErrorCode,
  KeyErrorCode,
  ServerErrorCode,
  DatabaseErrorCode,
  DatasetErrorCode,
} from './errors.js';

// mariadb/: key material, TLS material, option files, connections.
export {
  generateKeyRing,
  formatKeyFile,
  parseKeyFile,
  encryptKeyFile,
  decryptKeyFile,
  computeKeyCheckValue,
} from './mariadb/keys.js';
export type { KeyRing } from './mariadb/keys.js';
export { generateTlsMaterial, summarizeCertificate } from './mariadb/tls.js';
export type { TlsMaterial, TlsMaterialOptions, CertificateSummary } from './mariadb/tls.js';
export { serverOptions, renderOptionFile, PROFILE_NAMES } from './mariadb/profile.js';
export type { ProfileName, ServerOption, ServerOptionInputs } from './mariadb/profile.js';
export { stateLayout, DEFAULT_STATE_DIR } from './mariadb/layout.js';
export type { StateLayout } from './mariadb/layout.js';
export { connect } from './mariadb/connection.js';
export type { Connection, ConnectionOptions } from './mariadb/connection.js';

// dataset/: the banking sample data.
export {
  generateBanking,
  bankingSensitiveValues,
  FIXED_CUSTOMERS,
  DEFAULT_BANKING_ROWS,
  DEFAULT_BANKING_SEED,
} from './dataset/banking.js';
export type {
  BankingData,
  BankingOptions,
  Individual,
  Account,
  SensitiveValue,
} from './dataset/banking.js';
export { loadBanking, bankingSchemaSql, BANKING_DATABASE } from './dataset/load.js';
export type { LoadBankingOptions, LoadBankingResult } from './dataset/load.js';

// local/: the local server lifecycle.
export { up } from './local/up.js';
export type { UpOptions, LocalServerInfo } from './local/up.js';
export { down } from './local/down.js';
export type { DownOptions, DownResult } from './local/down.js';
export { status } from './local/status.js';
export type { StatusReport, EncryptionSummary, TlsSummary } from './local/status.js';
export { connectLocal, localConnectionOptions } from './local/client.js';

// scan/: the leak scanner and process dumps.
export { scan } from './scan/scan.js';
export type { ScanOptions, ScanReport, ScanSummary, ScanProgress } from './scan/scan.js';
export type { ValueResult, HitLocation } from './scan/results.js';
export type { HitContext } from './scan/context.js';
export type { ScanSource, SourceFormat } from './scan/sources/open.js';
export type { SourceSummary, SkippedInput, ScanProblem, SourceKind } from './scan/sources/types.js';
export { buildNeedles, redactValue, DEFAULT_MIN_LENGTH } from './scan/needles/needles.js';
export type { ScanValue, NeedleSet, NeedleOptions, RejectedValue } from './scan/needles/needles.js';
export { encodeDecimal, encodeInteger, ENCODINGS } from './scan/needles/encodings.js';
export type { Encoding, IntegerSize } from './scan/needles/encodings.js';
export {
  bankingValues,
  readValuesFile,
  valuesFromDatabase,
  parseColumnSpec,
} from './scan/needles/inputs.js';
export type { ColumnSpec } from './scan/needles/inputs.js';
export { dumpProcess } from './scan/dump/dump.js';
export type { DumpOptions, DumpResult } from './scan/dump/dump.js';
export { ScanError } from './scan/errors.js';
export type { ScanErrorCode } from './scan/errors.js';
