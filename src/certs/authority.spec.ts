// `cairn certs` operations with the real openssl binary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createToken, initAuthority, issueCertificate, listCredentials, revoke, writeOperatorConfig } from "./authority.js";
import { CredentialError } from "./fs-util.js";
import { OpensslError, createOpenssl } from "./openssl.js";
import { identityFromCertificate } from "./trust.js";
import { parseIssued, parseRevocations, parseTokens } from "./files.js";
import { scratchDir } from "./testing.js";

const mode = async (p: string) => (await stat(p)).mode & 0o777;
const cert = async (p: string) => new X509Certificate(await readFile(p, "utf8"));

test("init: a CA and a server certificate with the default names, keys 0600, directories 0700", async (t) => {
  const dir = join(await scratchDir(t), "pki");
  const r = await initAuthority(dir);
  assert.equal(await mode(dir), 0o700);
  assert.equal(await mode(join(dir, "ca.key")), 0o600);
  assert.equal(await mode(join(dir, "server.key")), 0o600);
  assert.equal(await mode(join(dir, "agents")), 0o700);
  assert.equal(await mode(join(dir, "operators")), 0o700);
  assert.deepEqual((await readdir(dir)).sort(), ["agents", "ca.crt", "ca.key", "issued.yaml", "operators", "server.crt", "server.key"]);

  const ca = await cert(join(dir, "ca.crt"));
  const server = await cert(join(dir, "server.crt"));
  assert.equal(ca.ca, true);
  assert.ok(ca.verify(ca.publicKey), "self-signed");
  assert.equal(server.ca, false);
  assert.ok(server.verify(ca.publicKey) && server.checkIssued(ca));
  assert.equal(server.subjectAltName, "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
  assert.deepEqual(server.keyUsage, ["1.3.6.1.5.5.7.3.1"], "serverAuth only");
  assert.equal(server.checkHost("localhost"), "localhost");
  assert.equal(server.checkIP("::1"), "::1");
  assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  assert.equal(server.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  assert.ok(server.checkPrivateKey(createPrivateKey(await readFile(join(dir, "server.key"), "utf8"))));
  // The CA outlives the server certificate (3650 against 365 days), and both start a little early for clock skew.
  const days = (c: X509Certificate) => (Date.parse(c.validTo) - Date.now()) / 86_400_000;
  assert.ok(days(ca) > 3600 && days(server) > 360 && days(server) < 366, `${ca.validTo} ${server.validTo}`);
  assert.ok(Date.parse(server.validFrom) < Date.now() - 60_000);
  assert.notEqual(r.ca.serial, r.server.serial);
  assert.match(r.server.serial, /^[0-9A-F]{32}$/);
  // openssl's own view: ECDSA with SHA-256.
  const text = await createOpenssl().run(["x509", "-in", join(dir, "server.crt"), "-noout", "-text"]);
  assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(text, /Subject: OU = controller, CN = localhost/);

  const issued = parseIssued(await readFile(join(dir, "issued.yaml"), "utf8"), "issued.yaml");
  assert.ok(issued.ok);
  assert.deepEqual(issued.value.map((c) => [c.kind, c.serial]), [["ca", r.ca.serial], ["server", r.server.serial]]);
});

test("init: names and addresses of the server; refuses to overwrite a CA; --force moves the old one aside", async (t) => {
  const dir = await scratchDir(t);
  const first = await initAuthority(dir, { dnsNames: ["controller.example.org"], addresses: ["fd00:ca:fe::1"], days: 30, caDays: 60 });
  const server = await cert(join(dir, "server.crt"));
  assert.equal(server.subjectAltName, "DNS:controller.example.org, IP Address:FD00:CA:FE:0:0:0:0:1");
  assert.ok((Date.parse(server.validTo) - Date.now()) / 86_400_000 < 31);
  await issueCertificate(dir, { kind: "agent", name: "h1" }, { days: 10 });

  await assert.rejects(initAuthority(dir), (e: Error) => e instanceof CredentialError && /already has a CA \(serial [0-9A-F]+, until .*\); --force replaces it/.test(e.message));
  assert.equal((await cert(join(dir, "ca.crt"))).serialNumber, (await cert(join(dir, "ca.crt"))).serialNumber);

  const second = await initAuthority(dir, { force: true });
  assert.ok(second.replacedTo);
  assert.notEqual(second.ca.serial, first.ca.serial);
  const moved = (await readdir(second.replacedTo!)).sort();
  assert.deepEqual(moved, ["agents", "ca.crt", "ca.key", "issued.yaml", "operators", "server.crt", "server.key"]);
  assert.deepEqual(await readdir(join(dir, "agents")), [], "the new CA starts with no agents");

  await assert.rejects(initAuthority(dir, { days: 400, caDays: 300 }), /--ca-days \(300\) must be at least --days \(400\)/);
  await assert.rejects(initAuthority(join(dir, "x"), { dnsNames: ["bad_name"] }), /--server-name: "bad_name" is not a valid DNS name/);
  await assert.rejects(initAuthority(join(dir, "y"), { addresses: ["300.1.1.1"] }), /--server-address: "300.1.1.1" is not an IPv4 or IPv6 address/);
  await assert.rejects(initAuthority(join(dir, "z"), { days: 0 }), /--days takes a whole number of days from 1/);
});

test("issue: an agent certificate for h1 verifies against the CA and names h1/agent; an operator's names its role", async (t) => {
  const dir = await scratchDir(t);
  await initAuthority(dir);
  const ca = await cert(join(dir, "ca.crt"));
  const a = await issueCertificate(dir, { kind: "agent", name: "h1" }, { days: 10 });
  assert.equal(a.certificate.certPath, join(dir, "agents", "h1.crt"));
  assert.equal(await mode(join(dir, "agents", "h1.key")), 0o600);
  const h1 = await cert(join(dir, "agents", "h1.crt"));
  assert.ok(h1.verify(ca.publicKey));
  assert.equal(h1.subject, "OU=agent\nCN=h1");
  assert.deepEqual(h1.keyUsage, ["1.3.6.1.5.5.7.3.2"], "clientAuth");
  assert.deepEqual(identityFromCertificate(h1), { name: "h1", role: "agent", serial: a.certificate.serial });
  assert.ok((Date.parse(h1.validTo) - Date.now()) / 86_400_000 < 10.01);

  for (const role of ["viewer", "admin"] as const) {
    const o = await issueCertificate(dir, { kind: "operator", name: `op-${role}`, role });
    const c = await cert(o.certificate.certPath);
    assert.ok(c.verify(ca.publicKey));
    assert.equal(o.certificate.certPath, join(dir, "operators", `op-${role}.crt`));
    assert.deepEqual(identityFromCertificate(c), { name: `op-${role}`, role, serial: o.certificate.serial });
  }
  // The CA and the server certificate identify nobody.
  assert.equal(identityFromCertificate(ca), null);
  assert.equal(identityFromCertificate(await cert(join(dir, "server.crt"))), null);
});

test("issue: re-issuing rotates the files and reports the old serial, still valid until revoked", async (t) => {
  const dir = await scratchDir(t);
  await initAuthority(dir);
  const first = await issueCertificate(dir, { kind: "agent", name: "h1" });
  assert.equal(first.replaced, undefined);
  const second = await issueCertificate(dir, { kind: "agent", name: "h1" });
  assert.deepEqual(second.replaced, { serial: first.certificate.serial, notAfter: first.certificate.notAfter, revoked: false });
  assert.equal((await cert(join(dir, "agents", "h1.crt"))).serialNumber, second.certificate.serial);
  const listed = (await listCredentials(dir)).certificates.filter((c) => c.kind === "agent");
  assert.deepEqual(listed.map((c) => [c.serial, c.status, c.current]), [
    [first.certificate.serial, "valid", false],
    [second.certificate.serial, "valid", true],
  ]);
  // A new server certificate with other names.
  const s = await issueCertificate(dir, { kind: "server", dnsNames: ["ctl.lab"], addresses: ["fd00:ca:fe::1"] });
  assert.equal((await cert(join(dir, "server.crt"))).subjectAltName, "DNS:ctl.lab, IP Address:FD00:CA:FE:0:0:0:0:1");
  assert.equal(s.certificate.name, "ctl.lab");
});

test("issue: an expired certificate (explicit dates in the past) is detectable", async (t) => {
  const dir = await scratchDir(t);
  await initAuthority(dir);
  const now = Date.now();
  const r = await issueCertificate(dir, { kind: "agent", name: "old" }, { notBeforeMs: now - 3 * 86_400_000, notAfterMs: now - 86_400_000 });
  const c = await cert(r.certificate.certPath);
  assert.ok(Date.parse(c.validTo) <= Date.now(), c.validTo);
  assert.ok(c.verify((await cert(join(dir, "ca.crt"))).publicKey), "still signed by the CA");
  assert.equal((await listCredentials(dir)).certificates.find((x) => x.name === "old")?.status, "expired");
  // openssl agrees: -checkend 0 fails for an expired certificate.
  await assert.rejects(createOpenssl().run(["x509", "-in", r.certificate.certPath, "-noout", "-checkend", "0"]), OpensslError);
});

test("issue: clear errors for a missing directory, no CA, bad names and roles, too long a validity", async (t) => {
  const dir = await scratchDir(t);
  await assert.rejects(issueCertificate(join(dir, "nope"), { kind: "agent", name: "h1" }), /no such directory \(`cairn certs init .*` creates one\)/);
  await assert.rejects(issueCertificate(dir, { kind: "agent", name: "h1" }), /has no CA yet \(no ca.crt\): `cairn certs init/);
  await initAuthority(dir, { caDays: 100, days: 10 });
  await assert.rejects(issueCertificate(dir, { kind: "agent", name: "../h1" }), (e: CredentialError) => e.exitCode === 2 && /not a valid agent \(host\) name/.test(e.message));
  await assert.rejects(issueCertificate(dir, { kind: "operator", name: "bob", role: "root" }), /"root" is not a role: expected viewer or admin/);
  await assert.rejects(issueCertificate(dir, { kind: "operator", name: "bob smith", role: "admin" }), /not a valid operator name/);
  await assert.rejects(issueCertificate(dir, { kind: "agent", name: "h1" }, { days: 200 }), /would outlive the CA/);
  await assert.rejects(issueCertificate(dir, { kind: "agent", name: "h1" }, { notBeforeMs: 2, notAfterMs: 1 }), /--not-after must be after --not-before/);
  // Nothing was left behind: no scratch directories, no lock, no agent files.
  assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith(".")), []);
  assert.deepEqual(await readdir(join(dir, "agents")), []);
});

test("openssl missing or failing: the error says so, with openssl's stderr", async (t) => {
  const dir = await scratchDir(t);
  await initAuthority(dir);
  await assert.rejects(
    issueCertificate(dir, { kind: "agent", name: "h1" }, {}, { openssl: createOpenssl({ binary: "/nonexistent/openssl" }) }),
    /openssl not found \("\/nonexistent\/openssl"\): install it \(Debian: apt-get install openssl\)/,
  );
  await writeFile(join(dir, "ca.key"), "not a key\n");
  await assert.rejects(issueCertificate(dir, { kind: "agent", name: "h1" }), (e: Error) => e instanceof OpensslError && /openssl ca failed \(exit 1\):[\s\S]*CA private key/.test(e.message));
  assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith(".")), [], "scratch and lock removed");
});

test("token: printed once, stored as a SHA-256 in tokens.yaml (0600); names are unique, revoked names not reused", async (t) => {
  const dir = await scratchDir(t);
  const now = Date.UTC(2026, 5, 1);
  const a = await createToken(dir, { name: "ci", role: "viewer" }, { now: () => now });
  assert.match(a.token, /^cairn_[A-Za-z0-9_-]{43}$/);
  assert.equal(await mode(join(dir, "tokens.yaml")), 0o600);
  const text = await readFile(join(dir, "tokens.yaml"), "utf8");
  assert.ok(!text.includes(a.token.slice(6)), "the token itself is not stored");
  const parsed = parseTokens(text, "tokens.yaml");
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value, [{ name: "ci", role: "viewer", sha256: a.record.sha256, createdMs: now, expiresMs: now + 90 * 86_400_000 }]);

  await assert.rejects(createToken(dir, { name: "ci", role: "admin" }), /a token named "ci" exists .* --force replaces it/);
  const b = await createToken(dir, { name: "ci", role: "admin", days: 7, force: true });
  assert.equal(b.replaced, true);
  assert.notEqual(b.token, a.token);
  await createToken(dir, { name: "deploy", role: "admin" });
  assert.deepEqual((await listCredentials(dir)).tokens.map((x) => [x.name, x.role, x.status]), [["ci", "admin", "valid"], ["deploy", "admin", "valid"]]);

  await revoke(dir, { token: "deploy" });
  await assert.rejects(createToken(dir, { name: "deploy", role: "admin", force: true }), /was revoked on .*a revoked name is not used again/);
  await assert.rejects(createToken(dir, { name: "x", role: "agent" }), /"agent" is not a role/);
  await assert.rejects(createToken(dir, { name: "x", role: "viewer", days: 0 }), /--days/);
});

test("revoke: by agent (every certificate it had), by operator, by serial, by token; list shows it", async (t) => {
  const dir = await scratchDir(t);
  const r0 = await initAuthority(dir);
  const h1a = await issueCertificate(dir, { kind: "agent", name: "h1" });
  const h1b = await issueCertificate(dir, { kind: "agent", name: "h1" });
  const h2 = await issueCertificate(dir, { kind: "agent", name: "h2" });
  const alice = await issueCertificate(dir, { kind: "operator", name: "alice", role: "admin" });
  await createToken(dir, { name: "ci", role: "viewer" });

  const byAgent = await revoke(dir, { agent: "h1" });
  assert.deepEqual(byAgent.certificates.map((c) => c.serial), [h1a.certificate.serial, h1b.certificate.serial]);
  assert.deepEqual((await revoke(dir, { agent: "h1" })).already, [h1a.certificate.serial, h1b.certificate.serial], "idempotent");
  await revoke(dir, { serial: h2.certificate.serial.toLowerCase() });
  await revoke(dir, { operator: "alice" });
  await revoke(dir, { token: "ci" });
  assert.equal(await mode(join(dir, "revoked.yaml")), 0o644);

  const rev = parseRevocations(await readFile(join(dir, "revoked.yaml"), "utf8"), "revoked.yaml");
  assert.ok(rev.ok);
  assert.deepEqual(rev.value.certificates.map((c) => [c.kind, c.name, c.serial]), [
    ["agent", "h1", h1a.certificate.serial],
    ["agent", "h1", h1b.certificate.serial],
    ["agent", "h2", h2.certificate.serial],
    ["operator", "alice", alice.certificate.serial],
  ]);
  assert.deepEqual(rev.value.tokens.map((x) => x.name), ["ci"]);

  const list = await listCredentials(dir);
  assert.deepEqual(list.certificates.map((c) => [c.kind, c.name, c.role, c.status, c.current]), [
    ["ca", r0.ca.name, null, "valid", true],
    ["server", "localhost", null, "valid", true],
    ["agent", "h1", "agent", "revoked", false],
    ["agent", "h1", "agent", "revoked", true],
    ["agent", "h2", "agent", "revoked", true],
    ["operator", "alice", "admin", "revoked", true],
  ]);
  assert.deepEqual(list.tokens.map((x) => [x.name, x.status, x.revoked]), [["ci", "revoked", true]]);

  // A new certificate after revocation is good again: revocation is by serial.
  const h1c = await issueCertificate(dir, { kind: "agent", name: "h1" });
  assert.equal((await listCredentials(dir)).certificates.find((c) => c.serial === h1c.certificate.serial)?.status, "valid");

  await assert.rejects(revoke(dir, { agent: "h9" }), /no certificate was issued to agent "h9"/);
  await assert.rejects(revoke(dir, { serial: "ABCDEF" }), /no certificate with serial ABCDEF/);
  await assert.rejects(revoke(dir, { serial: "xyz" }), /not a serial number in hex/);
  await assert.rejects(revoke(dir, { serial: r0.ca.serial }), /is the CA: replace the CA instead/);
  await assert.rejects(revoke(dir, { serial: r0.server.serial }), /controller's own certificate/);
  await assert.rejects(revoke(dir, { token: "nobody" }), /no token named "nobody"/);
});

test("config: a CLI config for an issued operator, paths relative below the file, absolute otherwise", async (t) => {
  const dir = await scratchDir(t);
  await initAuthority(dir);
  await issueCertificate(dir, { kind: "operator", name: "alice", role: "admin" });
  const printed = await writeOperatorConfig(dir, { name: "alice", controller: "https://[fd00:ca:fe::1]:50051/" });
  assert.equal(printed.path, undefined);
  assert.match(printed.text, /^controller: "https:\/\/\[fd00:ca:fe::1\]:50051"$/m);
  assert.match(printed.text, new RegExp(`^key: "${join(dir, "operators", "alice.key")}"$`, "m"));
  assert.match(printed.text, /operator alice \(admin\)/);

  const out = join(dir, "alice.yaml");
  const written = await writeOperatorConfig(dir, { name: "alice", controller: "https://ctl:50051", out });
  assert.equal(written.path, out);
  assert.equal(await mode(out), 0o600);
  const text = await readFile(out, "utf8");
  assert.match(text, /^ca: "ca.crt"$/m);
  assert.match(text, /^cert: "operators\/alice.crt"$/m);
  await assert.rejects(writeOperatorConfig(dir, { name: "alice", controller: "https://ctl:50051", out }), /exists; --force overwrites it/);
  await writeOperatorConfig(dir, { name: "alice", controller: "https://ctl:50051", out, force: true });

  await assert.rejects(writeOperatorConfig(dir, { name: "bob", controller: "https://ctl" }), /no certificate for operator "bob"/);
  await assert.rejects(writeOperatorConfig(dir, { name: "alice", controller: "http://ctl" }), /needs an https:\/\/ URL/);
  await assert.rejects(writeOperatorConfig(dir, { name: "alice", controller: "ctl:50051" }), /--controller/);
});

test("two writers at once do not lose each other's updates (the directory lock)", async (t) => {
  const dir = await scratchDir(t);
  await Promise.all(Array.from({ length: 8 }, (_, i) => createToken(dir, { name: `t${i}`, role: "viewer" })));
  assert.equal((await listCredentials(dir)).tokens.length, 8);
  // A lock left by a process that is gone is taken over.
  await writeFile(join(dir, ".lock"), "999999999\n");
  await createToken(dir, { name: "after", role: "viewer" });
  assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith(".")), []);
});
