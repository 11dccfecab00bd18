// What a client presents to the controller: the CA it trusts for the controller's certificate, a
// client certificate (agents, operators) and/or a bearer token (operators). Shared by the operator
// client and the agent's link, so both speak to a TLS controller the same way.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import type { SecureClientSessionOptions } from "node:http2";
import type { Interceptor } from "@connectrpc/connect";
import { Http2SessionManager, type Http2SessionOptions } from "@connectrpc/connect-node";

export interface ClientCredentials {
  /** PEM of the CA that signed the controller's certificate (for https URLs; default: the system's). */
  ca?: string;
  /** PEM client certificate and its key (mutual TLS). */
  cert?: string;
  key?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
}

/** An HTTP/2 connection manager for `baseUrl` that presents `creds` in its TLS handshake. */
export function sessionManagerFor(baseUrl: string, creds: ClientCredentials = {}, ping?: Http2SessionOptions): Http2SessionManager {
  const tls: SecureClientSessionOptions = {
    ...(creds.ca ? { ca: creds.ca } : {}),
    ...(creds.cert ? { cert: creds.cert } : {}),
    ...(creds.key ? { key: creds.key } : {}),
  };
  return new Http2SessionManager(baseUrl, ping, tls);
}

/** The bearer token on every call, if there is one. */
export function credentialInterceptors(creds: ClientCredentials = {}): Interceptor[] {
  if (!creds.token) return [];
  const value = `Bearer ${creds.token}`;
  return [
    (next) => async (req) => {
      req.header.set("authorization", value);
      return next(req);
    },
  ];
}

/** Paths of the PEM files a client presents (a config file's or the agent's flags). */
export interface CredentialFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/** A credential file that cannot be used; `which` names it, for the caller to point at its source. */
export class CredentialFileError extends Error {
  constructor(
    readonly which: keyof CredentialFiles,
    message: string,
  ) {
    super(message);
    this.name = "CredentialFileError";
  }
}

async function readPem(which: keyof CredentialFiles, path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a directory" : String(e);
    throw new CredentialFileError(which, `cannot read ${what} ${path}: ${why}`);
  }
}

/**
 * Reads and checks the files: the CA is a certificate, cert and key come together and match.
 * Warnings: a private key other users can read. Throws CredentialFileError.
 */
export async function loadCredentialFiles(files: CredentialFiles): Promise<{ credentials: ClientCredentials; certificate?: X509Certificate; warnings: string[] }> {
  const credentials: ClientCredentials = {};
  const warnings: string[] = [];
  let certificate: X509Certificate | undefined;
  if (files.ca !== undefined) {
    const ca = await readPem("ca", files.ca, "CA certificate");
    try {
      new X509Certificate(ca);
    } catch {
      throw new CredentialFileError("ca", `${files.ca} is not a PEM certificate`);
    }
    credentials.ca = ca;
  }
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new CredentialFileError(files.cert === undefined ? "key" : "cert", files.cert === undefined ? "a key needs its certificate (cert)" : "a certificate needs its private key (key)");
  }
  if (files.cert !== undefined && files.key !== undefined) {
    const cert = await readPem("cert", files.cert, "client certificate");
    const key = await readPem("key", files.key, "client key");
    try {
      certificate = new X509Certificate(cert);
    } catch {
      throw new CredentialFileError("cert", `${files.cert} is not a PEM certificate`);
    }
    let k;
    try {
      k = createPrivateKey(key);
    } catch {
      throw new CredentialFileError("key", `${files.key} is not a PEM private key (or it is encrypted)`);
    }
    if (!certificate.checkPrivateKey(k)) throw new CredentialFileError("key", `${files.key} is not the key of ${files.cert}`);
    const mode = (await stat(files.key)).mode & 0o777;
    if ((mode & 0o077) !== 0) warnings.push(`${files.key} (a private key) is accessible to other users (mode ${mode.toString(8).padStart(4, "0")}); chmod 600 it`);
    credentials.cert = cert;
    credentials.key = key;
  }
  return { credentials, ...(certificate ? { certificate } : {}), warnings };
}
