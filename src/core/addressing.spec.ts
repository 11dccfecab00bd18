import { test } from "node:test";
import assert from "node:assert/strict";
import { LINK4_RANGE, MAX_LINK4_LINKS, gatewayAddress4, link4Addresses } from "./addressing.js";
import { parseAddress4, parsePrefix4, prefix4Contains } from "./ipv4.js";

test("link4Addresses: one /31 per link, deterministic from the link index, inside LINK4_RANGE", () => {
  assert.deepEqual(link4Addresses(0), { prefix: "172.31.0.0/31", a: "172.31.0.0", b: "172.31.0.1" });
  assert.deepEqual(link4Addresses(1), { prefix: "172.31.0.2/31", a: "172.31.0.2", b: "172.31.0.3" });
  assert.deepEqual(link4Addresses(200), { prefix: "172.31.1.144/31", a: "172.31.1.144", b: "172.31.1.145" });
  const range = parsePrefix4(LINK4_RANGE)!;
  const last = link4Addresses(MAX_LINK4_LINKS - 1);
  assert.equal(last.b, "172.31.255.255");
  assert.ok(prefix4Contains(range, parseAddress4(last.a)!));
  assert.throws(() => link4Addresses(MAX_LINK4_LINKS), /at most 32768 links/);
  assert.throws(() => link4Addresses(-1), /no IPv4 \/31/);
});

test("gatewayAddress4: the subnet's first usable address, or the second when the host took it", () => {
  assert.equal(gatewayAddress4({ address4: "10.0.1.10", prefixLen4: 24 }), "10.0.1.1");
  assert.equal(gatewayAddress4({ address4: "10.0.1.1", prefixLen4: 24 }), "10.0.1.2");
  assert.equal(gatewayAddress4({ address4: "192.168.7.2", prefixLen4: 30 }), "192.168.7.1");
  assert.throws(() => gatewayAddress4({ address4: "10.0.1", prefixLen4: 24 }), /invalid IPv4 address/);
});
