// Who may call what. Authentication (server.ts) puts a Principal on every request; this decides,
// per RPC, whether its role may call it, and, for the agent's own RPCs, whether it speaks for the
// host it names. Pure apart from the log line a refusal leaves.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { describePrincipal, kPrincipal, type Principal, type Role } from "./principal.js";
import type { RejectionCounts } from "./rejections.js";

/**
 * The roles allowed to call each RPC (by its local name). An RPC missing here is admin only, so a
 * new one is never open by accident. Agents call only their own three; operators never act as agents.
 */
export const ACCESS: Readonly<Record<string, readonly Role[]>> = {
  Subscribe: ["agent"],
  AgentSession: ["agent"],
  ReportStatus: ["agent"],
  ListIntents: ["viewer", "admin"],
  ListPaths: ["viewer", "admin"],
  ListLinks: ["viewer", "admin"],
  ListEvents: ["viewer", "admin"],
  WatchEvents: ["viewer", "admin"],
  ValidateIntents: ["viewer", "admin"],
  GetTopology: ["viewer", "admin"],
  ApplyIntents: ["admin"],
  ChangeTopology: ["admin"],
  CreateUiLogin: ["viewer", "admin"],
  WhoAmI: ["agent", "viewer", "admin"],
  ListLabFaults: ["viewer", "admin"],
  InjectLabFault: ["admin"],
  HealLabFault: ["admin"],
};

export function allowedRoles(method: string): readonly Role[] {
  return ACCESS[method] ?? ["admin"];
}

/** Null when `p` may call `method`; else the refusal, with the code to answer. */
export function refusal(p: Principal, method: string): ConnectError | null {
  if (p.role === null) {
    const why = p.refused ?? "present a client certificate or a bearer token";
    return new ConnectError(`${method}: not authenticated: ${why}`, Code.Unauthenticated);
  }
  const roles = allowedRoles(method);
  if (roles.includes(p.role)) return null;
  return new ConnectError(`${method}: ${p.role} ${p.name} may not call it (allowed: ${roles.join(", ")})`, Code.PermissionDenied);
}

/** Server interceptor: refuses a call its principal may not make, and logs (and counts) it. */
export function authorisation(log: (line: string) => void, rejections?: RejectionCounts): Interceptor {
  return (next) => async (req) => {
    const p = req.contextValues.get(kPrincipal);
    const e = refusal(p, req.method.name);
    if (e) {
      log(`refused ${req.method.name} for ${describePrincipal(p)}: ${e.rawMessage}`);
      rejections?.count(e.code === Code.Unauthenticated ? "unauthenticated" : "forbidden");
      throw e;
    }
    return next(req);
  };
}

/**
 * An agent may subscribe to, report on and acknowledge only its own host. Called by those RPCs
 * with the host the request names; `enforced` is false on an open (unauthenticated) controller.
 */
export function checkOwnHost(p: Principal, host: string, method: string, enforced: boolean, log: (line: string) => void, rejections?: RejectionCounts): void {
  if (!enforced || (p.role === "agent" && p.name === host)) return;
  const e = new ConnectError(`${method}: ${p.role ?? "anonymous"} ${p.name} may not act for host "${host}"`, Code.PermissionDenied);
  log(`refused ${method} for ${describePrincipal(p)}: ${e.rawMessage}`);
  rejections?.count("forbidden");
  throw e;
}
