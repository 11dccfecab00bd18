// `cairn get paths` end to end: the real CLI (dist/cli/main.js) as a child process against a
// controller on loopback HTTP/2 that holds a report from h1's agent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import { reportStatus } from "../api/client.js";
import type { PathsView } from "../api/types.js";
import { startController } from "../controller/server.js";
import { testIntents, testTopology } from "../controller/testing.js";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));

function cairn(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

test("cairn get paths shows the agent's report in the table and everything in --json", async () => {
  const topology = testTopology();
  const c = await startController({ topology, intents: testIntents(topology), listen: [{ host: "::1", port: 0 }], log: () => {}, generation: "g1" });
  const url = c.urls[0]!;
  const sm = new Http2SessionManager(url);
  try {
    const client = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sm }));
    const installed = { state: "installed" as const, reason: "", prefixes: ["2001:db8:4::10/128"], active: "primary" as const, steeredBytes: 0, unsteeredPackets: 0, droppedPackets: 0 };
    await reportStatus(client, {
      host: "h1",
      generation: "g1",
      appliedVersion: 1,
      reportedAt: "2024-01-01T00:00:01Z",
      rules: [
        { key: "web#0", ...installed, steeredPackets: 42, steeredBytes: 4200 },
        { key: "web#1", ...installed, steeredPackets: 0 },
        { key: "bulk#0", ...installed, state: "not-steered", reason: "every path is down", active: "none", steeredPackets: 0, droppedPackets: 5 },
      ],
      datapathDrops: {},
    });

    const table = await cairn("get", "paths", "--controller", url);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.split("\n");
    assert.match(lines[0]!, /^h1: rules v1 at topology t1, intents i1; agent not connected; report \S+: applied v1, no datapath drops$/);
    assert.match(lines[2]!, /^ {2}web#0\s+web\s+app web, tcp\/443\s+open\s+installed\s+primary\s+42\s+0\s+2001:db8:4::10\/128$/);
    assert.match(lines[4]!, /^ {2}bulk#0\s+bulk\s+any process\s+closed\s+not-steered\s+none\s+0\s+5 dropped\s+2001:db8:4::10\/128$/);
    assert.equal(lines[5], "  bulk#0: not-steered: every path is down");
    assert.match(table.stdout, /^h3: rules v1 at topology t1, intents i1; agent not connected; no report$/m);

    const json = await cairn("get", "paths", "--controller", url, "--json");
    assert.equal(json.code, 0, json.stderr);
    const view = JSON.parse(json.stdout) as PathsView;
    const h1 = view.hosts[0]!;
    assert.deepEqual(h1.rules[0]!.match, { app: "web", protocol: 6, portFrom: 443, portTo: 443 });
    assert.equal(h1.rules[2]!.onFailure, "closed");
    assert.deepEqual(h1.rules[0]!.targets.map((t) => [t.prefix, t.result.ok]), [["2001:db8:4::10/128", true]]);
    assert.deepEqual([h1.report!.rules[0]!.steeredBytes, h1.report!.rules[2]!.droppedPackets], [4200, 5]);
    assert.equal(typeof h1.report!.receivedAt, "string");

    const some = await cairn("get", "paths", "h3", "--controller", url, "--json");
    assert.equal(some.code, 0, some.stderr);
    assert.deepEqual((JSON.parse(some.stdout) as PathsView).hosts.map((h) => h.host), ["h3"], "only the hosts asked for");
    const typo = await cairn("get", "paths", "h1", "hh3", "--controller", url);
    assert.notEqual(typo.code, 0);
    assert.match(typo.stderr, /unknown host\(s\): "hh3".*did you mean "h3"/);
    assert.doesNotMatch(typo.stderr, /^\s+at /m, "no stack trace");
  } finally {
    sm.abort();
    await c.close();
  }
});
