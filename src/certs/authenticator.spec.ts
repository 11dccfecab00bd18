// The controller's Authenticator over a credential directory: identity, validity and revocation
// judged on every call (by the clock given), tokens, and the TLS material it reloads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { issueCertificate, revoke } from "./authority.js";
import { CredentialDirectory } from "./authenticator.js";
import type { TlsMaterial } from "../controller/server.js";
import { makeTestPki, scratchDir, waitFor } from "./testing.js";

const cert = async (dir: string, path: string) => new X509Certificate(await readFile(join(dir, path), "utf8"));
const DAY = 86_400_000;

test("certificate(): name and role from the certificate; expiry, revocation and foreign certificates judged per call", async (t) => {
  const pki = await makeTestPki(await scratchDir(t));
  let now = Date.now();
  const d = await CredentialDirectory.open(pki.dir, { now: () => now });
  const ada = await cert(pki.dir, "operators/ada.crt");
  assert.deepEqual(d.certificate(ada), { name: "ada", role: "admin" });
  assert.deepEqual(d.certificate(await cert(pki.dir, "agents/h1.crt")), { name: "h1", role: "agent" });
  assert.match((d.certificate(await cert(pki.dir, "server.crt")) as { error: string }).error, /not a Cairn client certificate/);
  // A connection outliving its certificate: the next call is refused.
  now += 400 * DAY;
  assert.match((d.certificate(ada) as { error: string }).error, /certificate of admin ada expired on \d{4}-/);
  now = Date.now();
  assert.match((d.certificate(await cert(pki.dir, "operators/future.crt")) as { error: string }).error, /not valid before/);
  await revoke(pki.dir, { operator: "ada" });
  await d.revocations.reload();
  assert.match((d.certificate(ada) as { error: string }).error, /certificate serial [0-9A-F]+ of admin ada is revoked/);
});

test("token(): role of a known token; unknown, revoked and expired refused", async (t) => {
  const pki = await makeTestPki(await scratchDir(t));
  let now = Date.now();
  const d = await CredentialDirectory.open(pki.dir, { now: () => now });
  assert.deepEqual(d.token(pki.tokens.admin), { name: "ci", role: "admin" });
  assert.deepEqual(d.token(pki.tokens.viewer), { name: "dash", role: "viewer" });
  assert.deepEqual(d.token("cairn_" + "x".repeat(43)), { error: "unknown token" });
  now += 91 * DAY;
  assert.deepEqual(d.token(pki.tokens.viewer), { error: "token is expired" });
  now = Date.now();
  await revoke(pki.dir, { token: "ci" });
  await d.revocations.reload();
  assert.deepEqual(d.token(pki.tokens.admin), { error: "token is revoked" });
});

test("watch(): a rotated server certificate is handed over once it is whole; revocations apply without a call to reload", async (t) => {
  const pki = await makeTestPki(await scratchDir(t));
  const d = await CredentialDirectory.open(pki.dir);
  const handed: TlsMaterial[] = [];
  const lines: string[] = [];
  const w = d.watch((m) => handed.push(m), (l) => lines.push(l), { debounceMs: 20, pollMs: 200 });
  t.after(() => w.close());
  const r = await issueCertificate(pki.dir, { kind: "server" });
  await waitFor(() => handed.length > 0, 5_000, "the new server certificate");
  assert.equal(new X509Certificate(handed.at(-1)!.cert).serialNumber.toUpperCase().replace(/^0+/, ""), r.certificate.serial);
  assert.equal(d.tls.cert, handed.at(-1)!.cert);
  assert.ok(!lines.some((l) => /not reloaded/.test(l)), lines.join("\n"));
  await revoke(pki.dir, { agent: "h1" });
  const h1 = await cert(pki.dir, "agents/h1.crt");
  await waitFor(() => "error" in d.certificate(h1), 5_000, "the revocation");
});
