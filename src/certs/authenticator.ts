// The controller's side of a credential directory (`cairn controller --tls-dir DIR`): its TLS
// material (server.crt, server.key, ca.crt as the client CA) and an Authenticator that names the
// caller of every request from its verified client certificate or bearer token. Revocation and
// validity are checked on every call, not only at the handshake, so a certificate revoked (or
// expired) while its HTTP/2 connection stays open is refused on that connection's next call.
// Files are watched: a changed tokens.yaml or revoked.yaml applies to the next call, a rotated
// server certificate or CA to the next connection.
import type { X509Certificate } from "node:crypto";
import { join } from "node:path";
import type { Authenticator, Identity } from "../controller/authn.js";
import type { TlsMaterial } from "../controller/server.js";
import { CA_CERT, SERVER_CERT, SERVER_KEY, isoTime } from "./names.js";
import {
  identityFromCertificate,
  loadTrustStore,
  notAfterMs,
  notBeforeMs,
  openCredentialStores,
  watchFiles,
  type ReloadEvent,
  type RevocationList,
  type TokenStore,
  type TrustStore,
  type Watcher,
  type WatchOptions,
} from "./trust.js";

export interface CredentialDirOptions {
  /** ms since the epoch, for certificate and token validity; default Date.now. */
  now?: () => number;
}

function material(t: TrustStore): TlsMaterial {
  return { cert: t.serverCertPem, key: t.serverKeyPem, clientCa: t.caPem };
}

/** A credential directory as the controller uses it. Open with CredentialDirectory.open. */
const parsed = new WeakMap<X509Certificate, { id: ReturnType<typeof identityFromCertificate>; notBefore: number; notAfter: number }>();

export class CredentialDirectory implements Authenticator {
  private constructor(
    readonly dir: string,
    private trust: TrustStore,
    readonly revocations: RevocationList,
    readonly tokens: TokenStore,
    private readonly now: () => number,
  ) {}

  /**
   * Reads and checks DIR/ca.crt, server.crt, server.key (0600), tokens.yaml and revoked.yaml (absent:
   * none). Throws CredentialError (what, where, why) or ConfigFileError (file, line, field).
   */
  static async open(dir: string, opts: CredentialDirOptions = {}): Promise<CredentialDirectory> {
    const now = opts.now ?? Date.now;
    const trust = await loadTrustStore(dir, now);
    const { revocations, tokens } = await openCredentialStores(dir, { now });
    return new CredentialDirectory(dir, trust, revocations, tokens, now);
  }

  /** The controller's TLS material now (ControllerSecurity.tls). */
  get tls(): TlsMaterial {
    return material(this.trust);
  }

  certificate(cert: X509Certificate): Identity {
    // What a certificate says is read once per certificate object: an open stream re-checks it every second.
    let read = parsed.get(cert);
    if (!read) parsed.set(cert, (read = { id: identityFromCertificate(cert), notBefore: notBeforeMs(cert), notAfter: notAfterMs(cert) }));
    const { id, notBefore, notAfter } = read;
    if (!id) return { error: "not a Cairn client certificate (CN=NAME, OU=agent|viewer|admin, extended key usage clientAuth)" };
    if (this.revocations.isRevoked(id.serial)) return { error: `certificate serial ${id.serial} of ${id.role} ${id.name} is revoked` };
    const t = this.now();
    if (t < notBefore) return { error: `certificate of ${id.role} ${id.name} is not valid before ${isoTime(notBefore)}` };
    if (t >= notAfter) return { error: `certificate of ${id.role} ${id.name} expired on ${isoTime(notAfter)}` };
    return { name: id.name, role: id.role };
  }

  token(token: string): Identity {
    const v = this.tokens.verify(token);
    if ("error" in v) return { error: v.error === "unknown" ? "unknown token" : `token is ${v.error}` };
    return { name: v.name, role: v.role };
  }

  /**
   * Watches the directory until close(): tokens.yaml and revoked.yaml are reloaded in place;
   * a changed ca.crt, server.crt or server.key is loaded, checked, and handed to `reloadTls` (the
   * controller's handle.reloadTls). A file that turns invalid is logged and the old contents
   * stay in force.
   */
  watch(reloadTls: (m: TlsMaterial) => void, log: (line: string) => void, opts: WatchOptions = {}): Watcher {
    const report = (what: string) => (e: ReloadEvent) => {
      if (e.ok) log(`${what} reloaded from ${e.file}`);
      else log(`${what} not reloaded, the previous one stays in force: ${e.error.message}`);
    };
    const watchers: Watcher[] = [this.revocations.watch(report("revocation list"), opts), this.tokens.watch(report("tokens"), opts)];
    const paths = [CA_CERT, SERVER_CERT, SERVER_KEY].map((f) => join(this.dir, f));
    let lastError = "";
    let retry: NodeJS.Timeout | null = null;
    let closed = false;
    const reload = async (again: boolean) => {
      try {
        const next = await loadTrustStore(this.dir, this.now);
        if (closed) return;
        lastError = "";
        const m = material(next);
        const old = this.tls;
        if (m.cert === old.cert && m.key === old.key && m.clientCa === old.clientCa) return;
        this.trust = next;
        reloadTls(m);
        log(`TLS material reloaded from ${this.dir} (server certificate valid until ${isoTime(next.serverNotAfterMs)})`);
      } catch (e) {
        if (closed) return;
        // A rotation writes the key, then the certificate: between the two they do not match. Look
        // again shortly before calling it an error.
        if (again) {
          retry ??= setTimeout(() => {
            retry = null;
            void reload(false);
          }, 500);
          retry.unref();
          return;
        }
        const message = (e as Error).message;
        if (message !== lastError) log(`TLS material not reloaded, the previous one stays in force: ${message}`);
        lastError = message;
      }
    };
    watchers.push(watchFiles(paths, () => void reload(true), opts));
    return {
      close() {
        closed = true;
        if (retry) clearTimeout(retry);
        for (const w of watchers) w.close();
      },
    };
  }
}
