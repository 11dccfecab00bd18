// Credentials for the Cairn controller: what the controller, the lab and `cairn certs` use.
//
// Controller side, all in one: `const creds = await CredentialDirectory.open(dir)`, then
// startController({ security: { tls: creds.tls, authenticator: creds } }) and
// creds.watch(handle.reloadTls, log). Its parts:
//   const trust = await loadTrustStore(dir);            // tls: { ca: trust.caPem, cert: trust.serverCertPem, key: trust.serverKeyPem }
//   const { revocations, tokens } = await openCredentialStores(dir);
//   revocations.watch(log); tokens.watch(log);          // rotation without a restart
//   identityFromCertificate(socket.getPeerCertificate()) // { name, role, serial } | null; then revocations.isRevoked(serial)
//   tokens.verify(bearer)                               // { name, role } | { error: "unknown" | "expired" | "revoked" }
// Issuing (the lab, `cairn certs`): initAuthority, issueCertificate, createToken, revoke, listCredentials, writeOperatorConfig.
export {
  loadTrustStore,
  identityFromCertificate,
  TokenStore,
  RevocationList,
  openCredentialStores,
  watchFiles,
  parseCertificate,
  notAfterMs,
  notBeforeMs,
  type TrustStore,
  type Identity,
  type TokenVerdict,
  type ReloadEvent,
  type Watcher,
  type WatchOptions,
} from "./trust.js";
export {
  initAuthority,
  issueCertificate,
  createToken,
  revoke,
  listCredentials,
  writeOperatorConfig,
  type AuthorityEnv,
  type CertificateInfo,
  type Validity,
  type InitOptions,
  type InitResult,
  type IssueTarget,
  type IssueResult,
  type TokenOptions,
  type TokenResult,
  type RevokeTarget,
  type RevokeResult,
  type CredentialList,
  type ListedCertificate,
  type ListedToken,
  type CredentialStatus,
  type OperatorConfigOptions,
  type ServerNames,
} from "./authority.js";
export { CredentialDirectory, type CredentialDirOptions } from "./authenticator.js";
export { CredentialError } from "./fs-util.js";
export { OpensslError, createOpenssl, type Openssl } from "./openssl.js";
export type { TokenRecord, Revocations, RevokedCertificate, RevokedToken, IssuedCertificate } from "./files.js";
export {
  credentialPaths,
  checkControllerUrl,
  isLoopbackHost,
  normaliseSerial,
  TOKEN_FORMAT,
  CA_CERT,
  CA_KEY,
  SERVER_CERT,
  SERVER_KEY,
  TOKENS_FILE,
  REVOKED_FILE,
  ISSUED_FILE,
  AGENTS_DIR,
  OPERATORS_DIR,
  type Role,
  type OperatorRole,
  type CertKind,
  type CredentialPaths,
} from "./names.js";
