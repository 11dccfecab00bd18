// The web UI's logins: an operator with a certificate or token asks for a one-time login token
// (CreateUiLogin, `cairn ui`); the browser that opens the login link with it within a minute gets a
// session cookie carrying the operator's name and role. Browsers present neither client
// certificates nor bearer tokens easily, and a long-lived secret in a URL would sit in histories.
// Sessions live in this controller's memory: a restart logs the browsers out.
import { randomBytes } from "node:crypto";
import type { Principal, Role } from "./principal.js";

export const UI_LOGIN_TOKEN_MS = 60_000;
export const UI_SESSION_MS = 12 * 3_600_000;
export const UI_SESSION_COOKIE = "cairn_session";
/** Bounds on what a caller can make the controller keep (each entry is a few hundred bytes). */
const MAX_PENDING_LOGINS = 1_000;
const MAX_SESSIONS = 10_000;

interface Grant {
  name: string;
  role: Role;
  /** The operator's credentials, checked again on every use of the session (revoked since?). */
  stillValid?: () => string | null;
  expiresMs: number;
}

export interface UiLogin {
  token: string;
  expiresInMs: number;
  sessionMs: number;
}

export type Redeemed = { ok: true; sessionId: string; sessionMs: number; name: string; role: Role } | { ok: false; reason: string };

const secret = () => randomBytes(32).toString("base64url");

export class UiSessions {
  private readonly logins = new Map<string, Grant>();
  private readonly sessions = new Map<string, Grant>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly tokenMs = UI_LOGIN_TOKEN_MS,
    private readonly sessionMs = UI_SESSION_MS,
  ) {}

  /** A one-time login token for `p` (an operator identified by certificate or token). */
  mint(p: Principal): UiLogin {
    if (p.role === null) throw new Error("only an authenticated caller can log a browser in");
    this.prune(this.logins);
    if (this.logins.size >= MAX_PENDING_LOGINS) throw new Error(`${MAX_PENDING_LOGINS} login links are waiting to be used; try again in a minute`);
    const token = secret();
    this.logins.set(token, { name: p.name, role: p.role, ...(p.stillValid ? { stillValid: p.stillValid } : {}), expiresMs: this.now() + this.tokenMs });
    return { token, expiresInMs: this.tokenMs, sessionMs: this.sessionMs };
  }

  /** Uses a login token (once): a new session, or why not. */
  redeem(token: string): Redeemed {
    const grant = this.logins.get(token);
    this.logins.delete(token);
    if (!grant || grant.expiresMs <= this.now()) return { ok: false, reason: "this login link is unknown, expired (links last a minute) or already used" };
    const revoked = grant.stillValid?.();
    if (revoked) return { ok: false, reason: `the credentials that made this login link no longer hold: ${revoked}` };
    this.prune(this.sessions);
    if (this.sessions.size >= MAX_SESSIONS) return { ok: false, reason: `${MAX_SESSIONS} web UI sessions are open already` };
    const sessionId = secret();
    this.sessions.set(sessionId, { ...grant, expiresMs: this.now() + this.sessionMs });
    return { ok: true, sessionId, sessionMs: this.sessionMs, name: grant.name, role: grant.role };
  }

  /** The caller a session cookie stands for; refused (role null, with why) when it expired or its credentials went. */
  principal(sessionId: string, peer: string): Principal {
    const grant = this.sessions.get(sessionId);
    const refused = (why: string): Principal => ({ name: "session", role: null, via: "session", peer, refused: `web UI session refused: ${why}; run \`cairn ui\` for a new login link` });
    if (!grant) return refused("unknown (the controller restarted, or the session was never made here)");
    const stillValid = (): string | null => {
      if (grant.expiresMs <= this.now()) return "expired";
      return grant.stillValid?.() ?? null;
    };
    const why = stillValid();
    if (why) {
      this.sessions.delete(sessionId);
      return refused(why);
    }
    return { name: grant.name, role: grant.role, via: "session", peer, stillValid };
  }

  /** Ends a session (logout). */
  end(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  private prune(m: Map<string, Grant>): void {
    const now = this.now();
    for (const [k, g] of m) if (g.expiresMs <= now) m.delete(k);
  }
}

/** The value of cookie `name` in a Cookie header, or null. */
export function cookieValue(header: string | string[] | undefined, name: string): string | null {
  for (const line of Array.isArray(header) ? header : header ? [header] : []) {
    for (const part of line.split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
  }
  return null;
}
