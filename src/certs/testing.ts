// Helpers for the credential tests: scratch directories removed after the test, a PKI to copy.
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { createToken, initAuthority, issueCertificate } from "./authority.js";
import { credentialPaths } from "./names.js";

/** A new empty directory under the system's tmpdir, removed when the test ends. */
export async function scratchDir(t: TestContext, prefix = "cairn-certs-"): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** Polls `check` every 20 ms until it is true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What makeTestPki issued: every credential the controller tests use. */
export interface TestPki {
  dir: string;
  /** Bearer tokens (shown once at creation). */
  tokens: { admin: string; viewer: string };
  /** Serials of certificates the tests revoke. */
  serials: { adminAda: string };
}

const DAY = 86_400_000;

/**
 * A credential directory with: the CA and server certificate (localhost, 127.0.0.1, ::1); agents
 * h1 and h2; operators ada (admin) and vera (viewer); "expired" (admin, expired yesterday) and
 * "future" (admin, valid from tomorrow); tokens ci (admin) and dash (viewer).
 */
export async function makeTestPki(dir: string): Promise<TestPki> {
  await initAuthority(dir);
  await issueCertificate(dir, { kind: "agent", name: "h1" });
  await issueCertificate(dir, { kind: "agent", name: "h2" });
  const ada = await issueCertificate(dir, { kind: "operator", name: "ada", role: "admin" });
  await issueCertificate(dir, { kind: "operator", name: "vera", role: "viewer" });
  const now = Date.now();
  await issueCertificate(dir, { kind: "operator", name: "expired", role: "admin" }, { notBeforeMs: now - 2 * DAY, notAfterMs: now - DAY });
  await issueCertificate(dir, { kind: "operator", name: "future", role: "admin" }, { notBeforeMs: now + DAY, notAfterMs: now + 2 * DAY });
  const admin = await createToken(dir, { name: "ci", role: "admin" });
  const viewer = await createToken(dir, { name: "dash", role: "viewer" });
  return { dir, tokens: { admin: admin.token, viewer: viewer.token }, serials: { adminAda: ada.certificate.serial } };
}

/** A private copy of a PKI made once per file (openssl is slow enough to matter), removed after the test. */
export async function copyPki(t: TestContext, pki: TestPki): Promise<TestPki> {
  const dir = await scratchDir(t, "cairn-pki-");
  await cp(pki.dir, dir, { recursive: true });
  return { ...pki, dir };
}

/** The client credentials of a certificate in a PKI (agents/NAME or operators/NAME), with the CA. */
export async function pemCredentials(dir: string, kind: "agent" | "operator", name: string): Promise<{ ca: string; cert: string; key: string }> {
  const p = credentialPaths(dir, kind, name);
  return { ca: await readFile(join(dir, "ca.crt"), "utf8"), cert: await readFile(p.cert, "utf8"), key: await readFile(p.key, "utf8") };
}
