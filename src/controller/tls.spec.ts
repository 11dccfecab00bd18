// The controller as `cairn controller --tls-dir DIR` runs it (runController), over real TLS and
// HTTP/2 on loopback, with credentials from real openssl: who may call what, expiry, revocation
// and rotation while it runs, and the flags' errors.
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { applyIntentsText } from "../api/apply-file.js";
import { ControllerCallError, createOperatorClient } from "../api/client.js";
import { credentialInterceptors, sessionManagerFor, type ClientCredentials } from "../api/credentials.js";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import { initAuthority, issueCertificate, revoke } from "../certs/authority.js";
import { copyPki, makeTestPki, pemCredentials, scratchDir, waitFor, type TestPki } from "../certs/testing.js";
import { normaliseSerial } from "../certs/names.js";
import { runController, type ControllerCliOptions } from "./main.js";
import type { ControllerHandle } from "./server.js";
import { INTENTS_V1, INTENTS_V2, serveController as serve } from "./testing.js";

let template: TestPki;
let templateDir: string;
before(async () => {
  templateDir = await mkdtemp(join(tmpdir(), "cairn-pki-template-"));
  template = await makeTestPki(templateDir);
});
after(() => rm(templateDir, { recursive: true, force: true }));

const pki = async (t: TestContext) => copyPki(t, template);

/** The code of a failed operator call, or "ok". */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (e instanceof ControllerCallError) return Code[e.code];
    if (e instanceof ConnectError) return Code[e.code];
    throw e;
  }
}

function operator(t: TestContext, url: string, credentials: ClientCredentials) {
  const c = createOperatorClient(url, { credentials, timeoutMs: 5_000 });
  t.after(() => c.close());
  return c;
}

/** Subscribes as `host` and waits for the first update: "ok" or the refusal's code. */
async function subscribe(t: TestContext, url: string, credentials: ClientCredentials, host: string): Promise<string> {
  const sm = sessionManagerFor(url, credentials);
  t.after(() => sm.abort());
  const client = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sm, interceptors: credentialInterceptors(credentials) }));
  const ac = new AbortController();
  try {
    for await (const u of client.subscribe({ host, agentVersion: "test" }, { signal: ac.signal, timeoutMs: 5_000 })) {
      assert.equal(u.host, host);
      return "ok";
    }
    return "ended";
  } catch (e) {
    return Code[ConnectError.from(e).code];
  } finally {
    ac.abort();
  }
}

const caOnly = async (dir: string) => ({ ca: (await pemCredentials(dir, "agent", "h1")).ca });

test("without credentials: Unauthenticated for list, apply and subscribe", async (t) => {
  const p = await pki(t);
  const c = await serve(t, { tlsDir: p.dir });
  const url = c.urls[0]!;
  assert.match(url, /^https:\/\/\[::1\]:\d+$/);
  const anon = operator(t, url, await caOnly(p.dir));
  assert.equal(await outcome(anon.listPaths()), "Unauthenticated");
  assert.equal(await outcome(applyIntentsText(anon, INTENTS_V2, "v2.yaml")), "Unauthenticated");
  assert.equal(await outcome(anon.applyIntents([], { source: "x", baseRevision: 1, allowRemoveAll: true })), "Unauthenticated");
  assert.equal(await subscribe(t, url, await caOnly(p.dir), "h1"), "Unauthenticated");
  await assert.rejects(anon.listPaths(), /not authenticated: present a client certificate or a bearer token/);
});

test("roles: a viewer lists but may not apply; an admin certificate and an admin token apply; an agent reads no rules", async (t) => {
  const p = await pki(t);
  const url = (await serve(t, { tlsDir: p.dir })).urls[0]!;
  const ca = await caOnly(p.dir);

  const vera = operator(t, url, await pemCredentials(p.dir, "operator", "vera"));
  assert.equal((await vera.listPaths()).hosts.length, 3);
  assert.equal(await outcome(applyIntentsText(vera, INTENTS_V2, "v2.yaml")), "PermissionDenied");
  await assert.rejects(applyIntentsText(vera, INTENTS_V2, "v2.yaml"), /viewer vera may not call it \(allowed: admin\)/);
  const dash = operator(t, url, { ...ca, token: p.tokens.viewer });
  assert.equal(await outcome(dash.listLinks()), "ok");
  assert.equal(await outcome(applyIntentsText(dash, INTENTS_V2, "v2.yaml")), "PermissionDenied");

  const ada = operator(t, url, await pemCredentials(p.dir, "operator", "ada"));
  const byCert = await applyIntentsText(ada, INTENTS_V2, "v2.yaml");
  assert.match((await ada.listIntents()).changedBy, /ada/);
  const ci = operator(t, url, { ...ca, token: p.tokens.admin });
  assert.equal(await outcome(applyIntentsText(ci, INTENTS_V1, "v1.yaml")), "ok");
  assert.equal((await ci.listIntents()).revision, byCert.revision + 1);

  const h1 = operator(t, url, await pemCredentials(p.dir, "agent", "h1"));
  assert.equal(await outcome(h1.listPaths()), "PermissionDenied", "an agent does not read other hosts' rules");
  // A token that is not one: refused as unauthenticated, not as a viewer.
  const forged = operator(t, url, { ...ca, token: `cairn_${"A".repeat(43)}` });
  await assert.rejects(forged.listPaths(), /bearer token refused: unknown token/);
});

test("agents: h1's certificate subscribes as h1, not as h2", async (t) => {
  const p = await pki(t);
  const url = (await serve(t, { tlsDir: p.dir })).urls[0]!;
  const h1 = await pemCredentials(p.dir, "agent", "h1");
  assert.equal(await subscribe(t, url, h1, "h1"), "ok");
  assert.equal(await subscribe(t, url, h1, "h2"), "PermissionDenied");
  assert.equal(await subscribe(t, url, await pemCredentials(p.dir, "agent", "h2"), "h2"), "ok");
  assert.equal(await subscribe(t, url, await pemCredentials(p.dir, "operator", "ada"), "h1"), "PermissionDenied", "an admin is no agent");
});

test("expired, not yet valid and foreign certificates are refused", async (t) => {
  const p = await pki(t);
  const url = (await serve(t, { tlsDir: p.dir })).urls[0]!;
  const expired = operator(t, url, await pemCredentials(p.dir, "operator", "expired"));
  await assert.rejects(expired.listPaths(), (e: unknown) => e instanceof ControllerCallError && e.code === Code.Unauthenticated && /certificate has expired/i.test(e.message));
  const future = operator(t, url, await pemCredentials(p.dir, "operator", "future"));
  await assert.rejects(future.listPaths(), (e: unknown) => e instanceof ControllerCallError && e.code === Code.Unauthenticated && /not yet valid/i.test(e.message));

  const other = await scratchDir(t, "cairn-other-ca-");
  await initAuthority(other);
  await issueCertificate(other, { kind: "operator", name: "ada", role: "admin" });
  const stranger = await pemCredentials(other, "operator", "ada");
  const foreign = operator(t, url, { ...(await caOnly(p.dir)), cert: stranger.cert, key: stranger.key });
  await assert.rejects(foreign.listPaths(), (e: unknown) => e instanceof ControllerCallError && e.code === Code.Unauthenticated && /client certificate refused/.test(e.message));
});

test("revocation while the controller runs: a revoked certificate is refused on its open connection's next call, a revoked token at once", async (t) => {
  const p = await pki(t);
  const url = (await serve(t, { tlsDir: p.dir })).urls[0]!;
  const ada = operator(t, url, await pemCredentials(p.dir, "operator", "ada"));
  const ci = operator(t, url, { ...(await caOnly(p.dir)), token: p.tokens.admin });
  assert.equal(await outcome(ada.listPaths()), "ok");
  assert.equal(await outcome(ci.listPaths()), "ok");

  const r = await revoke(p.dir, { serial: p.serials.adminAda });
  assert.deepEqual(r.certificates.map((c) => c.serial), [normaliseSerial(p.serials.adminAda)]);
  let last = "ok";
  const deadline = Date.now() + 5_000;
  while (last !== "Unauthenticated" && Date.now() < deadline) {
    last = await outcome(ada.listPaths());
    if (last !== "Unauthenticated") await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(last, "Unauthenticated");
  await assert.rejects(ada.listPaths(), /certificate serial [0-9A-F]+ of admin ada is revoked/);
  assert.equal(await outcome(ci.listPaths()), "ok", "the token is not revoked");

  await revoke(p.dir, { token: "ci" });
  const until = Date.now() + 5_000;
  while ((last = await outcome(ci.listPaths())) === "ok" && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
  assert.equal(last, "Unauthenticated");
  await assert.rejects(ci.listPaths(), /bearer token refused: token is revoked/);
  assert.equal(await outcome(operator(t, url, await pemCredentials(p.dir, "operator", "vera")).listPaths()), "ok", "others are unaffected");
});

/** The serial of the certificate the server presents to a new connection. */
function serverSerial(url: string, ca: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port), ca, ALPNProtocols: ["h2"] }, () => {
      const serial = normaliseSerial(s.getPeerX509Certificate()!.serialNumber)!;
      s.destroy();
      resolve(serial);
    });
    s.on("error", reject);
  });
}

test("server certificate rotation takes effect for new connections without a restart; open ones go on", async (t) => {
  const p = await pki(t);
  const url = (await serve(t, { tlsDir: p.dir })).urls[0]!;
  const { ca } = await caOnly(p.dir);
  const before = await serverSerial(url, ca);
  const vera = operator(t, url, await pemCredentials(p.dir, "operator", "vera"));
  assert.equal(await outcome(vera.listPaths()), "ok");

  const rotated = await issueCertificate(p.dir, { kind: "server" });
  assert.notEqual(rotated.certificate.serial, before);
  let now = before;
  const deadline = Date.now() + 6_000;
  while (now !== rotated.certificate.serial && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 50));
    now = await serverSerial(url, ca);
  }
  assert.equal(now, rotated.certificate.serial);
  assert.equal(await outcome(vera.listPaths()), "ok", "the open connection");
  assert.equal(await outcome(operator(t, url, await pemCredentials(p.dir, "operator", "ada")).listPaths()), "ok", "a new connection verifies the new certificate");
});

test("--cleartext-listen: h2c on loopback beside TLS, callers still authenticate (tokens)", async (t) => {
  const p = await pki(t);
  const c = await serve(t, { tlsDir: p.dir, cleartextListen: ["127.0.0.1:0"] });
  assert.equal(c.urls.length, 2);
  const clear = c.urls[1]!;
  assert.match(clear, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(await outcome(operator(t, clear, {}).listPaths()), "Unauthenticated");
  assert.equal(await outcome(applyIntentsText(operator(t, clear, { token: p.tokens.admin }), INTENTS_V2, "v2.yaml")), "ok");
});

test("flags: one of --tls-dir and --insecure; clear errors for a bad directory, cleartext off loopback", async (t) => {
  const base = { topology: "/nonexistent/t.yaml", intents: "/nonexistent/i.yaml", listen: ["[::1]:0"] };
  const refused = (o: Partial<ControllerCliOptions>, re: RegExp) =>
    assert.rejects(runController({ ...base, ...o }), (e: unknown) => e instanceof Error && e.name === "CliError" && (e as { exitCode?: number }).exitCode === 2 && re.test(e.message));
  await refused({}, /pass --tls-dir DIR .* or --insecure/);
  await refused({ tlsDir: "/x", insecure: true }, /--tls-dir and --insecure exclude each other/);
  await refused({ insecure: true, listen: ["[fd00::1]:0"] }, /--insecure serves without authentication, so only on loopback .*\[fd00::1\]:0 is not: use --tls-dir/);
  await refused({ insecure: true, cleartextListen: ["[::1]:0"] }, /--cleartext-listen goes with --tls-dir/);
  await refused({ tlsDir: "/x", cleartextListen: ["0.0.0.0:0"] }, /--cleartext-listen 0\.0\.0\.0:0: a cleartext listener may only be on loopback/);
  await refused({ tlsDir: "/nonexistent/creds" }, /--tls-dir \/nonexistent\/creds: \/nonexistent\/creds\/ca\.crt: no CA certificate/);
  const p = await pki(t);
  await rm(join(p.dir, "server.key"));
  await refused({ tlsDir: p.dir }, /server\.key: no server key/);
  await refused({ listen: ["nonsense"], insecure: true }, /--listen: invalid listen address "nonsense"/);
});

test("--insecure: an open controller on loopback, nobody authenticated", async (t) => {
  const c = await serve(t, { insecure: true });
  assert.match(c.urls[0]!, /^http:\/\/\[::1\]:\d+$/);
  assert.equal(await outcome(applyIntentsText(operator(t, c.urls[0]!, {}), INTENTS_V2, "v2.yaml")), "ok");
});

test("a stream outlives no revocation: an agent's running Subscribe and a viewer's WatchEvents end when their credentials are revoked", async (t) => {
  const p = await pki(t);
  const url = (await serve(t, { tlsDir: p.dir })).urls[0]!;
  const agent = await pemCredentials(p.dir, "agent", "h1");
  const sm = sessionManagerFor(url, agent);
  t.after(() => sm.abort());
  const client = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sm, interceptors: credentialInterceptors(agent) }));
  const viewerToken = { ...(await caOnly(p.dir)), token: p.tokens.viewer };
  const vsm = sessionManagerFor(url, viewerToken);
  t.after(() => vsm.abort());
  const viewer = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: vsm, interceptors: credentialInterceptors(viewerToken) }));

  const ended = async (it: AsyncIterable<unknown>, first: () => void): Promise<string> => {
    try {
      for await (const _ of it) first();
      return "ended without an error";
    } catch (e) {
      return `${Code[ConnectError.from(e).code]}: ${ConnectError.from(e).rawMessage}`;
    }
  };
  let subscribed = false;
  const sub = ended(client.subscribe({ host: "h1", agentVersion: "test" }), () => (subscribed = true));
  const watch = ended(viewer.watchEvents({ afterSeq: 0n }), () => {});
  await waitFor(() => subscribed, 5_000, "the first update");
  await revoke(p.dir, { agent: "h1" });
  await revoke(p.dir, { token: "dash" });
  const t0 = Date.now();
  assert.match(await sub, /^Unauthenticated: Subscribe: credentials no longer valid: certificate serial .* of agent h1 is revoked/);
  assert.match(await watch, /^Unauthenticated: WatchEvents: credentials no longer valid: .*revoked/);
  assert.ok(Date.now() - t0 < 5_000);
});
