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
export { plantCustomers } from './dataset/plant.js';
export type { PlantedValue, PlantResult } from './dataset/plant.js';
export type { LoadBankingOptions, LoadBankingResult } from './dataset/load.js';

// local/: the local server lifecycle.
export { up } from './local/up.js';
export type { UpOptions, LocalServerInfo } from './local/up.js';
export type { RemoteAdminAccount } from './local/remote-admins.js';
export { down } from './local/down.js';
export type { DownOptions, DownResult } from './local/down.js';
export { status } from './local/status.js';
export type { StatusReport, EncryptionSummary, TlsSummary } from './local/status.js';
export { connectLocal, localConnectionOptions } from './local/client.js';

// vm/: TDs and regular VMs on the host, and the guest side.
export { VmError } from './vm/errors.js';
export type { VmErrorCode } from './vm/errors.js';
export { createVm } from './vm/create.js';
export type { CreateVmOptions, CreateVmResult } from './vm/create.js';
export { listVms, removeVm } from './vm/lifecycle.js';
export type { VmListEntry, RemoveVmResult } from './vm/lifecycle.js';
export { dumpVm } from './vm/dump.js';
export type { DumpVmOptions, DumpResult as VmDumpResult } from './vm/dump.js';
export type { DumpFormat, VmRunState } from './vm/backend.js';
export { connectVm } from './vm/guest-link.js';
export type { VmRecord, GuestInfo } from './vm/registry.js';
export { renderDomainXml } from './vm/domain-xml.js';
export { buildQemuArgs } from './vm/qemu-args.js';
export type {
  MachineSpec,
  VmKind,
  LibvirtDialect,
  Accelerator,
  PortForward,
  QuoteGenerationService,
  TdSettings,
  DirectBoot,
} from './vm/spec.js';
export { decodeTdAttributes, PRODUCTION_TD_POLICY } from './vm/td-policy.js';
export type { TdAttributes } from './vm/td-policy.js';
export { QmpClient } from './vm/qmp.js';
export type { QmpEvent } from './vm/qmp.js';
export { checkHost } from './vm/host-check.js';
export type { HostCheckReport, HostCheckItem, HostCheckStatus } from './vm/host-check.js';
export { checkGuest } from './vm/guest-check.js';
export type { GuestCheckReport, GuestCheckItem } from './vm/guest-check.js';
export { provision } from './vm/provision.js';
export type { ProvisionOptions, ProvisionResult } from './vm/provision.js';
export { leakTest } from './vm/leak-test.js';
export type {
  LeakTestOptions,
  LeakTestReport,
  LeakTestVmResult,
  LeakVerdict,
} from './vm/leak-test.js';
