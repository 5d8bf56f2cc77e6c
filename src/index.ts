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
export type {
  ExternalKeyProvider,
  ExternalKeys,
  KeyServiceRestarter,
} from './local/external-keys.js';
export type { RemoteAdminAccount } from './local/remote-admins.js';
export { down } from './local/down.js';
export type { DownOptions, DownResult } from './local/down.js';
export { status } from './local/status.js';
export type { StatusReport, EncryptionSummary, TlsSummary } from './local/status.js';
export type { AgentStatus } from './local/agent-process.js';
export { connectLocal, localConnectionOptions } from './local/client.js';

// posture/: the posture check catalogue and its runner.
export { checkPosture, localCheckConnection } from './posture/check.js';
export type { CheckPostureOptions } from './posture/check.js';
export { runPostureChecks, selectChecks } from './posture/runner.js';
export type { RunPostureOptions } from './posture/runner.js';
export { CATALOGUE } from './posture/catalogue/index.js';
export { PostureError } from './posture/errors.js';
export type { PostureErrorCode } from './posture/errors.js';
export { localHostProbe } from './posture/host.js';
export type { HostProbe, MountInfo, SwapArea } from './posture/host.js';
export { CHECK_GROUPS, FINDING_STATUSES, POSTURE_PROFILES } from './posture/types.js';
export type {
  CheckContext,
  CheckGroup,
  DeniedFallback,
  ErrorVerdict,
  Finding,
  FindingStatus,
  PostureCheck,
  PostureProfile,
  PostureReport,
  Severity,
  Verdict,
} from './posture/types.js';
export { parseServerVersion, seriesStatus, LONG_TERM_SERIES } from './posture/version.js';
export type { ServerVersion, ReleaseSeries, SeriesStatus } from './posture/version.js';

// attest/: TDX quote parsing (abi), verification (verify), policy, collateral.
export { QuoteFormatError, CollateralError, PolicyError } from './attest/errors.js';
export type {
  QuoteFormatErrorCode,
  CollateralErrorCode,
  PolicyErrorCode,
} from './attest/errors.js';
export { parseQuote, parseTdxQuote } from './attest/abi/quote.js';
export { isTdxQuote } from './attest/abi/types.js';
export type {
  Quote,
  TdxQuote,
  SgxQuote,
  QuoteHeader,
  TdReport,
  EnclaveReport,
  SignatureData,
  PckCertificateChain,
  BodyKind,
  TeeName,
} from './attest/abi/types.js';
export { summarizeQuote, toHex } from './attest/abi/describe.js';
export type { QuoteSummary, TdReportSummary, EnclaveReportSummary } from './attest/abi/describe.js';
export {
  TD_ATTRIBUTE_BITS,
  hasTdAttribute,
  describeTdAttributes,
} from './attest/abi/td-attributes.js';
export type { TdAttributeName, TdAttributesSummary } from './attest/abi/td-attributes.js';
export { decodeQuoteInput } from './attest/quote-input.js';
export { verifyQuote, assertQuoteVerified } from './attest/verify/verify.js';
export type {
  VerifyQuoteOptions,
  QuoteVerification,
  PlatformFacts,
  CollateralFacts,
} from './attest/verify/verify.js';
export { QuoteVerificationError } from './attest/verify/failure.js';
export type { VerificationFailureCode } from './attest/verify/failure.js';
export type { StepId, StepResult, ValidityWindow } from './attest/verify/context.js';
export type { TcbEvaluation, TcbStatus } from './attest/verify/tcb-status.js';
export { createCollateral, mergeCollateral } from './attest/verify/collateral.js';
export type {
  Collateral,
  CollateralInput,
  SignedDocumentInput,
  SignedCollateral,
} from './attest/verify/collateral.js';
export {
  INTEL_SGX_ROOT_CA_PEM,
  INTEL_SGX_ROOT_CA_FINGERPRINT,
  isIntelRoot,
  loadTrustedRoots,
} from './attest/verify/roots.js';
export { SIMULATED_SUBJECT_PREFIX, hasSimulatedPckChain } from './attest/verify/simulated.js';
export type { TrustedRootInput } from './attest/verify/roots.js';
export { loadCollateral, collateralFromBytes } from './attest/collateral/load.js';
export type { LoadCollateralOptions } from './attest/collateral/load.js';
export { collateralFromBundle } from './attest/collateral/bundle.js';
export type { CollateralBundle } from './attest/collateral/bundle.js';
export { fetchCollateral } from './attest/collateral/pccs.js';
export {
  DEFAULT_FETCH_TIMEOUT_MS,
  MAX_COLLATERAL_RESPONSE_BYTES,
} from './attest/collateral/http.js';
export type {
  FetchCollateralOptions,
  FetchedCollateral,
  FetchFunction,
} from './attest/collateral/pccs.js';
export { defaultCacheDir, writeCachedCollateral } from './attest/collateral/cache.js';
export type { WriteCacheOptions } from './attest/collateral/cache.js';
export { parsePolicy, loadPolicy } from './attest/policy/parse.js';
export { evaluatePolicy } from './attest/policy/evaluate.js';
export { DEFAULT_POLICY, TCB_STATUSES } from './attest/policy/types.js';
export type {
  Policy,
  PolicyFinding,
  PolicyReport,
  TdAttributeRule,
} from './attest/policy/types.js';
export { appraiseQuote } from './attest/appraise.js';
export type { AppraiseQuoteOptions, QuoteAppraisal } from './attest/appraise.js';
export { appraisalToJson } from './attest/report.js';
export type { AppraisalJson } from './attest/report.js';

// attest/evidence: quotes from configfs-tsm in a TD, or from a SIMULATED TD.
export { EvidenceError } from './attest/evidence/errors.js';
export type { EvidenceErrorCode } from './attest/evidence/errors.js';
export { openEvidence } from './attest/evidence/open.js';
export type { OpenEvidenceOptions } from './attest/evidence/open.js';
export { tsmEvidence, TSM_REPORT_DIR } from './attest/evidence/tsm.js';
export type { EvidenceKind, EvidenceProvider } from './attest/evidence/types.js';
export { createSimulatedTd } from './attest/evidence/simulated/td.js';
export type { SimulatedTdChoices, SimulatedTdSummary } from './attest/evidence/simulated/td.js';
export { simulatedEvidence } from './attest/evidence/simulated/provider.js';

// kbs/: the key broker, its key store, and the agent in the TD.
export { BrokerError, AgentError, RetryLaterError } from './kbs/errors.js';
export type { BrokerErrorCode, AgentErrorCode } from './kbs/errors.js';
export { canonicalRuntimeData, expectedReportData } from './kbs/runtime-data.js';
export type { RuntimeDataInput } from './kbs/runtime-data.js';
export { initBroker } from './kbs/broker/init.js';
export type { InitBrokerOptions, InitBrokerResult } from './kbs/broker/init.js';
export { startBroker } from './kbs/broker/serve.js';
export type { StartBrokerOptions, RunningBroker } from './kbs/broker/serve.js';
export { DEFAULT_AUTH_RATE, DEFAULT_SESSION_LIMITS } from './kbs/broker/context.js';
export type { SessionLimits } from './kbs/broker/sessions.js';
export type { RateLimits } from './kbs/broker/rate-limit.js';
export { serveBroker } from './kbs/broker/run.js';
export type { ServeBrokerOptions } from './kbs/broker/run.js';
export { createBrokerApp } from './kbs/broker/app.js';
export { createQuoteAppraiser } from './kbs/broker/quote-appraiser.js';
export type { QuoteAppraiserOptions } from './kbs/broker/quote-appraiser.js';
export type { Appraisal, QuoteAppraiser, TdClaims } from './kbs/broker/appraisal.js';
export { KeyStore } from './kbs/store/key-store.js';
export type { KeySetInfo, KeyVersion, KeyVersionInfo } from './kbs/store/key-store.js';
export { listKeys, createKeySet, rotateKey, importKeyFile } from './kbs/store/admin.js';
export { KbsClient } from './kbs/agent/client.js';
export type { KbsConnection } from './kbs/agent/client.js';
export { obtainKeys } from './kbs/agent/obtain.js';
export type { ObtainKeysOptions, ObtainKeysResult, ReleasedKeys } from './kbs/agent/obtain.js';
export { deliverKeyFile, serveVault } from './kbs/agent/run.js';
export type {
  AgentOptions,
  AgentSummary,
  KeyFileDelivery,
  VaultAgent,
  VaultAgentOptions,
} from './kbs/agent/run.js';
export { startVaultEndpoint, generateVaultToken } from './kbs/agent/vault.js';
export type { VaultEndpoint, VaultEndpointOptions } from './kbs/agent/vault.js';
export { prepareBrokerKeys, restartBrokerAgent } from './kbs/local-keys.js';
export { checkTeePublicKey } from './kbs/tee-key.js';
// scan/: the leak scanner and process dumps.
export { scan } from './scan/scan.js';
export type { ScanOptions, ScanReport, ScanSummary, ScanProgress } from './scan/scan.js';
export type { ValueResult, HitLocation } from './scan/results.js';
export type { HitContext } from './scan/context.js';
export type { ScanSource, SourceFormat } from './scan/sources/open.js';
export type {
  SourceSummary,
  SkippedInput,
  ExcludedInput,
  ScanProblem,
  SourceKind,
} from './scan/sources/types.js';
export { buildNeedles, redactValue, DEFAULT_MIN_LENGTH } from './scan/needles/needles.js';
export type {
  ScanValue,
  NeedleSet,
  NeedleOptions,
  RejectedValue,
  ShortForm,
} from './scan/needles/needles.js';
export { encodeDecimal, encodeInteger, ENCODINGS } from './scan/needles/encodings.js';
export type { Encoding, IntegerSize } from './scan/needles/encodings.js';
export {
  bankingValues,
  readValuesFile,
  dedupeValues,
  valuesFromDatabase,
  parseColumnSpec,
} from './scan/needles/inputs.js';
export type { ColumnSpec } from './scan/needles/inputs.js';
export { dumpProcess } from './scan/dump/dump.js';
export type { DumpOptions, DumpResult } from './scan/dump/dump.js';
export { ScanError } from './scan/errors.js';
export type { ScanErrorCode } from './scan/errors.js';

// demo/: the end-to-end proof on a local machine.
export { runDemo, DEFAULT_DEMO_DIR, DEFAULT_DEMO_ROWS } from './demo/run.js';
export type { DemoOptions, DemoStepEvent } from './demo/run.js';
export type { DemoReport, DemoServerSummary } from './demo/report.js';
export { buildMatrix, DEMO_PROFILES } from './demo/matrix.js';
export type {
  DemoProfile,
  EvidenceHit,
  EvidenceResult,
  MatrixCell,
  MatrixRow,
  Medium,
} from './demo/matrix.js';
export { judge, KNOWN_LIMITS } from './demo/verdict.js';
export type {
  KnownLimit,
  Verdict as DemoVerdict,
  VerdictStatus as DemoVerdictStatus,
} from './demo/verdict.js';
export { PLACES, classifyServerFile } from './demo/places.js';
export type { Place, PlaceId, Protection } from './demo/places.js';
export { startRecordingRelay } from './demo/relay.js';
export type { RecordingRelay, WireCapture } from './demo/relay.js';
export { DemoError } from './demo/errors.js';
export type { DemoErrorCode } from './demo/errors.js';
export { renderDemoHtml } from './report/demo-html.js';

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
export { scanDump } from './vm/leak-scan.js';
export type { DumpScanner, DumpScanResult, ScannedHit } from './vm/leak-scan.js';
export type {
  LeakTestOptions,
  LeakTestReport,
  LeakTestVmResult,
  LeakVerdict,
} from './vm/leak-test.js';
