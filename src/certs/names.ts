// The credential directory's names, layout and value rules: pure (no I/O, no clock, no randomness;
// callers pass random bytes and times in). The openssl runner (openssl.ts) and the operations
// (authority.ts) build on these.
import { createHash } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import { join } from "node:path";
import type { Role } from "../controller/principal.js";

/** A certificate's or token's role: what the controller lets it do (the controller's Role). */
export type { Role };
export type OperatorRole = "viewer" | "admin";
export const OPERATOR_ROLES: readonly OperatorRole[] = ["viewer", "admin"];

/** What a certificate is for. The CA and server certificates carry no client identity. */
export type CertKind = "ca" | "server" | "agent" | "operator";

/** An agent's name is its host's name in the topology (a superset of the topology's node names). */
export const AGENT_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
export const AGENT_NAME_RULE = "a lowercase letter, then up to 62 lowercase letters, digits, _ or -";
/** Operators and tokens: a person's or a tool's name, also used as a file name. */
export const OPERATOR_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$/;
export const OPERATOR_NAME_RULE = "a letter or digit, then up to 62 letters, digits, _ . @ or -";

/** A DNS name for the server certificate's subjectAltName (labels of letters, digits, -; optional leading "*."). */
const DNS_NAME = /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function checkAgentName(name: string): string | null {
  return AGENT_NAME.test(name) ? null : `"${printable(name)}" is not a valid agent (host) name: ${AGENT_NAME_RULE}`;
}

export function checkOperatorName(name: string, what = "operator"): string | null {
  return OPERATOR_NAME.test(name) ? null : `"${printable(name)}" is not a valid ${what} name: ${OPERATOR_NAME_RULE}`;
}

export function checkRole(role: string): OperatorRole | string {
  return (OPERATOR_ROLES as readonly string[]).includes(role) ? (role as OperatorRole) : `"${printable(role)}" is not a role: expected viewer or admin`;
}

export function isOperatorRole(role: string): role is OperatorRole {
  return (OPERATOR_ROLES as readonly string[]).includes(role);
}

export function checkDnsName(name: string): string | null {
  return name.length <= 253 && DNS_NAME.test(name) ? null : `"${printable(name)}" is not a valid DNS name`;
}

/** A value for error messages: control characters escaped, cut at 80 characters. */
export function printable(s: string): string {
  const escaped = JSON.stringify(s).slice(1, -1);
  return escaped.length > 80 ? `${escaped.slice(0, 77)}...` : escaped;
}

// ---- Layout ----

export const CA_CERT = "ca.crt";
export const CA_KEY = "ca.key";
export const SERVER_CERT = "server.crt";
export const SERVER_KEY = "server.key";
export const AGENTS_DIR = "agents";
export const OPERATORS_DIR = "operators";
export const TOKENS_FILE = "tokens.yaml";
export const REVOKED_FILE = "revoked.yaml";
export const ISSUED_FILE = "issued.yaml";
export const LOCK_FILE = ".lock";

/** Private keys and files with token hashes. */
export const SECRET_FILE_MODE = 0o600;
/** Certificates, the issue log and the revocation list: nothing secret. */
export const PUBLIC_FILE_MODE = 0o644;
export const DIR_MODE = 0o700;

export interface CredentialPaths {
  cert: string;
  key: string;
}

/** Where a certificate of `kind` named `name` and its key live under `dir`. */
export function credentialPaths(dir: string, kind: CertKind, name = ""): CredentialPaths {
  switch (kind) {
    case "ca":
      return { cert: join(dir, CA_CERT), key: join(dir, CA_KEY) };
    case "server":
      return { cert: join(dir, SERVER_CERT), key: join(dir, SERVER_KEY) };
    case "agent":
      return { cert: join(dir, AGENTS_DIR, `${name}.crt`), key: join(dir, AGENTS_DIR, `${name}.key`) };
    case "operator":
      return { cert: join(dir, OPERATORS_DIR, `${name}.crt`), key: join(dir, OPERATORS_DIR, `${name}.key`) };
  }
}

// ---- Subjects ----

/** The organizational unit that carries the role: "agent", "viewer", "admin", or the CA's and server's own. */
export const CA_UNIT = "ca";
export const SERVER_UNIT = "controller";

export interface Subject {
  /** The name: a host for agents, an operator's name, the CA's label, the server's first DNS name. */
  cn: string;
  /** The role ("agent", "viewer", "admin") or "ca" / "controller". */
  ou: string;
}

/** For `openssl req -subj`: "/OU=agent/CN=h1". Values are checked names, so nothing needs escaping. */
export function subjectArg(s: Subject): string {
  for (const v of [s.cn, s.ou]) {
    if (!/^[A-Za-z0-9 _.@*:-]+$/.test(v)) throw new Error(`bug: subject value "${printable(v)}" was not checked`);
  }
  return `/OU=${s.ou}/CN=${s.cn}`;
}

export function subjectFor(kind: CertKind, name: string, role?: OperatorRole): Subject {
  switch (kind) {
    case "ca":
      return { cn: name, ou: CA_UNIT };
    case "server":
      return { cn: name, ou: SERVER_UNIT };
    case "agent":
      return { cn: name, ou: "agent" };
    case "operator":
      if (!role) throw new Error("bug: an operator certificate needs a role");
      return { cn: name, ou: role };
  }
}

// ---- Serial numbers ----

/**
 * A certificate serial number from 16 random bytes (about 127 of their bits), as 32 upper-case hex
 * digits: positive and never starting with a zero digit, so every tool prints it the same way.
 */
export function serialFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error("bug: a serial takes 16 random bytes");
  const b = Uint8Array.from(bytes);
  b[0] = 0x10 + (b[0]! % 0x70); // 0x10..0x7f: positive, and 32 hex digits with no leading zero
  return Buffer.from(b).toString("hex").toUpperCase();
}

/** Serials compared across tools: upper case, no separators, no leading zeros. null: not a hex serial. */
export function normaliseSerial(s: string): string | null {
  const t = s.replace(/^0x/i, "").replace(/:/g, "").toUpperCase();
  if (!/^[0-9A-F]{1,64}$/.test(t)) return null;
  return t.replace(/^0+(?=.)/, "");
}

// ---- Tokens ----

export const TOKEN_PREFIX = "cairn_";
/** "cairn_" and 32 random bytes in base64url (43 characters). */
export const TOKEN_FORMAT = /^cairn_[A-Za-z0-9_-]{43}$/;

export function tokenFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 32) throw new Error("bug: a token takes 32 random bytes");
  return TOKEN_PREFIX + Buffer.from(bytes).toString("base64url");
}

/** The SHA-256 of a token, in lower-case hex: all that tokens.yaml keeps. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

// ---- Times ----

export const DAY_MS = 86_400_000;
/** Leaf certificates start this long before they are issued, for hosts whose clocks run a little behind. */
export const BACKDATE_MS = 5 * 60_000;
export const DEFAULT_CA_DAYS = 3650;
export const DEFAULT_CERT_DAYS = 365;
export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_DAYS = 36_500;

/** For `openssl ca -startdate/-enddate`: YYYYMMDDHHMMSSZ (openssl writes UTCTime where it fits). */
export function opensslTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1950 || d.getUTCFullYear() > 9999) throw new Error(`time out of range: ${ms}`);
  return d.toISOString().replace(/[-:T]/g, "").replace(/\.\d{3}Z$/, "Z");
}

/** ISO 8601 in UTC without milliseconds, as the YAML files store times. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// ---- Server names ----

export const DEFAULT_SERVER_NAMES = ["localhost"];
export const DEFAULT_SERVER_ADDRESSES = ["127.0.0.1", "::1"];

/** The server certificate's subjectAltName value: "DNS:localhost,IP:127.0.0.1,IP:::1". Inputs must be checked. */
export function subjectAltName(dnsNames: readonly string[], addresses: readonly string[]): string {
  return [...dnsNames.map((n) => `DNS:${n}`), ...addresses.map((a) => `IP:${a}`)].join(",");
}

// ---- Controller URLs ----

/** Hosts a cleartext (http://) controller URL may name: loopback only. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost") return true;
  if (isIPv4(h)) return h.startsWith("127.");
  return isIPv6(h) && expandsToLoopback(h);
}

/** ::1 in any spelling (0:0:0:0:0:0:0:1, ::0:1, ...). */
function expandsToLoopback(v6: string): boolean {
  const [head, tail] = v6.includes("::") ? v6.split("::") as [string, string] : [v6, null];
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = tail === null ? [] : groups(tail);
  const all = tail === null ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return all.length === 8 && all.slice(0, 7).every((g) => /^0+$/.test(g)) && /^0*1$/.test(all[7]!);
}

/**
 * A controller URL: http:// or https://, a host, an optional port and path; no user, query or
 * fragment. The URL without a trailing slash, or a reason.
 */
export function checkControllerUrl(text: string): { url: string; https: boolean } | { error: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { error: `"${printable(text)}" is not a URL (expected e.g. https://[fd00:ca:fe::1]:50051)` };
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return { error: `"${printable(text)}": the controller URL must start with https:// (or http:// for a cleartext loopback listener)` };
  if (u.username || u.password) return { error: `"${printable(text)}": no user or password in the URL (use token or cert in the config file)` };
  if (u.search || u.hash) return { error: `"${printable(text)}": no query or fragment in the controller URL` };
  if (!u.hostname) return { error: `"${printable(text)}": no host in the URL` };
  return { url: u.toString().replace(/\/+$/, ""), https: u.protocol === "https:" };
}
