import { test } from "node:test";
import assert from "node:assert/strict";
import { formatIssued, formatRevocations, formatTokens, parseIssued, parseRevocations, parseTokens, type IssuedCertificate, type TokenRecord } from "./files.js";

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

function errors<T>(r: { ok: true; value: T } | { ok: false; errors: { line: number; field: string; reason: string }[] }) {
  assert.equal(r.ok, false, "expected errors");
  return (r as { ok: false; errors: { line: number; field: string; reason: string }[] }).errors.map((e) => `${e.line}:${e.field}: ${e.reason}`);
}

test("tokens.yaml round trip; an empty or absent file has no tokens", () => {
  const tokens: TokenRecord[] = [
    { name: "ci", role: "viewer", sha256: "a".repeat(64), createdMs: T0, expiresMs: T0 + 90 * DAY },
    { name: "alice@example.org", role: "admin", sha256: "0".repeat(63) + "1", createdMs: T0, expiresMs: T0 + DAY },
  ];
  const r = parseTokens(formatTokens(tokens), "tokens.yaml");
  assert.deepEqual(r, { ok: true, value: tokens });
  assert.deepEqual(parseTokens("", "t"), { ok: true, value: [] });
  assert.deepEqual(parseTokens("# nothing\n", "t"), { ok: true, value: [] });
  assert.deepEqual(parseTokens("tokens: []\n", "t"), { ok: true, value: [] });
});

test("tokens.yaml is checked strictly, with line and field", () => {
  const text = [
    "tokens:",
    "  - name: ci",
    "    role: root",
    "    sha256: XYZ",
    "    created: yesterday",
    "    expires: 2026-01-01T00:00:00Z",
    "    colour: blue",
    "  - name: ci",
    "    role: viewer",
    "    sha256: " + "b".repeat(64),
    "    created: 2026-01-02T00:00:00Z",
    "    expires: 2026-01-01T00:00:00Z",
    "  - 7",
  ].join("\n");
  assert.deepEqual(errors(parseTokens(text, "tokens.yaml")), [
    '7:tokens[0].colour: unknown key "colour"; expected one of name, role, sha256, created, expires',
    '3:tokens[0].role: "root" is not one of viewer, admin',
    "4:tokens[0].sha256: expected a SHA-256 hash: 64 lower-case hex digits",
    '5:tokens[0].created: "yesterday" is not a UTC time like 2026-01-31T12:00:00Z',
    "12:tokens[1].expires: expires must be after created",
    '8:tokens[1].name: token "ci" appears twice',
    "13:tokens[2]: expected a mapping with keys name, role, sha256, created, expires",
  ]);
  assert.match(errors(parseTokens("tokens:\n  - name: 12\n", "t")).join(), /expected a string, got 12 \(quote it\)/);
  assert.match(errors(parseTokens("tokenz: []\n", "t")).join(), /unknown key "tokenz"/);
  assert.match(errors(parseTokens("tokens: [\n", "t")).join(), /YAML syntax/);
});

test("revoked.yaml round trip, serials normalised", () => {
  const r = parseRevocations(
    formatRevocations({
      certificates: [{ serial: "1E5", kind: "agent", name: "h1", revokedMs: T0 }, { serial: "ABCD", revokedMs: T0 }],
      tokens: [{ name: "ci", revokedMs: T0 + DAY }],
    }),
    "revoked.yaml",
  );
  assert.deepEqual(r, {
    ok: true,
    value: {
      certificates: [{ serial: "1E5", kind: "agent", name: "h1", revokedMs: T0 }, { serial: "ABCD", revokedMs: T0 }],
      tokens: [{ name: "ci", revokedMs: T0 + DAY }],
    },
  });
  // A serial YAML would read as a number (1E5) is written quoted, and an unquoted one is refused, not mangled.
  assert.match(formatRevocations({ certificates: [{ serial: "1E5", revokedMs: T0 }], tokens: [] }), /serial: "1E5"/);
  assert.match(errors(parseRevocations("certificates:\n  - serial: 1E5\n    revoked: 2026-01-01T00:00:00Z\n", "r")).join(), /quote it/);
  assert.deepEqual(
    parseRevocations("certificates:\n  - serial: '00:ab'\n    revoked: 2026-01-01T00:00:00Z\n", "r"),
    { ok: true, value: { certificates: [{ serial: "AB", revokedMs: T0 }], tokens: [] } },
  );
  assert.deepEqual(errors(parseRevocations("certificates:\n  - serial: zz\n  - serial: AB\n    revoked: 2026-01-01T00:00:00Z\n    kind: robot\n", "r")), [
    '2:certificates[0].serial: "zz" is not a serial number in hex',
    '2:certificates[0].revoked: missing required key "revoked"',
    '5:certificates[1].kind: "robot" is not one of ca, server, agent, operator',
  ]);
});

test("issued.yaml round trip and checks", () => {
  const certs: IssuedCertificate[] = [
    { kind: "ca", name: "Cairn CA 0a1b2c3d", serial: "11", notBeforeMs: T0, notAfterMs: T0 + 3650 * DAY, issuedMs: T0 },
    { kind: "agent", name: "h1", role: "agent", serial: "22", notBeforeMs: T0, notAfterMs: T0 + DAY, issuedMs: T0 },
    { kind: "operator", name: "alice", role: "admin", serial: "33", notBeforeMs: T0, notAfterMs: T0 + DAY, issuedMs: T0 },
  ];
  assert.deepEqual(parseIssued(formatIssued(certs), "issued.yaml"), { ok: true, value: certs });
  const bad = [
    "certificates:",
    "  - kind: agent",
    "    name: h1",
    "    role: admin",
    "    serial: '22'",
    "    notBefore: 2026-01-02T00:00:00Z",
    "    notAfter: 2026-01-01T00:00:00Z",
    "    issued: 2026-01-01T00:00:00Z",
    "  - kind: ca",
    "    name: x",
    "    role: admin",
    "    serial: '22'",
    "    notBefore: 2026-01-01T00:00:00Z",
    "    notAfter: 2026-01-02T00:00:00Z",
    "    issued: 2026-01-01T00:00:00Z",
  ].join("\n");
  assert.deepEqual(errors(parseIssued(bad, "issued.yaml")), [
    '4:certificates[0].role: "admin" is not one of agent',
    "7:certificates[0].notAfter: notAfter is before notBefore",
    "11:certificates[1].role: a ca has no role",
    "12:certificates[1].serial: serial 22 appears twice",
  ]);
});
