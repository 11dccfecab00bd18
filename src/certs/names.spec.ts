import { test } from "node:test";
import assert from "node:assert/strict";
import {
  TOKEN_FORMAT,
  checkAgentName,
  checkControllerUrl,
  checkDnsName,
  checkOperatorName,
  checkRole,
  credentialPaths,
  isLoopbackHost,
  normaliseSerial,
  opensslTime,
  serialFromBytes,
  subjectAltName,
  subjectArg,
  tokenFromBytes,
  tokenHash,
} from "./names.js";
import { opensslConfig } from "./openssl-config.js";

test("serials: 32 hex digits, positive, no leading zero, whatever the random bytes", () => {
  for (const fill of [0x00, 0xff, 0x80, 0x01]) {
    const s = serialFromBytes(new Uint8Array(16).fill(fill));
    assert.match(s, /^[0-9A-F]{32}$/);
    const first = Number.parseInt(s.slice(0, 2), 16);
    assert.ok(first >= 0x10 && first <= 0x7f, s);
  }
  assert.throws(() => serialFromBytes(new Uint8Array(8)));
});

test("serials compare the same from openssl, Node and a user", () => {
  assert.equal(normaliseSerial("00:AB:cd"), "ABCD");
  assert.equal(normaliseSerial("0x0abcd"), "ABCD");
  assert.equal(normaliseSerial("5A01020304"), "5A01020304");
  assert.equal(normaliseSerial("0"), "0");
  assert.equal(normaliseSerial("xyz"), null);
  assert.equal(normaliseSerial(""), null);
});

test("tokens: cairn_ and 43 base64url characters; tokens.yaml keeps their SHA-256", () => {
  const t = tokenFromBytes(new Uint8Array(32).fill(0xfb));
  assert.match(t, TOKEN_FORMAT);
  assert.equal(t.length, 6 + 43);
  assert.equal(tokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.doesNotMatch("cairn_short", TOKEN_FORMAT);
});

test("names: agents as topology hosts, operators as people, roles viewer or admin", () => {
  assert.equal(checkAgentName("h1"), null);
  assert.equal(checkAgentName("edge_host-2"), null);
  for (const bad of ["H1", "1h", "h/1", "..", "", "a".repeat(64), "h1\n"]) assert.notEqual(checkAgentName(bad), null, bad);
  assert.equal(checkOperatorName("alice"), null);
  assert.equal(checkOperatorName("alice.smith@example.org"), null);
  for (const bad of [".hidden", "a/b", "../x", "", "a b", "-x"]) assert.notEqual(checkOperatorName(bad), null, bad);
  assert.equal(checkRole("admin"), "admin");
  assert.equal(checkRole("viewer"), "viewer");
  assert.match(checkRole("agent"), /not a role/);
  assert.match(checkOperatorName("a\u0007b")!, /a\\u0007b/, "control characters are escaped in messages");
});

test("DNS names and subjectAltName", () => {
  assert.equal(checkDnsName("controller.example.org"), null);
  assert.equal(checkDnsName("*.example.org"), null);
  assert.notEqual(checkDnsName("bad_name"), null);
  assert.notEqual(checkDnsName("-x.org"), null);
  assert.equal(subjectAltName(["localhost"], ["127.0.0.1", "::1"]), "DNS:localhost,IP:127.0.0.1,IP:::1");
});

test("layout: agents/HOST.crt, operators/NAME.key", () => {
  assert.deepEqual(credentialPaths("/pki", "agent", "h1"), { cert: "/pki/agents/h1.crt", key: "/pki/agents/h1.key" });
  assert.deepEqual(credentialPaths("/pki", "operator", "alice"), { cert: "/pki/operators/alice.crt", key: "/pki/operators/alice.key" });
  assert.deepEqual(credentialPaths("/pki", "ca"), { cert: "/pki/ca.crt", key: "/pki/ca.key" });
  assert.deepEqual(credentialPaths("/pki", "server"), { cert: "/pki/server.crt", key: "/pki/server.key" });
});

test("openssl inputs: subject, times, and a config with no user path in it", () => {
  assert.equal(subjectArg({ cn: "h1", ou: "agent" }), "/OU=agent/CN=h1");
  assert.throws(() => subjectArg({ cn: "a/CN=admin", ou: "agent" }), /not checked/);
  assert.equal(opensslTime(Date.UTC(2026, 0, 31, 12, 0, 5)), "20260131120005Z");
  const cnf = opensslConfig("server", "DNS:localhost,IP:::1");
  assert.match(cnf, /extendedKeyUsage = serverAuth/);
  assert.match(cnf, /subjectAltName = DNS:localhost,IP:::1/);
  assert.doesNotMatch(cnf, /\$/);
  assert.match(opensslConfig("client"), /extendedKeyUsage = clientAuth/);
  assert.match(opensslConfig("ca"), /CA:TRUE, pathlen:0/);
  assert.throws(() => opensslConfig("server", "DNS:x\n[ evil ]"), /not checked/);
});

test("controller URLs: https, or http for loopback; no credentials in the URL", () => {
  assert.deepEqual(checkControllerUrl("https://[fd00:ca:fe::1]:50051"), { url: "https://[fd00:ca:fe::1]:50051", https: true });
  assert.deepEqual(checkControllerUrl("http://[::1]:50051/"), { url: "http://[::1]:50051", https: false });
  for (const bad of ["ftp://x", "x", "https://u:p@x", "https://x/?a=1", "https://x/#f"]) assert.ok("error" in checkControllerUrl(bad), bad);
  assert.ok(isLoopbackHost("[::1]"));
  assert.ok(isLoopbackHost("127.0.0.1"));
  assert.ok(isLoopbackHost("localhost"));
  assert.ok(!isLoopbackHost("fd00:ca:fe::1"));
});
