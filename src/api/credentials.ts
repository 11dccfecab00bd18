// What a client presents to the controller: the CA it trusts for the controller's certificate, a
// client certificate (agents, operators) and/or a bearer token (operators). Shared by the operator
// client and the agent's link, so both speak to a TLS controller the same way.
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
