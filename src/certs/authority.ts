// The operations of `cairn certs` on a credential directory: create the CA and the controller's
// certificate, issue agent and operator certificates, create bearer tokens, revoke, list, and
// write an operator's CLI config. Every write holds the directory's lock and replaces files
// atomically; keys are 0600, directories 0700.
import { X509Certificate, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ConfigFileError } from "../config/errors.js";
import type { ParseResult } from "../config/errors.js";
import {
  formatIssued,
  formatRevocations,
  formatTokens,
  parseIssued,
  parseRevocations,
  parseTokens,
  type IssuedCertificate,
  type RevokedCertificate,
  type Revocations,
  type TokenRecord,
} from "./files.js";
import { CredentialError, ensurePrivateDir, exists, readOptional, requireDir, withDirLock, writeFileAtomic } from "./fs-util.js";
import {
  AGENTS_DIR,
  BACKDATE_MS,
  CA_CERT,
  CA_KEY,
  DAY_MS,
  DEFAULT_CA_DAYS,
  DEFAULT_CERT_DAYS,
  DEFAULT_SERVER_ADDRESSES,
  DEFAULT_SERVER_NAMES,
  DEFAULT_TOKEN_DAYS,
  ISSUED_FILE,
  MAX_DAYS,
  OPERATORS_DIR,
  PUBLIC_FILE_MODE,
  REVOKED_FILE,
  SECRET_FILE_MODE,
  SERVER_CERT,
  SERVER_KEY,
  TOKENS_FILE,
  checkAgentName,
  checkControllerUrl,
  checkDnsName,
  checkOperatorName,
  checkRole,
  credentialPaths,
  isoTime,
  normaliseSerial,
  printable,
  serialFromBytes,
  subjectAltName,
  subjectFor,
  tokenFromBytes,
  tokenHash,
  type CertKind,
  type OperatorRole,
  type Role,
} from "./names.js";
import { createOpenssl, issueWithOpenssl, type Openssl } from "./openssl.js";
import type { Profile } from "./openssl-config.js";
import { notAfterMs, parseCertificate } from "./trust.js";

/** What the operations use from the outside world; tests replace the clock. */
export interface AuthorityEnv {
  openssl?: Openssl;
  /** ms since the epoch; default Date.now. */
  now?: () => number;
}

/** A certificate as the commands report it. */
export interface CertificateInfo {
  kind: CertKind;
  name: string;
  role?: Role;
  serial: string;
  notBefore: string;
  notAfter: string;
  certPath: string;
  keyPath: string;
  /** SHA-256 fingerprint, colon-separated hex as openssl prints it. */
  fingerprint256: string;
}

/** Either a number of days from now, or explicit dates (for tests and odd cases; may lie in the past). */
export type Validity = { days?: number } | { notBeforeMs: number; notAfterMs: number };

function checkDays(days: number, flag = "--days"): void {
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw new CredentialError(`${flag} takes a whole number of days from 1 to ${MAX_DAYS}, got ${days}`, 2);
}

function validityWindow(v: Validity, defaultDays: number, nowMs: number): { notBeforeMs: number; notAfterMs: number } {
  if ("notBeforeMs" in v) {
    if (!Number.isFinite(v.notBeforeMs) || !Number.isFinite(v.notAfterMs)) throw new CredentialError("--not-before and --not-after take times like 2026-01-31T12:00:00Z", 2);
    if (v.notAfterMs <= v.notBeforeMs) throw new CredentialError("--not-after must be after --not-before", 2);
    return { notBeforeMs: Math.floor(v.notBeforeMs / 1000) * 1000, notAfterMs: Math.floor(v.notAfterMs / 1000) * 1000 };
  }
  const days = v.days ?? defaultDays;
  checkDays(days);
  const t = Math.floor(nowMs / 1000) * 1000;
  return { notBeforeMs: t - BACKDATE_MS, notAfterMs: t + days * DAY_MS };
}

async function loadYaml<T>(path: string, parse: (text: string, file: string) => ParseResult<T>): Promise<T> {
  const r = parse((await readOptional(path)) ?? "", path);
  if (!r.ok) throw new ConfigFileError(r.errors);
  return r.value;
}

const loadIssued = (dir: string) => loadYaml(join(dir, ISSUED_FILE), parseIssued);
const loadRevocations = (dir: string) => loadYaml(join(dir, REVOKED_FILE), parseRevocations);
const loadTokens = (dir: string) => loadYaml(join(dir, TOKENS_FILE), parseTokens);

function info(kind: CertKind, name: string, role: Role | undefined, cert: X509Certificate, certPath: string, keyPath: string): CertificateInfo {
  return {
    kind,
    name,
    ...(role ? { role } : {}),
    serial: normaliseSerial(cert.serialNumber)!,
    notBefore: isoTime(Date.parse(cert.validFrom)),
    notAfter: isoTime(notAfterMs(cert)),
    certPath,
    keyPath,
    fingerprint256: cert.fingerprint256,
  };
}

/** A scratch directory inside `dir` (so it is private), removed afterwards whatever happens. */
async function withScratch<T>(dir: string, fn: (work: string) => Promise<T>): Promise<T> {
  const work = await mkdtemp(join(dir, ".work-"));
  try {
    return await fn(work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface MakeRequest {
  kind: CertKind;
  name: string;
  role?: OperatorRole;
  profile: Profile;
  subjectAltName?: string;
  window: { notBeforeMs: number; notAfterMs: number };
  issuer?: { certPath: string; keyPath: string };
}

/** Makes a key and certificate and installs them (key first); returns what to log. */
async function make(dir: string, openssl: Openssl, req: MakeRequest, nowMs: number): Promise<{ info: CertificateInfo; record: IssuedCertificate }> {
  const paths = credentialPaths(dir, req.kind, req.name);
  await ensurePrivateDir(dirname(paths.cert));
  const signed = await withScratch(dir, (workDir) =>
    issueWithOpenssl(openssl, {
      workDir,
      subject: subjectFor(req.kind, req.name, req.role),
      profile: req.profile,
      ...(req.subjectAltName ? { subjectAltName: req.subjectAltName } : {}),
      serial: serialFromBytes(randomBytes(16)),
      notBeforeMs: req.window.notBeforeMs,
      notAfterMs: req.window.notAfterMs,
      ...(req.issuer ? { issuer: req.issuer } : {}),
    }),
  );
  await writeFileAtomic(paths.key, signed.keyPem, SECRET_FILE_MODE);
  await writeFileAtomic(paths.cert, signed.certPem, PUBLIC_FILE_MODE);
  const role: Role | undefined = req.kind === "agent" ? "agent" : req.role;
  const i = info(req.kind, req.name, role, signed.cert, paths.cert, paths.key);
  return {
    info: i,
    record: {
      kind: req.kind,
      name: req.name,
      ...(role ? { role } : {}),
      serial: i.serial,
      notBeforeMs: Date.parse(signed.cert.validFrom),
      notAfterMs: notAfterMs(signed.cert),
      issuedMs: nowMs,
    },
  };
}

interface LoadedCa {
  cert: X509Certificate;
  certPath: string;
  keyPath: string;
}

async function loadCa(dir: string, nowMs: number): Promise<LoadedCa> {
  const { cert: certPath, key: keyPath } = credentialPaths(dir, "ca");
  const pem = await readOptional(certPath);
  if (pem === null || !(await exists(keyPath))) throw new CredentialError(`${dir} has no CA yet (no ${pem === null ? CA_CERT : CA_KEY}): \`cairn certs init ${dir}\` creates one`);
  const cert = parseCertificate(pem, certPath);
  if (notAfterMs(cert) <= nowMs) throw new CredentialError(`${certPath}: the CA expired on ${cert.validTo}; \`cairn certs init ${dir} --force\` makes a new one`);
  return { cert, certPath, keyPath };
}

function checkWithinCa(ca: LoadedCa, window: { notAfterMs: number }): void {
  if (window.notAfterMs > notAfterMs(ca.cert)) {
    throw new CredentialError(`the certificate would outlive the CA, which expires on ${isoTime(notAfterMs(ca.cert))}: ask for fewer days (or a new CA: \`cairn certs init DIR --force\`)`, 2);
  }
}

// ---- init ----

export interface ServerNames {
  /** DNS names for subjectAltName; default localhost. */
  dnsNames?: string[];
  /** IP addresses for subjectAltName; default 127.0.0.1 and ::1. */
  addresses?: string[];
}

export interface InitOptions extends ServerNames {
  /** The server certificate's validity; default 365 days. */
  days?: number;
  /** The CA's validity; default the larger of 3650 days and `days`. */
  caDays?: number;
  /** Replace an existing CA: the old one and everything it issued move to DIR/replaced-TIME/. */
  force?: boolean;
}

export interface InitResult {
  ca: CertificateInfo;
  server: CertificateInfo;
  /** Where an existing CA and its certificates were moved (--force). */
  replacedTo?: string;
}

function serverAltNames(n: ServerNames): string {
  const dnsNames = n.dnsNames && n.dnsNames.length > 0 ? n.dnsNames : n.addresses && n.addresses.length > 0 ? [] : DEFAULT_SERVER_NAMES;
  const addresses = n.addresses && n.addresses.length > 0 ? n.addresses : n.dnsNames && n.dnsNames.length > 0 ? [] : DEFAULT_SERVER_ADDRESSES;
  for (const d of dnsNames) {
    const why = checkDnsName(d);
    if (why) throw new CredentialError(`--server-name: ${why}`, 2);
  }
  for (const a of addresses) {
    if (isIP(a) === 0) throw new CredentialError(`--server-address: "${printable(a)}" is not an IPv4 or IPv6 address`, 2);
  }
  return subjectAltName(dnsNames, addresses);
}

/** The server certificate's CN: its first DNS name, else its first address. */
function serverCn(altNames: string): string {
  const first = altNames.split(",")[0]!;
  return first.slice(first.indexOf(":") + 1);
}

/**
 * A new CA (DIR/ca.crt, DIR/ca.key) and the controller's certificate (DIR/server.crt,
 * DIR/server.key). Refuses a directory that has a CA unless `force`.
 */
export async function initAuthority(dir: string, opts: InitOptions = {}, env: AuthorityEnv = {}): Promise<InitResult> {
  const openssl = env.openssl ?? createOpenssl();
  const nowMs = (env.now ?? Date.now)();
  const days = opts.days ?? DEFAULT_CERT_DAYS;
  checkDays(days);
  const caDays = opts.caDays ?? Math.max(DEFAULT_CA_DAYS, days);
  checkDays(caDays, "--ca-days");
  if (caDays < days) throw new CredentialError(`--ca-days (${caDays}) must be at least --days (${days}): the CA outlives what it signs`, 2);
  const altNames = serverAltNames(opts);
  await ensurePrivateDir(dir);
  return withDirLock(dir, async () => {
    const caPaths = credentialPaths(dir, "ca");
    const had = (await exists(caPaths.cert)) || (await exists(caPaths.key));
    let replacedTo: string | undefined;
    if (had) {
      if (!opts.force) {
        let what = "";
        try {
          const c = parseCertificate((await readOptional(caPaths.cert)) ?? "", caPaths.cert);
          what = ` (serial ${normaliseSerial(c.serialNumber)}, until ${isoTime(notAfterMs(c))})`;
        } catch {
          // An unreadable ca.crt is still a CA not to overwrite.
        }
        throw new CredentialError(`${dir} already has a CA${what}; --force replaces it (the old CA and every certificate it issued move to ${join(dir, "replaced-TIME")}/)`);
      }
      replacedTo = join(dir, `replaced-${isoTime(nowMs).replace(/:/g, "")}`);
      await ensurePrivateDir(replacedTo);
      for (const f of [CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY, ISSUED_FILE, AGENTS_DIR, OPERATORS_DIR]) {
        if (await exists(join(dir, f))) await rename(join(dir, f), join(replacedTo, f));
      }
    }
    const caWindow = { notBeforeMs: Math.floor(nowMs / 1000) * 1000 - BACKDATE_MS, notAfterMs: Math.floor(nowMs / 1000) * 1000 + caDays * DAY_MS };
    const caName = `Cairn CA ${randomBytes(4).toString("hex")}`;
    const ca = await make(dir, openssl, { kind: "ca", name: caName, profile: "ca", window: caWindow }, nowMs);
    const server = await make(
      dir,
      openssl,
      { kind: "server", name: serverCn(altNames), profile: "server", subjectAltName: altNames, window: validityWindow({ days }, DEFAULT_CERT_DAYS, nowMs), issuer: { certPath: caPaths.cert, keyPath: caPaths.key } },
      nowMs,
    );
    await ensurePrivateDir(join(dir, AGENTS_DIR));
    await ensurePrivateDir(join(dir, OPERATORS_DIR));
    await writeFileAtomic(join(dir, ISSUED_FILE), formatIssued([ca.record, server.record]), PUBLIC_FILE_MODE);
    return { ca: ca.info, server: server.info, ...(replacedTo ? { replacedTo } : {}) };
  });
}

// ---- issue ----

export type IssueTarget =
  | { kind: "agent"; name: string }
  | { kind: "operator"; name: string; role: string }
  | ({ kind: "server" } & ServerNames);

export interface IssueResult {
  certificate: CertificateInfo;
  /** The certificate this one replaced in its file: still valid until it expires or is revoked. */
  replaced?: { serial: string; notAfter: string; revoked: boolean };
}

/**
 * Issues (or re-issues: rotation) an agent's, operator's or the server's certificate. A
 * re-issued certificate replaces the files; the old one stays valid until revoked.
 */
export async function issueCertificate(dir: string, target: IssueTarget, validity: Validity = {}, env: AuthorityEnv = {}): Promise<IssueResult> {
  const openssl = env.openssl ?? createOpenssl();
  const nowMs = (env.now ?? Date.now)();
  let role: OperatorRole | undefined;
  if (target.kind === "agent") {
    const why = checkAgentName(target.name);
    if (why) throw new CredentialError(why, 2);
  } else if (target.kind === "operator") {
    const why = checkOperatorName(target.name);
    if (why) throw new CredentialError(why, 2);
    const r = checkRole(target.role);
    if (r !== "viewer" && r !== "admin") throw new CredentialError(r, 2);
    role = r;
  }
  const altNames = target.kind === "server" ? serverAltNames(target) : undefined;
  const name = target.kind === "server" ? serverCn(altNames!) : target.name;
  const window = validityWindow(validity, DEFAULT_CERT_DAYS, nowMs);
  await requireDir(dir);
  return withDirLock(dir, async () => {
    const ca = await loadCa(dir, nowMs);
    checkWithinCa(ca, window);
    const issued = await loadIssued(dir);
    const revoked = await loadRevocations(dir);
    const paths = credentialPaths(dir, target.kind, name);
    const oldPem = await readOptional(paths.cert);
    let replaced: IssueResult["replaced"];
    if (oldPem !== null) {
      try {
        const old = new X509Certificate(oldPem);
        const serial = normaliseSerial(old.serialNumber)!;
        if (notAfterMs(old) > nowMs) replaced = { serial, notAfter: isoTime(notAfterMs(old)), revoked: revoked.certificates.some((c) => c.serial === serial) };
      } catch {
        // Not a certificate: nothing to report.
      }
    }
    const made = await make(
      dir,
      openssl,
      {
        kind: target.kind,
        name,
        ...(role ? { role } : {}),
        profile: target.kind === "server" ? "server" : "client",
        ...(altNames ? { subjectAltName: altNames } : {}),
        window,
        issuer: { certPath: ca.certPath, keyPath: ca.keyPath },
      },
      nowMs,
    );
    await writeFileAtomic(join(dir, ISSUED_FILE), formatIssued([...issued, made.record]), PUBLIC_FILE_MODE);
    return { certificate: made.info, ...(replaced ? { replaced } : {}) };
  });
}

// ---- tokens ----

export interface TokenOptions {
  name: string;
  role: string;
  /** Default 90. */
  days?: number;
  /** Replace an unrevoked token of the same name (the old one stops working at once). */
  force?: boolean;
}

export interface TokenResult {
  /** The token: shown once, stored nowhere (tokens.yaml keeps its hash). */
  token: string;
  record: TokenRecord;
  replaced: boolean;
}

export async function createToken(dir: string, opts: TokenOptions, env: AuthorityEnv = {}): Promise<TokenResult> {
  const nowMs = Math.floor((env.now ?? Date.now)() / 1000) * 1000;
  const why = checkOperatorName(opts.name, "token");
  if (why) throw new CredentialError(why, 2);
  const role = checkRole(opts.role);
  if (role !== "viewer" && role !== "admin") throw new CredentialError(role, 2);
  const days = opts.days ?? DEFAULT_TOKEN_DAYS;
  checkDays(days);
  await requireDir(dir);
  return withDirLock(dir, async () => {
    const tokens = await loadTokens(dir);
    const revoked = (await loadRevocations(dir)).tokens.find((t) => t.name === opts.name);
    if (revoked) {
      throw new CredentialError(`token "${opts.name}" was revoked on ${isoTime(revoked.revokedMs)}; revocation is by name, so a revoked name is not used again: pick another`);
    }
    const existing = tokens.find((t) => t.name === opts.name);
    if (existing && !opts.force) {
      throw new CredentialError(`a token named "${opts.name}" exists (created ${isoTime(existing.createdMs)}, expires ${isoTime(existing.expiresMs)}); --force replaces it (the old one stops working)`);
    }
    const token = tokenFromBytes(randomBytes(32));
    const record: TokenRecord = { name: opts.name, role, sha256: tokenHash(token), createdMs: nowMs, expiresMs: nowMs + days * DAY_MS };
    await writeFileAtomic(join(dir, TOKENS_FILE), formatTokens([...tokens.filter((t) => t.name !== opts.name), record]), SECRET_FILE_MODE);
    return { token, record, replaced: existing !== undefined };
  });
}

// ---- revoke ----

export type RevokeTarget = { agent: string } | { operator: string } | { serial: string } | { token: string };

export interface RevokeResult {
  /** Newly revoked certificates. */
  certificates: RevokedCertificate[];
  /** Newly revoked token names. */
  tokens: string[];
  /** Certificates (serials) or tokens (names) that were revoked already. */
  already: string[];
}

/**
 * Adds to DIR/revoked.yaml: every certificate ever issued to an agent or operator (so a rotated
 * one goes too), one certificate by serial, or a token by name. The file is rewritten atomically.
 */
export async function revoke(dir: string, target: RevokeTarget, env: AuthorityEnv = {}): Promise<RevokeResult> {
  const nowMs = Math.floor((env.now ?? Date.now)() / 1000) * 1000;
  if ("agent" in target) {
    const why = checkAgentName(target.agent);
    if (why) throw new CredentialError(why, 2);
  }
  if ("operator" in target) {
    const why = checkOperatorName(target.operator);
    if (why) throw new CredentialError(why, 2);
  }
  if ("token" in target) {
    const why = checkOperatorName(target.token, "token");
    if (why) throw new CredentialError(why, 2);
  }
  const serial = "serial" in target ? normaliseSerial(target.serial) : null;
  if ("serial" in target && serial === null) throw new CredentialError(`"${printable(target.serial)}" is not a serial number in hex`, 2);
  await requireDir(dir);
  return withDirLock(dir, async () => {
    const current: Revocations = await loadRevocations(dir);
    const revokedSerials = new Set(current.certificates.map((c) => c.serial));
    const result: RevokeResult = { certificates: [], tokens: [], already: [] };
    if ("token" in target) {
      const tokens = await loadTokens(dir);
      if (current.tokens.some((t) => t.name === target.token)) result.already.push(target.token);
      else if (!tokens.some((t) => t.name === target.token)) throw new CredentialError(`no token named "${target.token}" in ${join(dir, TOKENS_FILE)}`);
      else result.tokens.push(target.token);
    } else {
      const issued = await loadIssued(dir);
      let chosen: IssuedCertificate[];
      if (serial !== null) {
        const c = issued.find((x) => x.serial === serial);
        if (!c) throw new CredentialError(`no certificate with serial ${serial} in ${join(dir, ISSUED_FILE)} (\`cairn certs list ${dir}\` shows them)`);
        if (c.kind === "ca") throw new CredentialError(`${serial} is the CA: replace the CA instead (\`cairn certs init ${dir} --force\`, then issue every credential again)`);
        if (c.kind === "server") throw new CredentialError(`${serial} is the controller's own certificate, which nobody checks against revoked.yaml: issue a new one (\`cairn certs issue ${dir} --server\`)`);
        chosen = [c];
      } else {
        const kind = "agent" in target ? "agent" : "operator";
        const name = "agent" in target ? target.agent : (target as { operator: string }).operator;
        chosen = issued.filter((x) => x.kind === kind && x.name === name);
        if (chosen.length === 0) throw new CredentialError(`no certificate was issued to ${kind} "${name}" (\`cairn certs list ${dir}\` shows them)`);
      }
      for (const c of chosen) {
        if (revokedSerials.has(c.serial)) result.already.push(c.serial);
        else result.certificates.push({ serial: c.serial, kind: c.kind, name: c.name, revokedMs: nowMs });
      }
    }
    if (result.certificates.length > 0 || result.tokens.length > 0) {
      const next: Revocations = {
        certificates: [...current.certificates, ...result.certificates],
        tokens: [...current.tokens, ...result.tokens.map((name) => ({ name, revokedMs: nowMs }))],
      };
      await writeFileAtomic(join(dir, REVOKED_FILE), formatRevocations(next), PUBLIC_FILE_MODE);
    }
    return result;
  });
}

// ---- list ----

export type CredentialStatus = "valid" | "expired" | "revoked" | "not yet valid";

export interface ListedCertificate {
  kind: CertKind;
  name: string;
  role: Role | null;
  serial: string;
  notAfter: string;
  status: CredentialStatus;
  revoked: boolean;
  /** Whether this is the certificate in its file now (false: replaced by a later one). */
  current: boolean;
  /** Revocation time, when revoked. */
  revokedAt?: string;
}

export interface ListedToken {
  name: string;
  role: OperatorRole;
  created: string;
  expires: string;
  status: Exclude<CredentialStatus, "not yet valid">;
  revoked: boolean;
  revokedAt?: string;
}

export interface CredentialList {
  certificates: ListedCertificate[];
  tokens: ListedToken[];
}

async function currentSerials(dir: string): Promise<Set<string>> {
  const files = [join(dir, CA_CERT), join(dir, SERVER_CERT)];
  for (const sub of [AGENTS_DIR, OPERATORS_DIR]) {
    try {
      for (const f of await readdir(join(dir, sub))) if (f.endsWith(".crt")) files.push(join(dir, sub, f));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  const out = new Set<string>();
  for (const f of files) {
    const pem = await readOptional(f);
    if (pem === null) continue;
    try {
      out.add(normaliseSerial(new X509Certificate(pem).serialNumber)!);
    } catch {
      // Not a certificate; list shows what issued.yaml says.
    }
  }
  return out;
}

/** Every certificate in issued.yaml and every token in tokens.yaml, with their state now. */
export async function listCredentials(dir: string, env: AuthorityEnv = {}): Promise<CredentialList> {
  const nowMs = (env.now ?? Date.now)();
  await requireDir(dir);
  const issued = await loadIssued(dir);
  const revoked = await loadRevocations(dir);
  const tokens = await loadTokens(dir);
  const revokedCerts = new Map(revoked.certificates.map((c) => [c.serial, c.revokedMs]));
  const revokedTokens = new Map(revoked.tokens.map((t) => [t.name, t.revokedMs]));
  const current = await currentSerials(dir);
  return {
    certificates: issued.map((c) => {
      const r = revokedCerts.get(c.serial);
      const status: CredentialStatus = r !== undefined ? "revoked" : c.notAfterMs <= nowMs ? "expired" : c.notBeforeMs > nowMs ? "not yet valid" : "valid";
      return {
        kind: c.kind,
        name: c.name,
        role: c.role ?? null,
        serial: c.serial,
        notAfter: isoTime(c.notAfterMs),
        status,
        revoked: r !== undefined,
        current: current.has(c.serial),
        ...(r !== undefined ? { revokedAt: isoTime(r) } : {}),
      };
    }),
    tokens: tokens.map((t) => {
      const r = revokedTokens.get(t.name);
      return {
        name: t.name,
        role: t.role,
        created: isoTime(t.createdMs),
        expires: isoTime(t.expiresMs),
        status: r !== undefined ? "revoked" : t.expiresMs <= nowMs ? "expired" : "valid",
        revoked: r !== undefined,
        ...(r !== undefined ? { revokedAt: isoTime(r) } : {}),
      };
    }),
  };
}

// ---- the CLI config of an operator ----

export interface OperatorConfigOptions {
  name: string;
  controller: string;
  /** Write here (mode 0600, parent directories 0700); without it, only return the text. */
  out?: string;
  /** Overwrite an existing `out`. */
  force?: boolean;
}

/** A path as the config file at `configDir` should name it: relative below that directory, else absolute. */
function pathFrom(configDir: string | null, target: string): string {
  const abs = resolve(target);
  if (configDir === null) return abs;
  const rel = relative(configDir, abs);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : abs;
}

/**
 * The CLI config (src/cli/config.ts) for operator `name`'s certificate: controller URL, ca,
 * cert, key. Written to `out` when given (refusing to overwrite without `force`).
 */
export async function writeOperatorConfig(dir: string, opts: OperatorConfigOptions): Promise<{ text: string; path?: string }> {
  const why = checkOperatorName(opts.name);
  if (why) throw new CredentialError(why, 2);
  const url = checkControllerUrl(opts.controller);
  if ("error" in url) throw new CredentialError(`--controller: ${url.error}`, 2);
  if (!url.https) throw new CredentialError(`--controller: a certificate needs an https:// URL, got ${url.url}`, 2);
  await requireDir(dir);
  const paths = credentialPaths(dir, "operator", opts.name);
  const pem = await readOptional(paths.cert);
  if (pem === null) throw new CredentialError(`no certificate for operator "${opts.name}" (${paths.cert}): \`cairn certs issue ${dir} --operator ${opts.name} --role viewer|admin\``);
  const role = subjectRole(parseCertificate(pem, paths.cert));
  const configDir = opts.out ? dirname(resolve(opts.out)) : null;
  const text = [
    `# Cairn CLI config for operator ${opts.name}${role ? ` (${role})` : ""}, written by \`cairn certs config\`.`,
    `# Paths are relative to this file's directory.`,
    `controller: ${JSON.stringify(url.url)}`,
    `ca: ${JSON.stringify(pathFrom(configDir, join(dir, CA_CERT)))}`,
    `cert: ${JSON.stringify(pathFrom(configDir, paths.cert))}`,
    `key: ${JSON.stringify(pathFrom(configDir, paths.key))}`,
    "",
  ].join("\n");
  if (!opts.out) return { text };
  if (!opts.force && (await exists(opts.out))) throw new CredentialError(`${opts.out} exists; --force overwrites it`);
  await mkdir(dirname(resolve(opts.out)), { recursive: true, mode: 0o700 });
  await writeFileAtomic(opts.out, text, SECRET_FILE_MODE);
  return { text, path: opts.out };
}

function subjectRole(cert: X509Certificate): string | null {
  const ou = cert.subject.split("\n").find((l) => l.startsWith("OU="));
  return ou ? ou.slice(3) : null;
}
