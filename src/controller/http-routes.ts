// Plain HTTP routes served beside the Connect API on the same listeners (the web UI, /metrics):
// each request whose path a route claims goes to it, with its caller, and never reaches the adapter.
import type { Handler, NodeRequest, NodeResponse } from "./request-guard.js";
import type { Principal, Role } from "./principal.js";
import { sendText } from "../metrics/exposition.js";

export { sendText };

export interface HttpRequestContext {
  /** Who is calling (server.ts authenticates every request the same way). */
  principal: Principal;
  /** An open controller (no TLS, loopback only): every caller may do everything, as with the API. */
  open: boolean;
}

export interface HttpRoute {
  /** Whether the route answers this path (the URL without its query). */
  matches(path: string): boolean;
  handle(req: NodeRequest, res: NodeResponse, ctx: HttpRequestContext): void | Promise<void>;
}

/** Null when the caller may use something open to `roles`; else the status and message to answer. */
export function httpRefusal(ctx: HttpRequestContext, roles: readonly Role[]): { status: 401 | 403; message: string } | null {
  if (ctx.open) return null;
  const p = ctx.principal;
  if (p.role === null) return { status: 401, message: `not authenticated: ${p.refused ?? "present a client certificate or a bearer token"}` };
  if (!roles.includes(p.role)) return { status: 403, message: `${p.role} ${p.name} may not use it (allowed: ${roles.join(", ")})` };
  return null;
}


/** `next` for every request no route claims. */
export function withHttpRoutes(routes: readonly HttpRoute[], next: Handler, contextOf: (req: NodeRequest) => HttpRequestContext): Handler {
  if (routes.length === 0) return next;
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const route = routes.find((r) => r.matches(path));
    if (!route) return next(req, res);
    Promise.resolve()
      .then(() => route.handle(req, res, contextOf(req)))
      .catch((e: unknown) => sendText(res, 500, `internal error: ${e instanceof Error ? e.message : String(e)}`));
  };
}
