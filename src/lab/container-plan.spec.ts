import { test } from "node:test";
import assert from "node:assert/strict";
import { containerAddress4, containerAddress6, containerInterfaceName } from "./container-plan.js";

test("container interface names: c-<name>, or hashed and at most 15 characters", () => {
  assert.equal(containerInterfaceName("web"), "c-web");
  assert.equal(containerInterfaceName("abcdefghijklm"), "c-abcdefghijklm");
  const long = containerInterfaceName("video-transcoder-1");
  assert.match(long, /^c-video-t-[0-9a-f]{5}$/);
  assert.equal(long.length, 15);
  assert.notEqual(containerInterfaceName("video-transcoder-2"), long);
  assert.match(containerInterfaceName("a.b"), /^c-a_b-[0-9a-f]{5}$/);
});

test("container IPv6 addresses: after the host's, skipping taken ones, wrapping inside the subnet", () => {
  const h1 = { name: "h1", address: "2001:db8:1::10", prefixLen: 64 };
  assert.equal(containerAddress6(h1, new Set()), "2001:db8:1::11");
  assert.equal(containerAddress6(h1, new Set(["2001:db8:1::11", "2001:db8:1::12"])), "2001:db8:1::13");
  const last = { name: "h9", address: "2001:db8:9::fffe", prefixLen: 126 };
  // /126: ::fffc (subnet address, skipped), ::fffd, ::fffe (host), ::ffff.
  assert.equal(containerAddress6(last, new Set()), "2001:db8:9::ffff");
  assert.equal(containerAddress6(last, new Set(["2001:db8:9::ffff"])), "2001:db8:9::fffd");
  assert.throws(() => containerAddress6(last, new Set(["2001:db8:9::ffff", "2001:db8:9::fffd"])), /no free IPv6 address left in h9's subnet/);
});

test("container IPv4 addresses: usable addresses after the host's, skipping taken ones, wrapping", () => {
  const h1 = { name: "h1", address4: "10.0.1.10", prefixLen4: 24 };
  assert.equal(containerAddress4(h1, new Set(["10.0.1.1"])), "10.0.1.11");
  assert.equal(containerAddress4(h1, new Set(["10.0.1.11"])), "10.0.1.12");
  const top = { name: "h2", address4: "10.0.2.254", prefixLen4: 24 };
  assert.equal(containerAddress4(top, new Set(["10.0.2.1"])), "10.0.2.2", "wraps past the broadcast address and the gateway");
  const tiny = { name: "h3", address4: "192.168.0.2", prefixLen4: 30 };
  assert.throws(() => containerAddress4(tiny, new Set(["192.168.0.1"])), /no free IPv4 address left in h3's subnet 192\.168\.0\.2\/30/);
  assert.throws(() => containerAddress4({ name: "h4", prefixLen4: 24 }, new Set()), /host h4 has no IPv4 address/);
});
