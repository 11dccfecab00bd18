import { test } from "node:test";
import assert from "node:assert/strict";
import { addressInPrefix4, formatAddress4, formatPrefix4, lastAddress4, mask4, parseAddress4, parsePrefix4, prefix4Contains, prefixes4Overlap } from "./ipv4.js";

test("parseAddress4 reads dotted quads and refuses everything else", () => {
  assert.equal(parseAddress4("10.0.1.10"), 0x0a00010a);
  assert.equal(parseAddress4("255.255.255.255"), 0xffffffff);
  assert.equal(parseAddress4("0.0.0.0"), 0);
  for (const bad of ["10.0.1", "10.0.1.256", "10.0.01.1", "a.b.c.d", "10.0.1.1.1", "", " 10.0.1.1", "2001:db8::1", "10.0.1.-1"]) {
    assert.equal(parseAddress4(bad), null, bad);
  }
});

test("formatAddress4 and formatPrefix4 round-trip", () => {
  for (const a of ["10.0.1.10", "172.31.255.254", "255.255.255.255", "0.0.0.0"]) assert.equal(formatAddress4(parseAddress4(a)!), a);
  assert.equal(formatPrefix4(parsePrefix4("10.0.1.10/24")!), "10.0.1.0/24");
  assert.equal(formatPrefix4(parsePrefix4("172.31.0.3/31")!), "172.31.0.2/31");
  assert.equal(parsePrefix4("10.0.1.0/33"), null);
  assert.equal(parsePrefix4("10.0.1.0"), null);
});

test("masks, containment, overlap, last address and offsets", () => {
  assert.equal(mask4(0), 0);
  assert.equal(mask4(24), 0xffffff00);
  assert.equal(mask4(32), 0xffffffff);
  const p = parsePrefix4("10.0.1.0/24")!;
  assert.ok(prefix4Contains(p, parseAddress4("10.0.1.200")!));
  assert.ok(!prefix4Contains(p, parseAddress4("10.0.2.1")!));
  assert.ok(prefixes4Overlap(p, parsePrefix4("10.0.0.0/16")!));
  assert.ok(prefixes4Overlap(parsePrefix4("10.0.0.0/16")!, p));
  assert.ok(!prefixes4Overlap(p, parsePrefix4("10.0.2.0/24")!));
  assert.equal(formatAddress4(lastAddress4(p)), "10.0.1.255");
  assert.equal(formatAddress4(lastAddress4(parsePrefix4("192.168.0.0/30")!)), "192.168.0.3");
  assert.equal(addressInPrefix4(p, 1), "10.0.1.1");
});
