import { test } from "node:test";
import assert from "node:assert/strict";
import { asUserArgv, resolveUser } from "./users.js";

test("resolveUser finds users by name or uid, with their primary group", () => {
  assert.deepEqual(resolveUser("root"), { name: "root", uid: 0, gid: 0 });
  assert.deepEqual(resolveUser(0), { name: "root", uid: 0, gid: 0 });
  assert.deepEqual(resolveUser("0"), resolveUser("root"));
});

test("resolveUser refuses unknown users and things that are not user names", () => {
  assert.throws(() => resolveUser("no-such-user-here"), /no user "no-such-user-here" on this machine \(getent passwd no-such-user-here finds nothing\)/);
  assert.throws(() => resolveUser(4_000_000_000), /no user "4000000000"/);
  for (const bad of ["", "a b", "-rf", "x;y", "1.5"]) assert.throws(() => resolveUser(bad), /is not a user name or uid/, bad);
});

test("asUserArgv switches user, primary group and supplementary groups with setpriv", () => {
  assert.deepEqual(asUserArgv({ name: "nobody", uid: 65534, gid: 65534 }), ["setpriv", "--reuid=65534", "--regid=65534", "--init-groups", "--"]);
});
