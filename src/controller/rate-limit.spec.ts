// Per-caller write rates: by principal (bearer tokens over a loopback cleartext listener), by peer
// address for anonymous callers, a retry-after hint, and other callers unaffected.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import { intentToProto } from "../api/convert.js";
import type { Authenticator } from "./authn.js";
import { ANONYMOUS, type Principal } from "./principal.js";
import { callerKey, RateLimiter } from "./rate-limit.js";
import { startController } from "./server.js";
import { collectingLog, INTENTS_V2, testIntents, testTopology } from "./testing.js";

const topology = testTopology();

const tokens: Authenticator = {
  certificate: () => ({ error: "no certificates here" }),
  token: (t) => (t === "alice" || t === "bob" ? { name: t, role: "admin" } : { error: "unknown token" }),
};

const bearer =
  (token: string): Interceptor =>
  (next) =>
  (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };

function isRateLimited(e: unknown, who: string, what: string, options: string): boolean {
  return (
    e instanceof ConnectError &&
    e.code === Code.ResourceExhausted &&
    new RegExp(`^rate limit: too many ${what} calls from ${who}; at most \\d+ at once, then \\d+ a minute \\(controller ${options}\\); retry in \\d+ s$`).test(e.rawMessage) &&
    /^\d+$/.test(e.metadata.get("retry-after") ?? "")
  );
}

test("writes are rate limited per principal, with a retry-after hint; another principal is unaffected", async () => {
  const logs = collectingLog("controller");
  const c = await startController({
    topology,
    intents: testIntents(topology),
    listen: [],
    cleartextListen: [{ host: "::1", port: 0 }],
    // Only the cleartext listener serves: no TLS material is read.
    security: { tls: { cert: "", key: "", clientCa: "" }, authenticator: tokens },
    limits: { applyBurst: 2, applyPerMinute: 6, validateBurst: 3, validatePerMinute: 6 },
    pathWorkers: 0,
    log: logs.log,
  });
  try {
    const as = (who: string) => createClient(CairnService, createGrpcTransport({ baseUrl: c.urls[0]!, interceptors: [bearer(who)] }));
    const [alice, bob] = [as("alice"), as("bob")];
    const v1 = testIntents(topology).map(intentToProto);
    const v2 = testIntents(topology, INTENTS_V2).map(intentToProto);

    for (let i = 0; i < 3; i++) await alice.validateIntents({ intents: v2 });
    await assert.rejects(alice.validateIntents({ intents: v2 }), (e) => isRateLimited(e, "admin:alice", "ValidateIntents", "--validate-burst, --validate-per-minute"));
    await bob.validateIntents({ intents: v2 });

    // Applies have their own bucket: alice may still apply twice.
    assert.equal((await alice.applyIntents({ intents: v2, baseRevision: 1n })).revision, 2n);
    assert.equal((await alice.applyIntents({ intents: v1, baseRevision: 2n })).revision, 3n);
    const t0 = Date.now();
    await assert.rejects(alice.applyIntents({ intents: v2, baseRevision: 3n }), (e) => isRateLimited(e, "admin:alice", "ApplyIntents", "--apply-burst, --apply-per-minute"));
    assert.ok(Date.now() - t0 < 200);
    assert.equal((await alice.listIntents({})).revision, 3n, "a refused apply changes nothing");
    // Bob is unaffected.
    assert.equal((await bob.applyIntents({ intents: v2, baseRevision: 3n })).revision, 4n);
  } finally {
    await c.close();
  }
});

test("anonymous callers are limited by address (not port); buckets refill; the limiter's memory is bounded", () => {
  let now = 0;
  const limiter = new RateLimiter("ApplyIntents", { burst: 2, perMinute: 60, options: "--apply-burst, --apply-per-minute" }, () => now);
  const anon = (peer: string): Principal => ({ ...ANONYMOUS, peer });
  assert.equal(callerKey(anon("[::1]:4000")), "peer:::1");
  assert.equal(callerKey(anon("127.0.0.1:4000")), "peer:127.0.0.1");
  assert.equal(callerKey({ name: "h1", role: "agent", via: "certificate", peer: "[::1]:1" }), "certificate:agent:h1");
  // A token that was refused gives no role: limited by address, like anonymous.
  assert.equal(callerKey({ name: "token", role: null, via: "token", peer: "[::1]:1", refused: "unknown token" }), "peer:::1");

  limiter.take(anon("[::1]:4000"));
  limiter.take(anon("[::1]:4001"));
  assert.throws(
    () => limiter.take(anon("[::1]:4002")),
    (e) => e instanceof ConnectError && /from ::1; .*retry in 1 s$/.test(e.rawMessage) && e.metadata.get("retry-after") === "1",
  );
  limiter.take(anon("127.0.0.1:4000"));
  now += 1000; // one call a second refills one
  limiter.take(anon("[::1]:4003"));

  for (let i = 0; i < 20_000; i++) limiter.take(anon(`10.0.${i >> 8}.${i & 255}:1`));
  assert.ok(limiter.size <= 10_000, `${limiter.size} buckets kept`);
});
