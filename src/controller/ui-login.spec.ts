// The web UI's login over real TLS and HTTP/2 (runController with a credential directory): a one-time
// link made with a token or certificate becomes a browser session cookie with the maker's role; the
// session is refused once expired, revoked, logged out or forged; the lab RPCs need a lab.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { createOperatorClient } from "../api/client.js";
import type { ClientCredentials } from "../api/credentials.js";
import { revoke } from "../certs/authority.js";
import { copyPki, makeTestPki, pemCredentials, scratchDir, type TestPki } from "../certs/testing.js";
import { serveController } from "./testing.js";
import { UI_SESSION_COOKIE } from "./ui-sessions.js";

let template: Promise<TestPki> | undefined;
/** One PKI for the file (openssl is slow), copied per test. */
async function pki(t: TestContext): Promise<TestPki> {
  template ??= (async () => makeTestPki(await scratchDir({ after: () => {} } as unknown as TestContext, "cairn-ui-pki-")))();
  return copyPki(t, await template);
}

interface Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

/** One HTTP/2 request over TLS, as a browser would send it (no client certificate). */
async function request(url: string, ca: string, path: string, o: { method?: string; cookie?: string; body?: string } = {}): Promise<Answer> {
  const session = http2.connect(url, { ca });
  try {
    return await new Promise<Answer>((resolve, reject) => {
      session.on("error", reject);
      const headers: http2.OutgoingHttpHeaders = { ":method": o.method ?? "GET", ":path": path };
      if (o.cookie) headers["cookie"] = o.cookie;
      if (o.body !== undefined) headers["content-type"] = "application/json";
      const req = session.request(headers);
      let status = 0;
      let got: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      req.on("response", (h) => {
        status = Number(h[":status"]);
        got = h;
      });
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve({ status, headers: got, body: Buffer.concat(chunks).toString("utf8") }));
      req.on("error", reject);
      req.end(o.body);
    });
  } finally {
    session.close();
  }
}

/** A Connect JSON call as the web UI makes it: same origin, the session cookie, no other credential. */
const call = (url: string, ca: string, method: string, cookie: string, body = "{}") => request(url, ca, `/cairn.v1.CairnService/${method}`, { method: "POST", cookie, body });

async function loginLink(t: TestContext, url: string, credentials: ClientCredentials): Promise<{ loginPath: string; role: string; name: string; expiresInMs: number }> {
  const c = createOperatorClient(url, { credentials, timeoutMs: 5_000 });
  t.after(() => c.close());
  return c.createUiLogin();
}

/** Opens a login link; the session cookie ("cairn_session=…") it set. */
async function logIn(url: string, ca: string, loginPath: string): Promise<string> {
  const r = await request(url, ca, loginPath);
  assert.equal(r.status, 303, r.body);
  assert.equal(r.headers["location"], "/ui/");
  const set = String(r.headers["set-cookie"]);
  assert.match(set, /HttpOnly/);
  assert.match(set, /SameSite=Strict/);
  assert.match(set, /Secure/);
  return set.split(";")[0]!;
}

test("a login link made with an admin token logs a browser in as that admin, once", async (t) => {
  const p = await pki(t);
  const url = (await serveController(t, { tlsDir: p.dir })).urls[0]!;
  const { ca } = await pemCredentials(p.dir, "agent", "h1");
  const link = await loginLink(t, url, { ca, token: p.tokens.admin });
  assert.deepEqual([link.role, link.name, link.expiresInMs], ["admin", "ci", 60_000]);
  assert.match(link.loginPath, /^\/ui\/login\?token=[A-Za-z0-9_-]{43}$/);

  const cookie = await logIn(url, ca, link.loginPath);
  const who = await call(url, ca, "WhoAmI", cookie);
  assert.equal(who.status, 200, who.body);
  const me = JSON.parse(who.body) as { name: string; role: string; via: string; allowed: string[] };
  assert.deepEqual([me.name, me.role, me.via], ["ci", "admin", "session"]);
  assert.ok(me.allowed.includes("ApplyIntents") && me.allowed.includes("InjectLabFault"));
  assert.equal((await call(url, ca, "ListLinks", cookie)).status, 200);

  const again = await request(url, ca, link.loginPath);
  assert.equal(again.status, 401, "a link works once");
  assert.match(again.body, /unknown, expired .* or already used; run `cairn ui`/);
  assert.equal(again.headers["set-cookie"], undefined);
});

test("a viewer's session reads but may not apply, inject faults or make further login links", async (t) => {
  const p = await pki(t);
  const url = (await serveController(t, { tlsDir: p.dir })).urls[0]!;
  const credentials = await pemCredentials(p.dir, "operator", "vera");
  const link = await loginLink(t, url, credentials);
  assert.deepEqual([link.role, link.name], ["viewer", "vera"]);
  const cookie = await logIn(url, credentials.ca, link.loginPath);

  const me = JSON.parse((await call(url, credentials.ca, "WhoAmI", cookie)).body) as { role: string; allowed: string[] };
  assert.equal(me.role, "viewer");
  assert.ok(!me.allowed.includes("ApplyIntents"));
  assert.equal((await call(url, credentials.ca, "ListPaths", cookie)).status, 200);
  const apply = await call(url, credentials.ca, "ApplyIntents", cookie, JSON.stringify({ baseRevision: "1", intents: [] }));
  assert.equal(apply.status, 403, apply.body);
  assert.match(apply.body, /ApplyIntents: viewer vera may not call it/);
  assert.equal((await call(url, credentials.ca, "InjectLabFault", cookie, JSON.stringify({ kind: "down", target: "r2" }))).status, 403);
  const mint = await call(url, credentials.ca, "CreateUiLogin", cookie);
  assert.equal(mint.status, 403);
  assert.match(mint.body, /a web UI session cannot make login links/);
});

test("sessions end: when the token that made them is revoked, on logout, and a forged cookie is nobody", async (t) => {
  const p = await pki(t);
  const url = (await serveController(t, { tlsDir: p.dir })).urls[0]!;
  const { ca } = await pemCredentials(p.dir, "agent", "h1");
  const cookie = await logIn(url, ca, (await loginLink(t, url, { ca, token: p.tokens.admin })).loginPath);
  const other = await logIn(url, ca, (await loginLink(t, url, { ca, token: p.tokens.viewer })).loginPath);

  const forged = await call(url, ca, "ListLinks", `${UI_SESSION_COOKIE}=${"A".repeat(43)}`);
  assert.equal(forged.status, 401);
  assert.match(forged.body, /web UI session refused: unknown/);

  assert.equal((await request(url, ca, "/ui/logout", { method: "POST", cookie: other })).status, 204);
  assert.equal((await call(url, ca, "ListLinks", other)).status, 401, "logged out");

  await revoke(p.dir, { token: "ci" });
  let r = await call(url, ca, "ListLinks", cookie);
  for (const deadline = Date.now() + 5_000; r.status === 200 && Date.now() < deadline; ) {
    await new Promise((res) => setTimeout(res, 50));
    r = await call(url, ca, "ListLinks", cookie);
  }
  assert.equal(r.status, 401, "the session went with the token");
  assert.match(r.body, /web UI session refused: token is revoked; run `cairn ui`/);
  assert.match((await call(url, ca, "ListLinks", cookie)).body, /session refused: unknown/, "and it is gone for good");
});

test("a login link without a token, and the lab's RPCs on a controller that belongs to no lab", async (t) => {
  const p = await pki(t);
  const url = (await serveController(t, { tlsDir: p.dir })).urls[0]!;
  const { ca } = await pemCredentials(p.dir, "agent", "h1");
  const bare = await request(url, ca, "/ui/login");
  assert.equal(bare.status, 400);
  assert.match(bare.body, /no token; run `cairn ui`/);
  const cookie = await logIn(url, ca, (await loginLink(t, url, { ca, token: p.tokens.admin })).loginPath);
  const faults = await call(url, ca, "ListLabFaults", cookie);
  assert.equal(faults.status, 400, faults.body);
  assert.match(faults.body, /"code":"failed_precondition".*belongs to no lab/);
});

test("on an open controller the link is the UI itself, everyone is admin, and a browser's HTTP/1.1 is served beside HTTP/2", async (t) => {
  const url = (await serveController(t, { insecure: true })).urls[0]!;
  const c = createOperatorClient(url, { timeoutMs: 5_000 });
  t.after(() => c.close());
  const link = await c.createUiLogin();
  assert.deepEqual([link.loginPath, link.role, link.expiresInMs], ["/ui/", "admin", 0]);
  // fetch speaks HTTP/1.1 on cleartext, as browsers do (they speak HTTP/2 over TLS only).
  const login = await fetch(`${url}/ui/login?token=anything`, { redirect: "manual" });
  assert.equal(login.status, 303);
  assert.equal(login.headers.get("location"), "/ui/");
  const who = await fetch(`${url}/cairn.v1.CairnService/WhoAmI`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  assert.equal(who.status, 200);
  assert.equal(((await who.json()) as { role: string }).role, "admin");
  // And the same connection carries a second request (keep-alive), its body read in full.
  const empty = JSON.stringify({ filename: "x.yaml", baseRevision: "1", intents: [] });
  const validate = await fetch(`${url}/cairn.v1.CairnService/ValidateIntents`, { method: "POST", headers: { "content-type": "application/json" }, body: empty });
  assert.equal(validate.status, 400, "an empty set is refused, having been read");
  assert.match(await validate.text(), /no intent|allow_remove_all|empty/i);
  assert.equal((await c.listIntents()).intents.length, 3, "HTTP/2 callers are served as before");
});
