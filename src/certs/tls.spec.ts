// Real TLS handshakes with what `cairn certs` issues: the server certificate, client certificates
// required and checked against the CA, and the identity the controller would read from them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { connect as http2Connect, createSecureServer, type ServerHttp2Stream } from "node:http2";
import { join } from "node:path";
import { connect, createServer, type TLSSocket } from "node:tls";
import { initAuthority, issueCertificate, revoke } from "./authority.js";
import { RevocationList, identityFromCertificate, loadTrustStore } from "./trust.js";
import { scratchDir } from "./testing.js";

interface Pki {
  dir: string;
  ca: string;
  agent: { cert: string; key: string; serial: string };
  operator: { cert: string; key: string };
  expired: { cert: string; key: string };
  foreign: { ca: string; cert: string; key: string };
  server: { cert: string; key: string };
}

async function pki(t: import("node:test").TestContext): Promise<Pki> {
  const dir = await scratchDir(t);
  const other = await scratchDir(t);
  await initAuthority(dir);
  await initAuthority(other);
  const read = (p: string) => readFile(p, "utf8");
  const a = await issueCertificate(dir, { kind: "agent", name: "h1" });
  const o = await issueCertificate(dir, { kind: "operator", name: "alice", role: "viewer" });
  const now = Date.now();
  const e = await issueCertificate(dir, { kind: "agent", name: "old" }, { notBeforeMs: now - 2 * 86_400_000, notAfterMs: now - 86_400_000 });
  const f = await issueCertificate(other, { kind: "agent", name: "h1" });
  return {
    dir,
    ca: await read(join(dir, "ca.crt")),
    agent: { cert: await read(a.certificate.certPath), key: await read(a.certificate.keyPath), serial: a.certificate.serial },
    operator: { cert: await read(o.certificate.certPath), key: await read(o.certificate.keyPath) },
    expired: { cert: await read(e.certificate.certPath), key: await read(e.certificate.keyPath) },
    foreign: { ca: await read(join(other, "ca.crt")), cert: await read(f.certificate.certPath), key: await read(f.certificate.keyPath) },
    server: { cert: await read(join(dir, "server.crt")), key: await read(join(dir, "server.key")) },
  };
}

interface Outcome {
  /** What the server said after the handshake: "hello NAME ROLE", or null. */
  greeting: string | null;
  clientError: string | null;
  serverError: string | null;
}

/** A TLS server as the controller will run it: the server certificate, client certificates required from the CA. */
async function serve(t: import("node:test").TestContext, p: Pki, host: string) {
  const trust = await loadTrustStore(p.dir);
  const serverErrors: string[] = [];
  const server = createServer({ key: trust.serverKeyPem, cert: trust.serverCertPem, ca: trust.caPem, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2" }, (socket: TLSSocket) => {
    const id = identityFromCertificate(socket.getPeerCertificate());
    socket.end(id ? `hello ${id.name} ${id.role} ${id.serial}` : "hello nobody");
  });
  server.on("tlsClientError", (e: NodeJS.ErrnoException) => serverErrors.push(e.code ?? e.message));
  await new Promise<void>((r) => server.listen(0, host, r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;

  const attempt = (client: { ca?: string; cert?: string; key?: string; servername?: string; host?: string }): Promise<Outcome> =>
    new Promise((resolve) => {
      const before = serverErrors.length;
      let data = "";
      let clientError: string | null = null;
      const s = connect({ host: client.host ?? host, port, ca: client.ca, cert: client.cert, key: client.key, ...(client.servername ? { servername: client.servername } : {}) });
      s.on("data", (d) => (data += d));
      s.on("error", (e: NodeJS.ErrnoException) => (clientError = e.code ?? e.message));
      s.on("close", () =>
        // The server's error event may come a moment after the client sees the connection close.
        setTimeout(() => resolve({ greeting: data || null, clientError, serverError: serverErrors[before] ?? null }), 50),
      );
    });
  return attempt;
}

test("TLS: an agent certificate from the CA connects and names h1/agent; an operator's names its role", async (t) => {
  const p = await pki(t);
  const attempt = await serve(t, p, "127.0.0.1");
  const h1 = await attempt({ ca: p.ca, cert: p.agent.cert, key: p.agent.key });
  assert.deepEqual(h1, { greeting: `hello h1 agent ${p.agent.serial}`, clientError: null, serverError: null });
  // The server certificate's DNS name works as well as its address.
  assert.match((await attempt({ ca: p.ca, cert: p.operator.cert, key: p.operator.key, servername: "localhost" })).greeting ?? "", /^hello alice viewer /);

  // Revocation is the controller's check after the handshake, by serial.
  const revocations = await RevocationList.open(p.dir);
  assert.equal(revocations.isRevoked(p.agent.serial), false);
  await revoke(p.dir, { agent: "h1" });
  await revocations.reload();
  assert.equal(revocations.isRevoked(p.agent.serial), true);
});

test("TLS over IPv6 loopback: the server certificate's ::1 address verifies", async (t) => {
  const p = await pki(t);
  const attempt = await serve(t, p, "::1");
  assert.match((await attempt({ ca: p.ca, cert: p.agent.cert, key: p.agent.key })).greeting ?? "", /^hello h1 agent /);
});

test("TLS refuses: a certificate from another CA, an expired one, none, the server's own as a client's", async (t) => {
  const p = await pki(t);
  const attempt = await serve(t, p, "127.0.0.1");

  const foreign = await attempt({ ca: p.ca, cert: p.foreign.cert, key: p.foreign.key });
  assert.equal(foreign.greeting, null);
  assert.match(foreign.serverError ?? "", /UNKNOWN_CA|UNABLE_TO_GET_ISSUER_CERT|CERTIFICATE_VERIFY_FAILED|unable to get local issuer/i, JSON.stringify(foreign));

  const expired = await attempt({ ca: p.ca, cert: p.expired.cert, key: p.expired.key });
  assert.equal(expired.greeting, null);
  assert.match(expired.serverError ?? "", /EXPIRED|CERTIFICATE_VERIFY_FAILED/i, JSON.stringify(expired));

  const none = await attempt({ ca: p.ca });
  assert.equal(none.greeting, null);
  assert.match(none.serverError ?? "", /PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/i, JSON.stringify(none));

  const serverAsClient = await attempt({ ca: p.ca, cert: p.server.cert, key: p.server.key });
  assert.equal(serverAsClient.greeting, null, "serverAuth only: not a client certificate");
  assert.ok(serverAsClient.serverError, JSON.stringify(serverAsClient));

  // The client refuses a server its CA did not sign.
  const wrongTrust = await attempt({ ca: p.foreign.ca, cert: p.agent.cert, key: p.agent.key });
  assert.equal(wrongTrust.greeting, null);
  assert.match(wrongTrust.clientError ?? "", /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/i, JSON.stringify(wrongTrust));
  // ... and a name the server certificate does not carry.
  const wrongName = await attempt({ ca: p.ca, cert: p.agent.cert, key: p.agent.key, servername: "controller.example.org" });
  assert.equal(wrongName.greeting, null);
  assert.match(wrongName.clientError ?? "", /ERR_TLS_CERT_ALTNAME_INVALID/, JSON.stringify(wrongName));
});

test("HTTP/2 with ALPN over these certificates (the controller's transport), client certificate required", async (t) => {
  const p = await pki(t);
  const trust = await loadTrustStore(p.dir);
  const server = createSecureServer({ key: trust.serverKeyPem, cert: trust.serverCertPem, ca: trust.caPem, requestCert: true, rejectUnauthorized: true, allowHTTP1: false });
  server.on("stream", (stream: ServerHttp2Stream) => {
    const id = identityFromCertificate((stream.session!.socket as TLSSocket).getPeerCertificate());
    stream.respond({ ":status": 200 });
    stream.end(`${id?.name}/${id?.role}`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;
  const session = http2Connect(`https://127.0.0.1:${port}`, { ca: p.ca, cert: p.agent.cert, key: p.agent.key });
  t.after(() => session.close());
  const body = await new Promise<string>((resolve, reject) => {
    const req = session.request({ ":path": "/" });
    let b = "";
    req.on("data", (d) => (b += d));
    req.on("end", () => resolve(b));
    req.on("error", reject);
    req.end();
  });
  assert.equal(body, "h1/agent");
  assert.equal((session.socket as TLSSocket).alpnProtocol, "h2");
});
