import { test } from "node:test";
import assert from "node:assert/strict";
import { dnsRecord, formatHostsFile, normaliseDnsAddress, normaliseDnsName, parseHostsFile } from "./dns-records.js";

test("DNS names: host names, stored lowercase without a trailing dot", () => {
  assert.equal(normaliseDnsName("Video.Lab."), "video.lab");
  assert.equal(normaliseDnsName("h1"), "h1");
  assert.equal(normaliseDnsName("a-b.c0"), "a-b.c0");
  assert.equal(normaliseDnsName(`${"a".repeat(63)}.x`), `${"a".repeat(63)}.x`);
  for (const [bad, why] of [
    ["", /it is empty/],
    [".", /it is empty/],
    ["-a.lab", /not starting or ending with '-'/],
    ["a-.lab", /not starting or ending with '-'/],
    ["a..lab", /each dot-separated label/],
    ["a_b", /each dot-separated label/],
    ["a b", /each dot-separated label/],
    [`${"a".repeat(64)}.x`, /each dot-separated label must be 1-63/],
    [Array.from({ length: 64 }, () => "abc").join("."), /longer than 253 characters/],
  ] as const) {
    assert.throws(() => normaliseDnsName(bad), (e: Error) => e.message.startsWith(`"${bad}" is not a valid DNS name: `) && why.test(e.message), bad);
  }
});

test("DNS addresses: IPv6 or IPv4, normalised", () => {
  assert.equal(normaliseDnsAddress("2001:DB8:0::10"), "2001:db8::10");
  assert.equal(normaliseDnsAddress("10.0.4.10"), "10.0.4.10");
  for (const bad of ["10.0.4", "2001:db8::/64", "h2", "10.0.4.10/24", ""]) {
    assert.throws(() => normaliseDnsAddress(bad), new RegExp(`is not an IPv6 or IPv4 address`), bad);
  }
});

test("a record needs at least one address and no address twice", () => {
  assert.deepEqual(dnsRecord("Video", ["2001:db8::10", "10.0.0.1"]), { name: "video", addresses: ["2001:db8::10", "10.0.0.1"] });
  assert.throws(() => dnsRecord("video", []), /no address for video: give at least one IPv6 or IPv4 address/);
  assert.throws(() => dnsRecord("video", ["2001:db8::10", "2001:db8:0::10"]), /address 2001:db8::10 is listed twice for video/);
});

test("hosts file: one line per address, sorted by name, read back the same", () => {
  const records = [dnsRecord("web", ["10.0.0.2"]), dnsRecord("video", ["2001:db8::10", "10.0.0.1"])];
  const text = formatHostsFile(records);
  assert.match(text, /^# /);
  assert.deepEqual(text.split("\n").filter((l) => l && !l.startsWith("#")), ["2001:db8::10 video", "10.0.0.1 video", "10.0.0.2 web"]);
  assert.deepEqual(parseHostsFile(text), [records[1], records[0]]);
  assert.deepEqual(parseHostsFile("# only a comment\n\n10.0.0.9 a b # trailing\n"), [{ name: "a", addresses: ["10.0.0.9"] }, { name: "b", addresses: ["10.0.0.9"] }]);
  assert.deepEqual(parseHostsFile(formatHostsFile([])), []);
});
