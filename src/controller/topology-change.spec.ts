// ChangeTopology over real TLS and HTTP/2 on loopback, as `cairn controller --tls-dir` runs it: an
// admin drains a link and the subscribed agent's stream gets an update naming the new topology
// revision and the unchanged intents revision; a viewer is refused; a stale base revision is
// ABORTED; bad names are INVALID_ARGUMENT with hints and change nothing; events, the audit log,
// ListLinks, ListPaths and ReportStatus say what happened.
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ControllerCallError, createOperatorClient, reportStatus } from "../api/client.js";
import { credentialInterceptors, sessionManagerFor, type ClientCredentials } from "../api/credentials.js";
import { CairnService, type PathUpdate } from "../api/gen/cairn/v1/cairn_pb.js";
import { copyPki, makeTestPki, pemCredentials, scratchDir, waitFor, type TestPki } from "../certs/testing.js";
import { runController } from "./main.js";
import type { ControllerHandle } from "./server.js";
import { INTENTS_V1, TOPOLOGY_YAML } from "./testing.js";

let template: TestPki;
let templateDir: string;
before(async () => {
  templateDir = await mkdtemp(join(tmpdir(), "cairn-pki-template-"));
  template = await makeTestPki(templateDir);
});
after(() => rm(templateDir, { recursive: true, force: true }));

async function serve(t: TestContext, tlsDir: string, auditLog: string): Promise<ControllerHandle> {
  const files = await scratchDir(t, "cairn-ctl-");
  await writeFile(join(files, "topology.yaml"), TOPOLOGY_YAML);
  await writeFile(join(files, "intents.yaml"), INTENTS_V1);
  const ac = new AbortController();
  let handle: ControllerHandle | undefined;
  const run = runController({ topology: join(files, "topology.yaml"), intents: join(files, "intents.yaml"), listen: ["[::1]:0"], tlsDir, auditLog, signal: ac.signal, onReady: (c) => (handle = c) });
  t.after(async () => {
    ac.abort();
    await run.catch(() => {});
  });
  await Promise.race([waitFor(() => handle !== undefined, 10_000, "the controller"), run.then(() => Promise.reject(new Error("the controller stopped")))]);
  return handle!;
}

function operator(t: TestContext, url: string, credentials: ClientCredentials) {
  const c = createOperatorClient(url, { credentials, timeoutMs: 5_000 });
  t.after(() => c.close());
  return c;
}

/** An agent's subscription: every update it receives, in order. */
function subscribe(t: TestContext, url: string, credentials: ClientCredentials, host: string): PathUpdate[] {
  const sm = sessionManagerFor(url, credentials);
  const client = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sm, interceptors: credentialInterceptors(credentials) }));
  const ac = new AbortController();
  const got: PathUpdate[] = [];
  void (async () => {
    try {
      for await (const u of client.subscribe({ host, agentVersion: "test" }, { signal: ac.signal })) got.push(u);
    } catch {
      // ended by the test
    }
  })();
  t.after(() => {
    ac.abort();
    sm.abort();
  });
  return got;
}

async function failure(p: Promise<unknown>): Promise<ControllerCallError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ControllerCallError) return e;
    throw e;
  }
  throw new Error("the call succeeded");
}

test("an admin drains a link: the agent's update names the new topology revision and the same intents revision; refusals change nothing", async (t) => {
  const pki = await copyPki(t, template);
  const auditLog = join(await scratchDir(t, "cairn-audit-"), "audit.log");
  const url = (await serve(t, pki.dir, auditLog)).urls[0]!;
  const ca = { ca: (await pemCredentials(pki.dir, "agent", "h1")).ca };
  const admin = operator(t, url, { ...ca, token: pki.tokens.admin });
  const viewer = operator(t, url, await pemCredentials(pki.dir, "operator", "vera"));
  const h1Creds = await pemCredentials(pki.dir, "agent", "h1");
  const h1 = subscribe(t, url, h1Creds, "h1");
  const h3 = subscribe(t, url, await pemCredentials(pki.dir, "agent", "h2"), "h2");
  await waitFor(() => h1.length === 1 && h3.length === 1, 5_000, "the snapshots");
  assert.deepEqual([h1[0]!.topologyRevision, h1[0]!.intentsRevision], [1n, 1n], "the snapshot names both revisions");

  const links0 = await admin.listLinks();
  assert.deepEqual([links0.topologyRevision, links0.intentsRevision], [1, 1]);

  // A viewer may not change the topology.
  const denied = await failure(viewer.changeTopology({ baseRevision: 1, changes: [{ kind: "drain", element: "r2-r4" }], reason: "" }));
  assert.equal(denied.code, Code.PermissionDenied);
  assert.match(denied.message, /ChangeTopology: viewer vera may not call it \(allowed: admin\)/);

  // Bad names: every one named, with the nearest names; nothing applied (the good first change neither).
  const bad = await failure(
    admin.changeTopology({
      baseRevision: 1,
      changes: [
        { kind: "drain", element: "r1-r2" },
        { kind: "drain", element: "r2-r5" },
        { kind: "metrics", link: "r2-r4", igp: 0 },
      ],
      reason: "",
    }),
  );
  assert.equal(bad.code, Code.InvalidArgument);
  assert.match(bad.message, /changes\[1\] \(drain\): no link or router named "r2-r5"; did you mean "r2-r4"/);
  assert.match(bad.message, /changes\[2\] \(metrics\): link r2-r4: igp 0 is out of range/);
  assert.match(bad.message, /nothing applied/);
  assert.equal((await admin.listLinks()).topologyRevision, 1);
  assert.deepEqual((await admin.listLinks()).overrides ?? [], []);

  // No base revision: refused.
  assert.equal((await failure(admin.changeTopology({ baseRevision: 0, changes: [{ kind: "drain", element: "r2-r4" }], reason: "" }))).code, Code.InvalidArgument);

  // The drain: h1's web and bulk leave r2-r4; h2 (no rules) gets nothing.
  const r = await admin.changeTopology({ baseRevision: 1, changes: [{ kind: "drain", element: "r4-r2" }], reason: "fibre work CHG-42" });
  assert.deepEqual([r.previousRevision, r.revision, r.intentsRevision, r.fullRecompute], [1, 2, 1, false]);
  assert.deepEqual(r.changes, ["drain link r2-r4"]);
  assert.deepEqual(r.hostsPushed.map((h) => h.host), ["h1"]);
  await waitFor(() => h1.length === 2, 5_000, "h1's update");
  const u = h1[1]!;
  assert.equal(u.full, false);
  assert.deepEqual([u.topologyRevision, u.intentsRevision], [2n, 1n], "the update names the new topology revision and the unchanged intents revision");
  assert.ok(u.upserts.every((rule) => rule.targets.every((tg) => !(tg.path?.links ?? []).includes("r2-r4"))), "no path crosses the drained link");
  assert.equal(h3.length, 1, "a host whose rules did not change gets nothing");

  // A stale base revision: ABORTED, saying who changed it.
  const stale = await failure(admin.changeTopology({ baseRevision: 1, changes: [{ kind: "undrain", element: "r2-r4" }], reason: "" }));
  assert.equal(stale.code, Code.Aborted);
  assert.match(stale.message, /the topology changed since revision 1, it is at revision 2; the last operator change was revision 2 at .* by admin ci/);

  // ListLinks: the drain, its source, who and why; ListPaths and ReportStatus: the revisions.
  const links = await viewer.listLinks();
  const r24 = links.links.find((l) => l.link === "r2-r4")!;
  assert.deepEqual([r24.state, r24.source], ["down", "operator"]);
  assert.deepEqual(
    (links.overrides ?? []).map((o) => [o.kind, o.id, o.change, o.source, o.revision, o.reason]),
    [["link", "r2-r4", "drained", "operator", 2, "fibre work CHG-42"]],
  );
  assert.match(links.overrides![0]!.by, /admin ci/);
  const paths = await viewer.listPaths(["h1"]);
  assert.deepEqual([paths.topologyRevision, paths.intentsRevision, paths.hosts[0]!.topologyRevision, paths.hosts[0]!.version], [2, 1, 2, 2]);
  const agent = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sessionManagerFor(url, h1Creds), interceptors: credentialInterceptors(h1Creds) }));
  const ack = await reportStatus(agent, { host: "h1", generation: u.generation, appliedVersion: 2, topologyRevision: 2, intentsRevision: 1, reportedAt: new Date().toISOString(), rules: [], datapathDrops: {} });
  assert.deepEqual([ack.version, ack.topologyRevision, ack.intentsRevision], [2, 2, 1]);
  const reported = (await viewer.listPaths(["h1"])).hosts[0]!.report!;
  assert.deepEqual([reported.appliedVersion, reported.topologyRevision, reported.intentsRevision], [2, 2, 1], "what the agent applied");

  // A metric change, then the undrain: each a revision; the undrain puts the paths back.
  const m = await admin.changeTopology({ baseRevision: 2, changes: [{ kind: "measured", link: "r1-r3", delayUs: 6000 }], reason: "" });
  assert.deepEqual([m.revision, m.changes], [3, ["link r1-r3: measured delay_us 5000 -> 6000"]]);
  const back = await admin.changeTopology({ baseRevision: 3, changes: [{ kind: "undrain", element: "r2-r4" }], reason: "done" });
  assert.equal(back.revision, 4);
  await waitFor(() => h1.at(-1)!.topologyRevision === 4n, 5_000, "h1's update after the undrain");
  const web = (await viewer.listPaths(["h1"])).hosts[0]!.rules.find((x) => x.intent === "web")!;
  assert.ok(web.targets[0]!.result.ok && web.targets[0]!.result.path.links.includes("r2-r4"), "web is back on r1 > r2 > r4");
  // Already in force: no new revision.
  const same = await admin.changeTopology({ baseRevision: 4, changes: [{ kind: "undrain", element: "r2-r4" }], reason: "" });
  assert.deepEqual([same.previousRevision, same.revision, same.changes], [4, 4, ["undrain link r2-r4 (not drained)"]]);
  const after = await viewer.listLinks();
  assert.deepEqual((after.overrides ?? []).map((o) => [o.id, o.change, o.source]), [["r1-r3", "delay_us 5000 -> 6000", "measurement"]]);

  // Events: who, the revisions, the recompute and the pushes; refusals too.
  const events = (await viewer.listEvents()).events;
  const topo = events.filter((e) => e.type === "topology");
  assert.deepEqual(
    topo.map((e) => (e.type === "topology" ? [e.refused, e.previousRevision, e.revision] : [])),
    [[true, 1, 1], [true, 1, 1], [false, 1, 2], [true, 2, 2], [false, 2, 3], [false, 3, 4], [false, 4, 4]],
  );
  const drain = topo[2]!;
  assert.ok(drain.type === "topology" && /admin ci/.test(drain.by) && drain.changes[0] === "drain link r2-r4" && drain.intentsRevision === 1);
  const recompute = events.find((e) => e.type === "recompute" && e.cause === drain.seq);
  assert.ok(recompute && recompute.type === "recompute" && recompute.topologyRevision === 2 && recompute.intentsRevision === 1);
  const push = events.find((e) => e.type === "push" && e.cause === recompute.seq);
  assert.ok(push && push.type === "push" && push.host === "h1" && push.topologyRevision === 2 && push.intentsRevision === 1);

  // The audit log: every change and refusal, with who; `revision` stays the intents one.
  const lines = (await readFile(auditLog, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const topoLines = lines.filter((l) => l["action"] === "topology");
  assert.deepEqual(topoLines.map((l) => l["outcome"]), ["refused", "refused", "applied", "refused", "applied", "applied", "unchanged"]);
  assert.ok(topoLines.every((l) => l["revision"] === 1));
  assert.deepEqual(topoLines[2]!["changes"], ["drain link r2-r4"]);
  assert.equal((topoLines[2]!["by"] as { name: string }).name, "ci");
  assert.equal(topoLines[1]!["code"], "invalid_argument");
});

test("a request that is not one is INVALID_ARGUMENT: an empty change", async (t) => {
  const pki = await copyPki(t, template);
  const url = (await serve(t, pki.dir, join(await scratchDir(t, "cairn-audit-"), "audit.log"))).urls[0]!;
  const creds = { ca: (await pemCredentials(pki.dir, "agent", "h1")).ca, token: pki.tokens.admin };
  const client = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sessionManagerFor(url, creds), interceptors: credentialInterceptors(creds) }));
  await assert.rejects(client.changeTopology({ baseRevision: 1n, changes: [{}] }), (e: unknown) => {
    const ce = ConnectError.from(e);
    return ce.code === Code.InvalidArgument && /changes\[0\]: empty change/.test(ce.rawMessage);
  });
  await assert.rejects(client.changeTopology({ baseRevision: 1n, changes: [] }), (e: unknown) => ConnectError.from(e).code === Code.InvalidArgument && /no changes/.test(ConnectError.from(e).rawMessage));
});
