// Who is calling: set by the transport for every request (server.ts) from the connection's client
// certificate or the request's bearer token, read by the service for authorisation, rate limits
// and the audit log.
import { createContextKey } from "@connectrpc/connect";

export type Role = "agent" | "viewer" | "admin";

export interface Principal {
  /** An agent's host name, an operator's name; "anonymous" when nothing identified the caller. */
  name: string;
  /** null: no role (an unauthenticated caller on a cleartext loopback listener gets admin only when asked for). */
  role: Role | null;
  /** How the caller was identified. */
  via: "certificate" | "token" | "session" | "none";
  /** The connection's remote address, "[addr]:port". */
  peer: string;
  /** Why credentials it presented were refused (then role is null). */
  refused?: string;
  /** Checks the same credentials again (revoked or expired since?): null while they hold, else why not. */
  stillValid?: () => string | null;
}

export const ANONYMOUS: Principal = { name: "anonymous", role: null, via: "none", peer: "unknown" };

export const kPrincipal = createContextKey<Principal>(ANONYMOUS);

/** "admin alice (certificate) from [::1]:40000": for logs and the audit log. */
export function describePrincipal(p: Principal): string {
  return `${p.role ?? "no role"} ${p.name} (${p.via}) from ${p.peer}`;
}
