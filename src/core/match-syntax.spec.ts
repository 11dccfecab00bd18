import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCgroupPath, parseDnsName, parseUser } from "./match-syntax.js";

const ok = (r: ReturnType<typeof parseUser>) => (r.ok ? r.value : `error: ${r.reason}`);

test("cgroup paths: absolute, no empty, . or .. components, printable, at most 4096 bytes, not /", () => {
  for (const good of ["/system.slice/video.service", "/user.slice/user-1000.slice/session-2.scope", "/a", "/kubepods/burstable/pod-1/ctr", "/ü/名前"]) {
    assert.equal(ok(parseCgroupPath(good)), good);
  }
  const cases: [string, RegExp][] = [
    ["/", /root cgroup, which holds every process: leave cgroup out/],
    ["system.slice", /not absolute/],
    ["/a//b", /empty component/],
    ["/a/", /empty component/],
    ["/a/../b", /"\.\." component/],
    ["/a/./b", /"\." component/],
    ["/a\tb", /non-printable character \(U\+0009\)/],
    ["/a\u202eb", /non-printable character \(U\+202E\)/],
    [`/${"x".repeat(256)}`, /longer than 255 bytes/],
    [`/${Array.from({ length: 20 }, () => "y".repeat(250)).join("/")}`, /bytes long; at most 4096/],
  ];
  for (const [text, reason] of cases) assert.match(ok(parseCgroupPath(text)), reason, JSON.stringify(text.slice(0, 30)));
  assert.equal(ok(parseCgroupPath(`/${"é".repeat(127)}`)), `/${"é".repeat(127)}`, "254 bytes in one name is fine");
  assert.match(ok(parseCgroupPath(`/${"é".repeat(128)}`)), /longer than 255 bytes/, "256 bytes (128 two-byte characters) is not");
});

test("users: uids 0..4294967294 (normalised), or portable names of at most 32 characters", () => {
  assert.equal(ok(parseUser("0")), "0");
  assert.equal(ok(parseUser("01001")), "1001");
  assert.equal(ok(parseUser("4294967294")), "4294967294");
  assert.match(ok(parseUser("4294967295")), /uid 4294967295 is out of range: 0 to 4294967294/);
  for (const name of ["alice", "_apt", "svc.video", "a-b_c.d", "1abc", "x".repeat(32)]) assert.equal(ok(parseUser(name)), name);
  assert.match(ok(parseUser("x".repeat(33))), /longer than 32 characters/);
  for (const bad of ["-alice", "al ice", "al:ice", "ålice", "a/b"]) assert.match(ok(parseUser(bad)), /neither a uid nor a portable user name/, bad);
});

test("DNS names: RFC 1123, at least one dot, at most 253, lower-cased, trailing dot dropped", () => {
  assert.equal(ok(parseDnsName("Video.Example.COM.")), "video.example.com");
  assert.equal(ok(parseDnsName("a-1.b2.example")), "a-1.b2.example");
  assert.equal(ok(parseDnsName(`${"a".repeat(63)}.example`)), `${"a".repeat(63)}.example`);
  const long = Array.from({ length: 4 }, () => "a".repeat(62)).join(".") + ".ab"; // 254 characters
  const cases: [string, RegExp][] = [
    ["localhost", /needs at least one dot/],
    ["a..example", /empty label/],
    [".example.com", /empty label/],
    ["-a.example", /label "-a" may hold only letters, digits and -/],
    ["a-.example", /label "a-"/],
    ["under_score.example", /label "under_score"/],
    [`${"a".repeat(64)}.example`, /longer than 63 characters/],
    [long, /254 characters; at most 253/],
    ["host.123", /last label is all digits/],
  ];
  for (const [text, reason] of cases) assert.match(ok(parseDnsName(text)), reason, text.slice(0, 30));
});
