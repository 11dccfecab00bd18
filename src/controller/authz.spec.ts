import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { ACCESS, allowedRoles, checkOwnHost, refusal } from "./authz.js";
import type { Principal, Role } from "./principal.js";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";

const who = (role: Role | null, name = "x", refused?: string): Principal => ({ name, role, via: role ? "certificate" : "none", peer: "[::1]:1", ...(refused ? { refused } : {}) });

test("every RPC of the service has an entry; one without would be admin only", () => {
  const methods = CairnService.methods.map((m) => m.name);
  assert.deepEqual(methods.filter((m) => !(m in ACCESS)), [], "an RPC without an access entry");
  assert.deepEqual(allowedRoles("SomethingNew"), ["admin"]);
});

test("roles: agents call only their own RPCs, viewers read, admins also write", () => {
  const may = (role: Role, method: string) => refusal(who(role), method) === null;
  assert.ok(may("agent", "Subscribe") && may("agent", "ReportStatus"));
  assert.ok(!may("agent", "ListPaths") && !may("agent", "ApplyIntents") && !may("agent", "ListIntents"), "an agent reads no other host's rules");
  assert.ok(may("viewer", "ListPaths") && may("viewer", "WatchEvents") && !may("viewer", "ApplyIntents"));
  assert.ok(!may("viewer", "Subscribe") && !may("admin", "Subscribe") && !may("admin", "ReportStatus"), "operators never act as agents");
  assert.ok(may("admin", "ApplyIntents") && may("admin", "ListLinks"));
  const denied = refusal(who("viewer", "bob"), "ApplyIntents")!;
  assert.equal(denied.code, Code.PermissionDenied);
  assert.match(denied.rawMessage, /viewer bob may not call it \(allowed: admin\)/);
});

test("no credentials, or refused ones: unauthenticated, saying why", () => {
  const none = refusal(who(null, "anonymous"), "ListPaths")!;
  assert.equal(none.code, Code.Unauthenticated);
  assert.match(none.rawMessage, /present a client certificate or a bearer token/);
  const expired = refusal(who(null, "CN=h1", "client certificate refused: certificate has expired"), "Subscribe")!;
  assert.equal(expired.code, Code.Unauthenticated);
  assert.match(expired.rawMessage, /certificate has expired/);
});

test("an agent acts for its own host only, and a refusal is logged", () => {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  checkOwnHost(who("agent", "h1"), "h1", "Subscribe", true, log);
  assert.throws(() => checkOwnHost(who("agent", "h1"), "h2", "Subscribe", true, log), (e: unknown) => e instanceof ConnectError && e.code === Code.PermissionDenied && /agent h1 may not act for host "h2"/.test(e.rawMessage));
  assert.throws(() => checkOwnHost(who("admin", "root"), "h2", "ReportStatus", true, log), /may not act for host/);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /refused Subscribe for agent h1 \(certificate\) from \[::1\]:1/);
  checkOwnHost(who(null), "h2", "Subscribe", false, log); // an open controller does not enforce it
});
