// /ui/login?token=…: turns a one-time login token (CreateUiLogin, `cairn ui`) into the browser's
// session cookie and sends it on to the UI; /ui/logout ends the session.
import type { TLSSocket } from "node:tls";
import type { HttpRoute } from "./http-routes.js";
import { sendText } from "./http-routes.js";
import { cookieValue, UI_SESSION_COOKIE, type UiSessions } from "./ui-sessions.js";

export const UI_LOGIN_PATH = "/ui/login";
export const UI_LOGOUT_PATH = "/ui/logout";
const UI_HOME = "/ui/";

export function uiLoginRoute(sessions: UiSessions, log: (line: string) => void): HttpRoute {
  return {
    matches: (path) => path === UI_LOGIN_PATH || path === UI_LOGOUT_PATH,
    handle(req, res, ctx) {
      const url = new URL(req.url ?? "/", "http://controller");
      const secure = (req.socket as Partial<TLSSocket>).encrypted === true;
      const cookie = (value: string, maxAgeS: number) =>
        `${UI_SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? "; Secure" : ""}`;
      const noStore = { "cache-control": "no-store", "referrer-policy": "no-referrer" };
      if (url.pathname === UI_LOGOUT_PATH) {
        if (req.method !== "POST") return sendText(res, 405, "log out with POST", { allow: "POST" });
        const id = cookieValue(req.headers["cookie"], UI_SESSION_COOKIE);
        if (id !== null) sessions.end(id);
        res.writeHead(204, { ...noStore, "set-cookie": cookie("", 0) });
        return void res.end();
      }
      if (req.method !== "GET") return sendText(res, 405, "open the login link with GET", { allow: "GET" });
      // An open controller lets everyone in: there is nothing to log in to.
      if (ctx.open) {
        res.writeHead(303, { ...noStore, location: UI_HOME });
        return void res.end();
      }
      const token = url.searchParams.get("token");
      if (!token) return sendText(res, 400, "this login link has no token; run `cairn ui` for a new one", noStore);
      const r = sessions.redeem(token);
      if (!r.ok) {
        log(`web UI login refused from ${ctx.principal.peer}: ${r.reason}`);
        return sendText(res, 401, `${r.reason}; run \`cairn ui\` for a new login link`, noStore);
      }
      log(`web UI login: ${r.role} ${r.name} from ${ctx.principal.peer}`);
      res.writeHead(303, { ...noStore, "set-cookie": cookie(r.sessionId, Math.floor(r.sessionMs / 1000)), location: UI_HOME });
      res.end();
    },
  };
}
