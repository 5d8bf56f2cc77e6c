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
export {
  serverOptions,
  renderOptionFile,
  profileTmpDir,
  PROFILE_NAMES,
} from './mariadb/profile.js';
export type { ProfileName, ServerOption, ServerOptionInputs } from './mariadb/profile.js';
export { stateLayout, chooseTmpDir, DEFAULT_STATE_DIR } from './mariadb/layout.js';
export type { StateLayout, TmpDirChoice } from './mariadb/layout.js';
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
