// What the controller reads: the trust store, identities, tokens and revocations, and their reload.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { chmod, copyFile, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigFileError } from "../config/errors.js";
import { createToken, initAuthority, issueCertificate, revoke } from "./authority.js";
import { formatRevocations, formatTokens } from "./files.js";
import { RevocationList, TokenStore, identityFromCertificate, loadTrustStore, openCredentialStores, watchFiles, type ReloadEvent } from "./trust.js";
import { scratchDir, waitFor } from "./testing.js";

test("loadTrustStore: the CA, server certificate and key, checked", async (t) => {
  const dir = await scratchDir(t);
  await assert.rejects(loadTrustStore(dir), /ca.crt: no CA certificate \(`cairn certs init .*` creates it\)/);
  await initAuthority(dir);
  const s = await loadTrustStore(dir);
  assert.equal(s.caPem, await readFile(join(dir, "ca.crt"), "utf8"));
  assert.equal(s.serverCertPem, await readFile(join(dir, "server.crt"), "utf8"));
  assert.equal(s.serverKeyPem, await readFile(join(dir, "server.key"), "utf8"));
  assert.equal(s.serverKeyPath, join(dir, "server.key"));
  assert.ok(s.serverNotAfterMs > Date.now());

  await chmod(join(dir, "server.key"), 0o644);
  await assert.rejects(loadTrustStore(dir), /server.key is accessible to other users \(mode 0644\); chmod 600 it/);
  await chmod(join(dir, "server.key"), 0o600);

  // A key that is not the certificate's, and a certificate from another CA.
  await issueCertificate(dir, { kind: "agent", name: "h1" });
  await copyFile(join(dir, "agents", "h1.key"), join(dir, "server.key"));
  await assert.rejects(loadTrustStore(dir), /server.key is not the key of .*server.crt/);
  const other = await scratchDir(t);
  await initAuthority(other);
  await copyFile(join(other, "server.key"), join(dir, "server.key"));
  await copyFile(join(other, "server.crt"), join(dir, "server.crt"));
  await assert.rejects(loadTrustStore(dir), /server.crt was not issued by .*ca.crt/);

  // Expired: judged by the clock given.
  await copyFile(join(other, "ca.crt"), join(dir, "ca.crt"));
  await loadTrustStore(dir);
  await assert.rejects(loadTrustStore(dir, () => Date.now() + 400 * 86_400_000), /server.crt: expired on .*cairn certs issue .* --server/);
});

test("identityFromCertificate: only our client certificates with one CN and one OU", async (t) => {
  const dir = await scratchDir(t);
  await initAuthority(dir);
  const a = await issueCertificate(dir, { kind: "agent", name: "h1" });
  const pem = await readFile(a.certificate.certPath, "utf8");
  const x = new X509Certificate(pem);
  // The peer-certificate object from tls (only .raw is read) gives the same answer.
  assert.deepEqual(identityFromCertificate({ raw: x.raw } as never), { name: "h1", role: "agent", serial: a.certificate.serial });
  assert.equal(identityFromCertificate({} as never), null, "getPeerCertificate() without a certificate");
  assert.equal(identityFromCertificate(null), null);
  assert.equal(identityFromCertificate({ raw: Buffer.from("junk") } as never), null);
});

test("TokenStore.verify: right, wrong, malformed, expired, revoked", async (t) => {
  const dir = await scratchDir(t);
  let now = Date.UTC(2026, 0, 1);
  const clock = () => now;
  const good = await createToken(dir, { name: "ci", role: "viewer", days: 30 }, { now: clock });
  const admin = await createToken(dir, { name: "ops", role: "admin", days: 1 }, { now: clock });
  const { tokens, revocations } = await openCredentialStores(dir, { now: clock });

  assert.deepEqual(tokens.verify(good.token), { name: "ci", role: "viewer" });
  assert.deepEqual(tokens.verify(admin.token), { name: "ops", role: "admin" });
  const wrong = good.token.slice(0, -1) + (good.token.endsWith("A") ? "B" : "A");
  assert.deepEqual(tokens.verify(wrong), { error: "unknown" });
  assert.deepEqual(tokens.verify(""), { error: "unknown" });
  assert.deepEqual(tokens.verify("Bearer " + good.token), { error: "unknown" });
  assert.deepEqual(tokens.verify("x".repeat(1 << 20)), { error: "unknown" });

  now += 2 * 86_400_000;
  assert.deepEqual(tokens.verify(admin.token), { error: "expired" });
  assert.deepEqual(tokens.verify(good.token), { name: "ci", role: "viewer" });

  await revoke(dir, { token: "ci" });
  await revocations.reload();
  assert.equal(revocations.isTokenRevoked("ci"), true);
  assert.deepEqual(tokens.verify(good.token), { error: "revoked" });
});

test("RevocationList: serials in any spelling; an absent file revokes nothing", async (t) => {
  const dir = await scratchDir(t);
  const r = await RevocationList.open(dir);
  assert.equal(r.isRevoked("AB"), false);
  await writeFile(
    join(dir, "revoked.yaml"),
    formatRevocations({ certificates: [{ serial: "1ABC", revokedMs: 0 }], tokens: [{ name: "ci", revokedMs: 0 }] }),
  );
  assert.equal(await r.reload(), true);
  assert.equal(await r.reload(), false, "unchanged");
  for (const s of ["1ABC", "1abc", "01:AB:C", "0x1abc", "001ABC"]) assert.equal(r.isRevoked(s), true, s);
  assert.equal(r.isRevoked("1ABD"), false);
  assert.equal(r.isRevoked("not hex"), false);
  assert.equal(r.isTokenRevoked("ci"), true);
  assert.equal(r.isTokenRevoked("cd"), false);
});

test("a file that turns invalid: open fails, reload throws with file and field, the old contents stay", async (t) => {
  const dir = await scratchDir(t);
  await writeFile(join(dir, "revoked.yaml"), "certificates:\n  - serial: AB\n    revoked: 2026-01-01T00:00:00Z\n");
  const r = await RevocationList.open(dir);
  await writeFile(join(dir, "revoked.yaml"), "certificates:\n  - serial: AB\n    revokd: 2026-01-01T00:00:00Z\n");
  await assert.rejects(r.reload(), (e: Error) => e instanceof ConfigFileError && /revoked.yaml:3:5: certificates\[0\]\.revokd: unknown key "revokd"/.test(e.message));
  assert.equal(r.isRevoked("AB"), true, "still in force");
  await assert.rejects(RevocationList.open(dir), ConfigFileError);
  await writeFile(join(dir, "tokens.yaml"), "tokens: 5\n");
  await assert.rejects(TokenStore.open(dir, r), /tokens.yaml:1:9: tokens: expected a list/);
});

test("watch: a new file renamed over the old one is picked up; an invalid one is reported once and ignored", async (t) => {
  const dir = await scratchDir(t);
  const now = Date.now();
  const { tokens, revocations } = await openCredentialStores(dir);
  const events: ReloadEvent[] = [];
  const w1 = tokens.watch((e) => events.push(e), { pollMs: 200 });
  const w2 = revocations.watch((e) => events.push(e), { pollMs: 200 });
  t.after(() => {
    w1.close();
    w2.close();
  });

  // Rotation as `cairn certs token` does it: a new file, renamed over the old.
  const made = await createToken(dir, { name: "ci", role: "admin" });
  await waitFor(() => tokens.verify(made.token).hasOwnProperty("name"), 3000, "the new token");
  assert.deepEqual(tokens.verify(made.token), { name: "ci", role: "admin" });

  await revoke(dir, { token: "ci" });
  await waitFor(() => revocations.isTokenRevoked("ci"), 3000, "the revocation");
  assert.deepEqual(tokens.verify(made.token), { error: "revoked" });

  // By hand: write elsewhere, rename over.
  const tmp = join(dir, "tokens.yaml.new");
  await writeFile(tmp, formatTokens([{ name: "x", role: "viewer", sha256: "c".repeat(64), createdMs: now, expiresMs: now + 1000 }]));
  await rename(tmp, join(dir, "tokens.yaml"));
  await waitFor(() => tokens.tokens.length === 1 && tokens.tokens[0]!.name === "x", 3000, "the renamed file");

  const okBefore = events.filter((e) => e.ok).length;
  assert.ok(okBefore >= 3, JSON.stringify(events));
  await writeFile(tmp, "tokens: [oops\n");
  await rename(tmp, join(dir, "tokens.yaml"));
  await waitFor(() => events.some((e) => !e.ok), 3000, "the error");
  await new Promise((r) => setTimeout(r, 600)); // three more polls
  const errors = events.filter((e) => !e.ok);
  assert.equal(errors.length, 1, "reported once");
  assert.equal(errors[0]!.file, join(dir, "tokens.yaml"));
  assert.match((errors[0] as { error: Error }).error.message, /tokens.yaml:2:1: YAML syntax: Flow sequence[^\n]*$/);
  assert.equal(tokens.tokens[0]!.name, "x", "the last good file stays in force");
});

test("watchFiles: the poll alone finds a change fs.watch did not report", async (t) => {
  const dir = await scratchDir(t);
  const f = join(dir, "server.crt");
  await writeFile(f, "a");
  let calls = 0;
  const w = watchFiles([join(dir, "elsewhere", "x"), f], () => calls++, { pollMs: 50, debounceMs: 10 });
  t.after(() => w.close());
  await new Promise((r) => setTimeout(r, 120));
  const before = calls;
  await writeFile(f, "bb");
  await waitFor(() => calls > before, 2000, "a change event");
  w.close();
  const after = calls;
  await writeFile(f, "ccc");
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(calls, after, "nothing after close()");
});
