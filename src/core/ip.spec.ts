import { test } from "node:test";
import assert from "node:assert/strict";
import { formatIpPrefix, ipPrefixContains, parseIpPrefix } from "./ip.js";
import { parseAddress4 } from "./ipv4.js";

test("parseIpPrefix: either family, bare addresses are full-length, host bits cleared", () => {
  const cases: [string, string, 4 | 6][] = [
    ["2001:db8:4::10", "2001:db8:4::10/128", 6],
    ["2001:DB8:4::10/64", "2001:db8:4::/64", 6],
    ["10.0.4.10", "10.0.4.10/32", 4],
    ["10.0.4.10/24", "10.0.4.0/24", 4],
    ["0.0.0.0/0", "0.0.0.0/0", 4],
    ["255.255.255.255/31", "255.255.255.254/31", 4],
  ];
  for (const [text, formatted, family] of cases) {
    const p = parseIpPrefix(text);
    assert.ok(p, text);
    assert.equal(p.family, family, text);
    assert.equal(formatIpPrefix(p), formatted, text);
  }
});

test("parseIpPrefix refuses malformed text; IPv4 refuses leading zeros (octal in some tools)", () => {
  for (const bad of ["10.0.4", "10.0.4.256", "10.0.4.1/33", "010.0.4.1", "10.0.4.1/", "1.2.3.4.5", "10.0.0.-1", "2001:db8::/129", "2001:zz::1", "", "/24", "10.0.4.1/024x"]) {
    assert.equal(parseIpPrefix(bad), null, bad);
  }
  assert.equal(parseAddress4("0.0.0.0"), 0);
});

test("ipPrefixContains: same family, at least as long, same network bits", () => {
  const p = (t: string) => parseIpPrefix(t)!;
  assert.ok(ipPrefixContains(p("10.0.4.0/24"), p("10.0.4.128/25")));
  assert.ok(ipPrefixContains(p("10.0.4.0/24"), p("10.0.4.10")));
  assert.ok(ipPrefixContains(p("10.0.4.0/24"), p("10.0.4.0/24")));
  assert.ok(!ipPrefixContains(p("10.0.4.0/25"), p("10.0.4.0/24")));
  assert.ok(!ipPrefixContains(p("10.0.4.0/24"), p("10.0.5.1")));
  assert.ok(ipPrefixContains(p("10.0.0.0/13"), p("10.7.255.255")));
  assert.ok(!ipPrefixContains(p("10.0.0.0/13"), p("10.8.0.0")));
  assert.ok(ipPrefixContains(p("0.0.0.0/0"), p("192.0.2.1")));
  assert.ok(ipPrefixContains(p("2001:db8::/32"), p("2001:db8:4::10")));
  assert.ok(!ipPrefixContains(p("::/0"), p("10.0.0.1")), "families never contain each other");
});
