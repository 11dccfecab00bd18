// Who is calling, from the connection's client certificate (verified against the client CA by
// TLS) or the request's bearer token. The credential stores themselves (CA, tokens, revocations)
// are the Authenticator's business (src/certs); this only reads the request.
import type * as http from "node:http";
import type * as http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import type { Principal, Role } from "./principal.js";
import { cookieValue, UI_SESSION_COOKIE, type UiSessions } from "./ui-sessions.js";

export type Identity = { name: string; role: Role } | { error: string };

export interface Authenticator {
  /** The identity of a client certificate that chained to the client CA (revoked or foreign: an error). */
  certificate(cert: import("node:crypto").X509Certificate): Identity;
  /** The identity of a bearer token (unknown, expired, revoked: an error). */
  token(token: string): Identity;
}

type Request = http.IncomingMessage | http2.Http2ServerRequest;

function tlsSocketOf(req: Request): TLSSocket | null {
  const s = ("stream" in req ? req.stream.session?.socket : req.socket) as Partial<TLSSocket> | undefined;
  return s && typeof s.getPeerX509Certificate === "function" ? (s as TLSSocket) : null;
}

function bearer(req: Request): string | null {
  const h = req.headers["authorization"];
  const v = Array.isArray(h) ? h[0] : h;
  const m = v ? /^Bearer\s+(\S+)\s*$/i.exec(v) : null;
  return m ? m[1]! : null;
}

/** OpenSSL's verification codes, as TLS reports them, in words (the code kept for searching). */
const VERIFY_ERRORS: Record<string, string> = {
  CERT_HAS_EXPIRED: "certificate has expired",
  CERT_NOT_YET_VALID: "certificate is not yet valid",
  UNABLE_TO_GET_ISSUER_CERT: "not signed by the client CA",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "not signed by the client CA",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "not signed by the client CA",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed, not signed by the client CA",
  CERT_SIGNATURE_FAILURE: "bad signature",
  INVALID_PURPOSE: "not a client certificate (extended key usage)",
};

function verifyError(e: unknown): string {
  if (e === undefined || e === null) return "not signed by the client CA";
  const code = e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);
  const words = VERIFY_ERRORS[code];
  return words ? `${words} (${code})` : code;
}

const errorOf = (id: Identity): string | null => ("error" in id ? id.error : null);

/**
 * Each connection's peer certificate, read once: getPeerX509Certificate() builds a new object per
 * call, and the Authenticator keeps what it read of a certificate per object.
 */
const peerCertificates = new WeakMap<TLSSocket, import("node:crypto").X509Certificate | undefined>();

function peerCertificate(socket: TLSSocket): import("node:crypto").X509Certificate | undefined {
  if (!peerCertificates.has(socket)) peerCertificates.set(socket, socket.getPeerX509Certificate());
  return peerCertificates.get(socket);
}

/** The caller of `req`: its certificate if it presented one, else its token, else its web UI session cookie, else nobody. */
export function authenticate(req: Request, auth: Authenticator, peer: string, sessions?: UiSessions): Principal {
  const socket = tlsSocketOf(req);
  const cert = socket ? peerCertificate(socket) : undefined;
  if (socket && cert) {
    if (!socket.authorized) return { name: cert.subject.replace(/\n/g, ","), role: null, via: "certificate", peer, refused: `client certificate refused: ${verifyError(socket.authorizationError)}` };
    const id = auth.certificate(cert);
    if ("error" in id) return { name: cert.subject.replace(/\n/g, ","), role: null, via: "certificate", peer, refused: `client certificate refused: ${id.error}` };
    return { name: id.name, role: id.role, via: "certificate", peer, stillValid: () => errorOf(auth.certificate(cert)) };
  }
  const token = bearer(req);
  if (token !== null) {
    const id = auth.token(token);
    if ("error" in id) return { name: "token", role: null, via: "token", peer, refused: `bearer token refused: ${id.error}` };
    return { name: id.name, role: id.role, via: "token", peer, stillValid: () => errorOf(auth.token(token)) };
  }
  const session = sessions ? cookieValue(req.headers["cookie"], UI_SESSION_COOKIE) : null;
  if (session !== null) return sessions!.principal(session, peer);
  return { name: "anonymous", role: null, via: "none", peer };
}
