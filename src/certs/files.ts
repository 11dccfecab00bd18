// The credential directory's YAML files: tokens.yaml (token hashes), revoked.yaml (revoked
// serials and token names) and issued.yaml (every certificate issued). Pure: text in, checked
// records or located errors out; records in, text out. Strict: unknown keys, missing keys,
// wrong types, repeats and bad values are errors naming the file, line and field.
import { isScalar, stringify } from "yaml";
import type { ParseResult } from "../config/errors.js";
import { Field, YamlReader, required } from "../config/yaml-reader.js";
import { checkAgentName, checkOperatorName, isOperatorRole, isoTime, normaliseSerial, printable, type CertKind, type OperatorRole, type Role } from "./names.js";

export interface TokenRecord {
  name: string;
  role: OperatorRole;
  /** SHA-256 of the token, lower-case hex. */
  sha256: string;
  createdMs: number;
  expiresMs: number;
}

export interface RevokedCertificate {
  /** Normalised upper-case hex (names.normaliseSerial). */
  serial: string;
  kind?: CertKind;
  name?: string;
  revokedMs: number;
}

export interface RevokedToken {
  name: string;
  revokedMs: number;
}

export interface Revocations {
  certificates: RevokedCertificate[];
  tokens: RevokedToken[];
}

export interface IssuedCertificate {
  kind: CertKind;
  name: string;
  /** agent, viewer or admin; absent for the CA and the server. */
  role?: Role;
  serial: string;
  notBeforeMs: number;
  notAfterMs: number;
  issuedMs: number;
}

const KINDS: readonly CertKind[] = ["ca", "server", "agent", "operator"];
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** A string scalar, not a number or boolean YAML happened to read (a serial like 1E5 must be quoted). */
function text(f: Field | null): string | null {
  if (!f) return null;
  if (!isScalar(f.node) || typeof f.node.value !== "string" || f.node.value === "") {
    f.error(isScalar(f.node) && (typeof f.node.value === "number" || typeof f.node.value === "boolean") ? `expected a string, got ${JSON.stringify(f.node.value)} (quote it)` : "expected a non-empty string");
    return null;
  }
  return f.node.value;
}

function time(f: Field | null): number | null {
  const v = text(f);
  if (v === null) return null;
  const ms = ISO_TIME.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) {
    f!.error(`"${printable(v)}" is not a UTC time like 2026-01-31T12:00:00Z`);
    return null;
  }
  return ms;
}

function serial(f: Field | null): string | null {
  const v = text(f);
  if (v === null) return null;
  const s = normaliseSerial(v);
  if (s === null) f!.error(`"${printable(v)}" is not a serial number in hex`);
  return s;
}

function top(y: YamlReader, keys: readonly string[]): Map<string, Field> | null {
  if (y.errors.length > 0) return null; // a syntax error: the structure read from it would only add noise
  if (!y.root.present) return new Map();
  return y.root.map(keys);
}

function done<T>(y: YamlReader, value: T): ParseResult<T> {
  return y.errors.length > 0 ? { ok: false, errors: y.errors } : { ok: true, value };
}

function parseRole(f: Field | null, allowed: readonly string[]): string | null {
  const v = text(f);
  if (v !== null && !allowed.includes(v)) {
    f!.error(`"${printable(v)}" is not one of ${allowed.join(", ")}`);
    return null;
  }
  return v;
}

function nameOf(f: Field | null, check: (n: string) => string | null): string | null {
  const v = text(f);
  if (v === null) return null;
  const why = check(v);
  if (why) {
    f!.error(why);
    return null;
  }
  return v;
}

/** tokens.yaml: `tokens:` a list of { name, role, sha256, created, expires }. An empty file has no tokens. */
export function parseTokens(textIn: string, file: string): ParseResult<TokenRecord[]> {
  const y = new YamlReader(file, textIn);
  const t = top(y, ["tokens"]);
  const out: TokenRecord[] = [];
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const item of t?.get("tokens")?.list() ?? []) {
    const m = item.map(["name", "role", "sha256", "created", "expires"]);
    if (!m) {
      if (!item.present) item.error("expected a token: name, role, sha256, created, expires");
      continue;
    }
    const name = nameOf(required(item, m, "name"), (n) => checkOperatorName(n, "token"));
    const role = parseRole(required(item, m, "role"), ["viewer", "admin"]);
    const hashField = required(item, m, "sha256");
    let sha256 = text(hashField);
    if (sha256 !== null && !/^[0-9a-f]{64}$/.test(sha256)) {
      hashField!.error("expected a SHA-256 hash: 64 lower-case hex digits");
      sha256 = null;
    }
    const created = time(required(item, m, "created"));
    const expiresField = required(item, m, "expires");
    const expires = time(expiresField);
    if (created !== null && expires !== null && expires <= created) expiresField!.error("expires must be after created");
    if (name !== null && names.has(name)) m.get("name")!.error(`token "${name}" appears twice`);
    if (sha256 !== null && hashes.has(sha256)) hashField!.error("the same hash appears twice");
    if (name !== null) names.add(name);
    if (sha256 !== null) hashes.add(sha256);
    if (name !== null && role !== null && sha256 !== null && created !== null && expires !== null && isOperatorRole(role)) {
      out.push({ name, role, sha256, createdMs: created, expiresMs: expires });
    }
  }
  return done(y, out);
}

export function formatTokens(tokens: readonly TokenRecord[]): string {
  return (
    "# Bearer tokens of the Cairn controller, written by `cairn certs token`: only their SHA-256 hashes.\n" +
    stringify(
      { tokens: tokens.map((t) => ({ name: t.name, role: t.role, sha256: t.sha256, created: isoTime(t.createdMs), expires: isoTime(t.expiresMs) })) },
      { lineWidth: 0 },
    )
  );
}

/** revoked.yaml: `certificates:` [{ serial, kind?, name?, revoked }], `tokens:` [{ name, revoked }]. */
export function parseRevocations(textIn: string, file: string): ParseResult<Revocations> {
  const y = new YamlReader(file, textIn);
  const t = top(y, ["certificates", "tokens"]);
  const certificates: RevokedCertificate[] = [];
  const tokens: RevokedToken[] = [];
  const serials = new Set<string>();
  for (const item of t?.get("certificates")?.list() ?? []) {
    const m = item.map(["serial", "kind", "name", "revoked"]);
    if (!m) {
      if (!item.present) item.error("expected a revoked certificate: serial, revoked (kind, name)");
      continue;
    }
    const serialField = required(item, m, "serial");
    const s = serial(serialField);
    const kindField = m.get("kind");
    const kind = kindField ? parseRole(kindField, KINDS) : null;
    const nameField = m.get("name");
    const name = nameField ? text(nameField) : null;
    const revoked = time(required(item, m, "revoked"));
    if (s !== null && serials.has(s)) serialField!.error(`serial ${s} appears twice`);
    if (s !== null) serials.add(s);
    if (s !== null && revoked !== null) {
      certificates.push({ serial: s, revokedMs: revoked, ...(kind !== null ? { kind: kind as CertKind } : {}), ...(name !== null ? { name } : {}) });
    }
  }
  const tokenNames = new Set<string>();
  for (const item of t?.get("tokens")?.list() ?? []) {
    const m = item.map(["name", "revoked"]);
    if (!m) {
      if (!item.present) item.error("expected a revoked token: name, revoked");
      continue;
    }
    const nameField = required(item, m, "name");
    const name = nameOf(nameField, (n) => checkOperatorName(n, "token"));
    const revoked = time(required(item, m, "revoked"));
    if (name !== null && tokenNames.has(name)) nameField!.error(`token "${name}" appears twice`);
    if (name !== null) tokenNames.add(name);
    if (name !== null && revoked !== null) tokens.push({ name, revokedMs: revoked });
  }
  return done(y, { certificates, tokens });
}

export function formatRevocations(r: Revocations): string {
  return (
    "# Revoked by `cairn certs revoke`: the controller refuses these certificates (by serial) and tokens (by name).\n" +
    stringify(
      {
        certificates: r.certificates.map((c) => ({ serial: c.serial, ...(c.kind ? { kind: c.kind } : {}), ...(c.name ? { name: c.name } : {}), revoked: isoTime(c.revokedMs) })),
        tokens: r.tokens.map((t) => ({ name: t.name, revoked: isoTime(t.revokedMs) })),
      },
      { lineWidth: 0 },
    )
  );
}

/** issued.yaml: `certificates:` [{ kind, name, role?, serial, notBefore, notAfter, issued }]. */
export function parseIssued(textIn: string, file: string): ParseResult<IssuedCertificate[]> {
  const y = new YamlReader(file, textIn);
  const t = top(y, ["certificates"]);
  const out: IssuedCertificate[] = [];
  const serials = new Set<string>();
  for (const item of t?.get("certificates")?.list() ?? []) {
    const m = item.map(["kind", "name", "role", "serial", "notBefore", "notAfter", "issued"]);
    if (!m) {
      if (!item.present) item.error("expected a certificate: kind, name, serial, notBefore, notAfter, issued");
      continue;
    }
    const kind = parseRole(required(item, m, "kind"), KINDS) as CertKind | null;
    const nameField = required(item, m, "name");
    const name =
      kind === "agent" ? nameOf(nameField, checkAgentName) : kind === "operator" ? nameOf(nameField, checkOperatorName) : text(nameField);
    const roleField = m.get("role");
    let role: Role | null = null;
    if (kind === "agent" || kind === "operator") {
      role = parseRole(required(item, m, "role"), kind === "agent" ? ["agent"] : ["viewer", "admin"]) as Role | null;
    } else if (roleField) roleField.error(`a ${kind ?? "certificate"} has no role`);
    const serialField = required(item, m, "serial");
    const s = serial(serialField);
    const notBefore = time(required(item, m, "notBefore"));
    const notAfterField = required(item, m, "notAfter");
    const notAfter = time(notAfterField);
    const issued = time(required(item, m, "issued"));
    if (notBefore !== null && notAfter !== null && notAfter < notBefore) notAfterField!.error("notAfter is before notBefore");
    if (s !== null && serials.has(s)) serialField!.error(`serial ${s} appears twice`);
    if (s !== null) serials.add(s);
    if (kind !== null && name !== null && s !== null && notBefore !== null && notAfter !== null && issued !== null && (role !== null || kind === "ca" || kind === "server")) {
      out.push({ kind, name, ...(role !== null ? { role } : {}), serial: s, notBeforeMs: notBefore, notAfterMs: notAfter, issuedMs: issued });
    }
  }
  return done(y, out);
}

export function formatIssued(certs: readonly IssuedCertificate[]): string {
  return (
    "# Every certificate `cairn certs` issued with this directory's CA (also those since replaced).\n" +
    stringify(
      {
        certificates: certs.map((c) => ({
          kind: c.kind,
          name: c.name,
          ...(c.role ? { role: c.role } : {}),
          serial: c.serial,
          notBefore: isoTime(c.notBeforeMs),
          notAfter: isoTime(c.notAfterMs),
          issued: isoTime(c.issuedMs),
        })),
      },
      { lineWidth: 0 },
    )
  );
}
