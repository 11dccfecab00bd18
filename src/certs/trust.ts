// What the controller reads from a credential directory: its TLS material, who a verified client
// certificate names, which bearer tokens are good, and what has been revoked. Token and
// revocation files are reloaded when they change (they are replaced by rename), so credentials
// rotate without a restart.
import { X509Certificate, createPrivateKey, timingSafeEqual } from "node:crypto";
import { watch as fsWatch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import type { PeerCertificate } from "node:tls";
import { basename, dirname, join } from "node:path";
import { ConfigFileError } from "../config/errors.js";
import type { ParseResult } from "../config/errors.js";
import { parseRevocations, parseTokens, type Revocations, type TokenRecord } from "./files.js";
import { CredentialError, readOptional } from "./fs-util.js";
import {
  AGENT_NAME,
  CA_CERT,
  OPERATOR_NAME,
  REVOKED_FILE,
  SERVER_CERT,
  SERVER_KEY,
  TOKENS_FILE,
  TOKEN_FORMAT,
  normaliseSerial,
  tokenHash,
  type OperatorRole,
  type Role,
} from "./names.js";

// ---- The controller's TLS material ----

export interface TrustStore {
  dir: string;
  caPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  /** The CA certificate (PEM): trust it for client certificates (tls `ca`). */
  caPem: string;
  /** The controller's certificate and key (PEM): tls `cert` and `key`. */
  serverCertPem: string;
  serverKeyPem: string;
  /** The server certificate's expiry, ms since the epoch. */
  serverNotAfterMs: number;
}

/** A file's group or other permission bits, for keys that must be private. */
async function checkPrivate(path: string): Promise<void> {
  const s = await stat(path);
  if ((s.mode & 0o077) !== 0) {
    throw new CredentialError(`${path} is accessible to other users (mode ${(s.mode & 0o777).toString(8).padStart(4, "0")}); chmod 600 it`);
  }
}

async function readRequired(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CredentialError(`${path}: no ${what} (\`cairn certs init ${dirname(path)}\` creates it)`);
    throw new CredentialError(`${path}: cannot read ${what}: ${code === "EACCES" ? "permission denied" : String(e)}`);
  }
}

export function parseCertificate(pem: string, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new CredentialError(`${path}: not a PEM certificate (${(e as Error).message})`);
  }
}

/** notAfter in ms (Node 20's X509Certificate has only the text form). */
export function notAfterMs(cert: X509Certificate): number {
  return Date.parse(cert.validTo);
}

export function notBeforeMs(cert: X509Certificate): number {
  return Date.parse(cert.validFrom);
}

/**
 * DIR/ca.crt, DIR/server.crt and DIR/server.key, checked: the key is private (no group or other
 * access) and matches the certificate, the CA signed the certificate, neither has expired.
 * Call again to pick up a rotated server certificate (watchFiles tells when).
 */
export async function loadTrustStore(dir: string, now: () => number = Date.now): Promise<TrustStore> {
  const caPath = join(dir, CA_CERT);
  const serverCertPath = join(dir, SERVER_CERT);
  const serverKeyPath = join(dir, SERVER_KEY);
  const caPem = await readRequired(caPath, "CA certificate");
  const serverCertPem = await readRequired(serverCertPath, "server certificate");
  const serverKeyPem = await readRequired(serverKeyPath, "server key");
  await checkPrivate(serverKeyPath);
  const ca = parseCertificate(caPem, caPath);
  const cert = parseCertificate(serverCertPem, serverCertPath);
  let key;
  try {
    key = createPrivateKey(serverKeyPem);
  } catch (e) {
    throw new CredentialError(`${serverKeyPath}: not a PEM private key (${(e as Error).message})`);
  }
  if (!cert.checkPrivateKey(key)) throw new CredentialError(`${serverKeyPath} is not the key of ${serverCertPath}`);
  if (!ca.ca) throw new CredentialError(`${caPath} is not a CA certificate`);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new CredentialError(`${serverCertPath} was not issued by ${caPath}`);
  const t = now();
  if (notAfterMs(ca) <= t) throw new CredentialError(`${caPath}: the CA expired on ${ca.validTo}`);
  if (notAfterMs(cert) <= t) throw new CredentialError(`${serverCertPath}: expired on ${cert.validTo} (\`cairn certs issue ${dir} --server\` issues a new one)`);
  return { dir, caPath, serverCertPath, serverKeyPath, caPem, serverCertPem, serverKeyPem, serverNotAfterMs: notAfterMs(cert) };
}

// ---- Identity of a verified client certificate ----

export interface Identity {
  /** The agent's host name, or the operator's name (the certificate's CN). */
  name: string;
  /** From the certificate's OU. */
  role: Role;
  /** The certificate's serial, normalised: check it with RevocationList.isRevoked. */
  serial: string;
}

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/**
 * Who a client certificate names: CN is the name, OU the role ("agent", "viewer", "admin"). null
 * for anything else: no certificate (getPeerCertificate() gives {} then), a CA certificate, one
 * without the clientAuth extended key usage (the server's), a subject with other or repeated
 * attributes, a name that breaks the naming rules.
 *
 * Only for a certificate the TLS layer has verified against ca.crt (rejectUnauthorized, or
 * socket.authorized): this reads the certificate, it does not check who signed it, its dates or
 * revocation (RevocationList).
 */
export function identityFromCertificate(cert: PeerCertificate | X509Certificate | null | undefined): Identity | null {
  if (!cert) return null;
  let x: X509Certificate;
  if (cert instanceof X509Certificate) x = cert;
  else {
    const raw = (cert as Partial<PeerCertificate>).raw;
    if (!raw || raw.length === 0) return null;
    try {
      x = new X509Certificate(raw);
    } catch {
      return null;
    }
  }
  if (x.ca) return null;
  const eku = x.keyUsage as string[] | undefined; // Node names the extended key usage so
  if (!Array.isArray(eku) || !eku.includes(CLIENT_AUTH)) return null;
  const attrs = new Map<string, string>();
  for (const line of x.subject.split("\n")) {
    const eq = line.indexOf("=");
    if (eq <= 0) return null;
    const k = line.slice(0, eq);
    if (attrs.has(k)) return null;
    attrs.set(k, line.slice(eq + 1));
  }
  const cn = attrs.get("CN");
  const ou = attrs.get("OU");
  if (attrs.size !== 2 || cn === undefined || ou === undefined) return null;
  const serial = normaliseSerial(x.serialNumber);
  if (serial === null) return null;
  if (ou === "agent") return AGENT_NAME.test(cn) ? { name: cn, role: "agent", serial } : null;
  if (ou === "viewer" || ou === "admin") return OPERATOR_NAME.test(cn) ? { name: cn, role: ou, serial } : null;
  return null;
}

// ---- Watching files that are replaced by rename ----

export interface Watcher {
  close(): void;
}

export interface WatchOptions {
  /** The slow poll that catches what fs.watch misses; default 5000 ms. */
  pollMs?: number;
  /** Changes closer together than this are read once; default 100 ms. */
  debounceMs?: number;
}

/**
 * Calls `onEvent` (debounced) when any of `paths` may have changed: fs.watch on their directories
 * (a rename over a file is an event of the directory, not of the old file) plus a slow poll of
 * their stat (inode, size, times). The callback decides whether anything really changed.
 */
export function watchFiles(paths: readonly string[], onEvent: () => void, opts: WatchOptions = {}): Watcher {
  const pollMs = opts.pollMs ?? 5000;
  const debounceMs = opts.debounceMs ?? 100;
  const names = new Map<string, Set<string>>();
  for (const p of paths) {
    const d = dirname(p);
    if (!names.has(d)) names.set(d, new Set());
    names.get(d)!.add(basename(p));
  }
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const schedule = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      if (!closed) onEvent();
    }, debounceMs);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const [d, files] of names) {
    try {
      const w = fsWatch(d, { persistent: false }, (_event, filename) => {
        if (filename === null || files.has(String(filename))) schedule();
      });
      w.on("error", () => w.close()); // the poll still runs
      watchers.push(w);
    } catch {
      // No inotify here (or the directory is gone): the poll alone.
    }
  }
  const stamp = async (p: string) => {
    try {
      const s = await stat(p, { bigint: true });
      return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    } catch {
      return "absent";
    }
  };
  const last = new Map<string, string>();
  let polling = false;
  const poll = async () => {
    if (polling || closed) return;
    polling = true;
    try {
      let changed = false;
      for (const p of paths) {
        const s = await stamp(p);
        if (last.has(p) && last.get(p) !== s) changed = true;
        last.set(p, s);
      }
      if (changed) schedule();
    } finally {
      polling = false;
    }
  };
  void poll();
  const interval = setInterval(() => void poll(), pollMs);
  interval.unref();
  return {
    close() {
      closed = true;
      clearInterval(interval);
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}

/** What a reload found: a new version of the file, or an error (the old contents stay in force). */
export type ReloadEvent = { ok: true; file: string } | { ok: false; file: string; error: Error };

/**
 * A YAML file of the credential directory, parsed strictly. A missing file is the empty value
 * (nothing issued, nothing revoked). An invalid file fails load(); on reload() it throws and the
 * previous contents stay in force.
 */
abstract class WatchedYaml<T> {
  protected value: T;
  private text: string | null = null;
  private pending: Promise<boolean> = Promise.resolve(false);

  protected constructor(
    readonly path: string,
    private readonly parse: (text: string, file: string) => ParseResult<T>,
    empty: T,
  ) {
    this.value = empty;
  }

  /** Called with each new valid version, before reload() resolves. */
  protected abstract loaded(value: T): void;

  /** Reads the file again; true when its contents changed. Throws ConfigFileError (file, line, field) when invalid. */
  reload(): Promise<boolean> {
    const run = async () => {
      let text: string | null;
      try {
        text = await readOptional(this.path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new ConfigFileError([{ file: this.path, line: 0, column: 0, field: "", reason: `cannot read file: ${code === "EACCES" ? "permission denied" : String(e)}` }]);
      }
      const normalised = text ?? "";
      if (this.text !== null && normalised === this.text) return false;
      const r = this.parse(normalised, this.path);
      if (!r.ok) throw new ConfigFileError(r.errors);
      this.value = r.value;
      this.text = normalised;
      this.loaded(r.value);
      return true;
    };
    // One read at a time, in order.
    this.pending = this.pending.then(run, run);
    return this.pending;
  }

  /**
   * Reloads when the file changes (watchFiles) and tells `onChange`: ok after a change that was
   * read, or the error of an invalid file (once per distinct error; the old contents stay).
   */
  watch(onChange: (e: ReloadEvent) => void, opts: WatchOptions = {}): Watcher {
    let lastError = "";
    return watchFiles(
      [this.path],
      () => {
        this.reload().then(
          (changed) => {
            lastError = "";
            if (changed) onChange({ ok: true, file: this.path });
          },
          (e: Error) => {
            if (e.message === lastError) return;
            lastError = e.message;
            onChange({ ok: false, file: this.path, error: e });
          },
        );
      },
      opts,
    );
  }
}

// ---- Revocations ----

/** DIR/revoked.yaml: serials of revoked certificates, names of revoked tokens. */
export class RevocationList extends WatchedYaml<Revocations> {
  private serials = new Set<string>();
  private tokenNames = new Set<string>();

  private constructor(path: string) {
    super(path, parseRevocations, { certificates: [], tokens: [] });
  }

  /** Loads DIR/revoked.yaml (absent: nothing revoked). Throws ConfigFileError when it is invalid. */
  static async open(dir: string): Promise<RevocationList> {
    const r = new RevocationList(join(dir, REVOKED_FILE));
    await r.reload();
    return r;
  }

  protected override loaded(value: Revocations): void {
    this.serials = new Set(value.certificates.map((c) => c.serial));
    this.tokenNames = new Set(value.tokens.map((t) => t.name));
  }

  /** Whether the certificate with this serial (hex, any case, leading zeros or colons allowed) is revoked. */
  isRevoked(serialHex: string): boolean {
    if (this.serials.size === 0) return false; // every open stream asks every second
    const s = normaliseSerial(serialHex);
    return s !== null && this.serials.has(s);
  }

  isTokenRevoked(name: string): boolean {
    return this.tokenNames.has(name);
  }

  get revocations(): Revocations {
    return this.value;
  }
}

// ---- Tokens ----

export type TokenVerdict = { name: string; role: OperatorRole } | { error: "unknown" | "expired" | "revoked" };

/**
 * DIR/tokens.yaml: bearer tokens by their SHA-256 hash. verify() hashes what the client sent and
 * compares it with every stored hash in constant time (no early exit), then checks revocation
 * (by the token's name, in the RevocationList given) and expiry.
 */
export class TokenStore extends WatchedYaml<TokenRecord[]> {
  private hashes: { record: TokenRecord; hash: Buffer }[] = [];

  private constructor(
    path: string,
    private readonly revocations: RevocationList,
    private readonly now: () => number,
  ) {
    super(path, parseTokens, []);
  }

  /** Loads DIR/tokens.yaml (absent: no tokens). Throws ConfigFileError when it is invalid. */
  static async open(dir: string, revocations: RevocationList, opts: { now?: () => number } = {}): Promise<TokenStore> {
    const s = new TokenStore(join(dir, TOKENS_FILE), revocations, opts.now ?? Date.now);
    await s.reload();
    return s;
  }

  protected override loaded(value: TokenRecord[]): void {
    this.hashes = value.map((record) => ({ record, hash: Buffer.from(record.sha256, "hex") }));
  }

  /** `token` as the client sent it (without "Bearer "). */
  verify(token: string): TokenVerdict {
    // The format is public; only a well-formed token is hashed and compared.
    if (!TOKEN_FORMAT.test(token)) return { error: "unknown" };
    const presented = Buffer.from(tokenHash(token), "hex");
    let match: TokenRecord | null = null;
    for (const { record, hash } of this.hashes) {
      if (timingSafeEqual(presented, hash)) match = record;
    }
    if (match === null) return { error: "unknown" };
    if (this.revocations.isTokenRevoked(match.name)) return { error: "revoked" };
    if (match.expiresMs <= this.now()) return { error: "expired" };
    return { name: match.name, role: match.role };
  }

  get tokens(): readonly TokenRecord[] {
    return this.value;
  }
}

/** Both stores of a credential directory, loaded. */
export async function openCredentialStores(dir: string, opts: { now?: () => number } = {}): Promise<{ revocations: RevocationList; tokens: TokenStore }> {
  const revocations = await RevocationList.open(dir);
  const tokens = await TokenStore.open(dir, revocations, opts);
  return { revocations, tokens };
}
