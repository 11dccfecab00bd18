// Request limits over real HTTP/2 on loopback: oversized bodies refused at once from what announces
// their size (Content-Length, a gRPC envelope) or cut off when nothing does, while an agent's
// Subscribe stream stays connected and memory stays bounded; in-flight body bytes, slow bodies,
// HTTP/2 settings, the connection cap, intents per request and rules per host.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { performance } from "node:perf_hooks";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { CairnService } from "../api/gen/cairn/v1/cairn_pb.js";
import type { PathUpdate } from "../api/gen/cairn/v1/cairn_pb.js";
import { intentToProto } from "../api/convert.js";
import { startController, type ControllerOptions } from "./server.js";
import { DEFAULT_LIMITS, pickLimits, resolveLimits } from "./request-limits.js";
import { collectingLog, INTENTS_V2, testIntents, testTopology, waitFor } from "./testing.js";

const topology = testTopology();
const MiB = 1024 * 1024;
const APPLY = "/cairn.v1.CairnService/ApplyIntents";
const SUBSCRIBE = "/cairn.v1.CairnService/Subscribe";

async function withController(extra: Partial<ControllerOptions>, body: (url: string, logs: string[]) => Promise<void>): Promise<void> {
  const logs = collectingLog("controller");
  const c = await startController({ topology, intents: testIntents(topology), listen: [{ host: "::1", port: 0 }], log: logs.log, pathWorkers: 0, ...extra });
  try {
    await body(c.urls[0]!, logs.lines);
  } finally {
    await c.close();
  }
}

interface RawAnswer {
  ms: number;
  status: number;
  /** Connect's error code and message (JSON body), or gRPC's status and message (headers or trailers). */
  code: string;
  message: string;
  /** Body bytes the client got to send. */
  sent: number;
}

/**
 * One raw HTTP/2 call on its own connection: headers, then `first` (if any), then `stream` bytes more
 * as fast as flow control lets them go (or, with `hold`, nothing more until the answer), until the
 * controller answers and closes the stream.
 */
function rawCall(url: string, o: { path: string; headers: http2.OutgoingHttpHeaders; first?: Buffer; stream?: number; hold?: boolean }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on("error", () => {});
    const t0 = performance.now();
    const req = session.request({ ":method": "POST", ":path": o.path, ...o.headers });
    let sent = 0;
    let status = 0;
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const data: Buffer[] = [];
    req.on("error", () => {});
    req.on("response", (h) => {
      status = Number(h[":status"]);
      head = h;
    });
    req.on("trailers", (t) => (trailers = t));
    req.on("data", (d: Buffer) => data.push(d));
    const chunk = Buffer.alloc(MiB, 0x61);
    const pump = () => {
      while (!req.closed && !req.destroyed && sent < (o.stream ?? 0)) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!req.closed && !req.destroyed && !o.hold) req.end();
    };
    if (o.first) {
      sent += o.first.length;
      req.write(o.first);
    }
    pump();
    req.on("close", () => {
      const ms = performance.now() - t0;
      session.destroy();
      const text = Buffer.concat(data).toString("utf8");
      const grpc = trailers["grpc-status"] ?? head["grpc-status"];
      if (grpc !== undefined) {
        resolve({ ms, status, code: Code[Number(grpc)]!, message: decodeURIComponent(String(trailers["grpc-message"] ?? head["grpc-message"] ?? "")), sent });
        return;
      }
      try {
        const j = JSON.parse(text) as { code?: string; message?: string };
        resolve({ ms, status, code: j.code ?? "", message: j.message ?? "", sent });
      } catch {
        if (status === 0) reject(new Error(`no answer (stream closed after ${ms.toFixed(0)} ms, rst ${req.rstCode})`));
        else resolve({ ms, status, code: "", message: text, sent });
      }
    });
  });
}

const envelope = (length: number) => {
  const b = Buffer.alloc(5 + 1024, 0x61);
  b[0] = 0;
  b.writeUInt32BE(length, 1);
  return b;
};

test("oversized requests are refused at once, bounded in memory, while a subscribed agent stays connected and gets updates", async () => {
  await withController({}, async (url) => {
    const sm = new Http2SessionManager(url);
    const agent = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager: sm }));
    const ac = new AbortController();
    try {
      const updates = agent.subscribe({ host: "h1", agentVersion: "test" }, { signal: ac.signal })[Symbol.asyncIterator]();
      assert.equal(((await updates.next()).value as PathUpdate).full, true);

      const rss0 = process.memoryUsage().rss;
      let rssMax = rss0;
      const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 10);
      try {
        // Six at once, each announcing 450 MiB: three by Content-Length (Connect JSON), three by their gRPC envelope.
        const announced = 450 * MiB;
        const six = await Promise.all([
          ...[0, 1, 2].map(() =>
            rawCall(url, { path: APPLY, headers: { "content-type": "application/json", "content-length": String(announced) }, first: Buffer.from('{"filename":"'), stream: 4 * MiB }),
          ),
          ...[0, 1, 2].map(() => rawCall(url, { path: APPLY, headers: { "content-type": "application/grpc", te: "trailers" }, first: envelope(announced), stream: 4 * MiB })),
        ]);
        for (const [i, a] of six.entries()) {
          assert.equal(a.code, i < 3 ? "resource_exhausted" : "ResourceExhausted", JSON.stringify(a));
          assert.match(a.message, /^request too large: its (Content-Length|message envelope) announces 450 MiB \(471859\d+ bytes\); the controller takes at most 8 MiB per request \(--max-request-bytes\)$/);
          if (i < 3) assert.equal(a.status, 429);
          assert.ok(a.ms < 500, `refused after ${a.ms.toFixed(0)} ms`);
        }
        // 500 MiB that announces nothing: cut off once past the limit.
        const streamed = await rawCall(url, { path: APPLY, headers: { "content-type": "application/json" }, first: Buffer.from('{"filename":"'), stream: 500 * MiB });
        assert.equal(streamed.code, "resource_exhausted");
        assert.match(streamed.message, /^request too large: its body, with no size announced, passed 8 MiB \(\d+ bytes\); the controller takes at most 8 MiB per request \(--max-request-bytes\)$/);
        assert.ok(streamed.ms < 1000, `cut off after ${streamed.ms.toFixed(0)} ms`);
        assert.ok(streamed.sent < 64 * MiB, `the client got to send ${streamed.sent / MiB} MiB`);
        process.stdout.write(
          `# refusals: ${six.map((a) => a.ms.toFixed(0)).join(", ")} ms (announced 450 MiB), ${streamed.ms.toFixed(0)} ms (500 MiB streamed, ${(streamed.sent / MiB).toFixed(0)} MiB sent); ` +
            `RSS growth ${((rssMax - rss0) / MiB).toFixed(0)} MiB\n`,
        );
      } finally {
        clearInterval(sampler);
      }
      assert.ok(rssMax - rss0 < 200 * MiB, `RSS grew by ${((rssMax - rss0) / MiB).toFixed(0)} MiB`);

      // The agent is still connected, and gets the next change.
      const operator = createClient(CairnService, createGrpcTransport({ baseUrl: url }));
      const { revision } = await operator.listIntents({});
      assert.equal((await operator.listPaths({})).agents.length, 1);
      await operator.applyIntents({ intents: testIntents(topology, INTENTS_V2).map(intentToProto), baseRevision: revision });
      const next = (await updates.next()).value as PathUpdate;
      assert.equal(next.full, false);
      assert.equal(next.version, 2n);
    } finally {
      ac.abort();
      sm.abort();
    }
  });
});

test("the bytes of all bodies being read are bounded together; a slow body times out", async () => {
  const limits = { maxInflightRequestBytes: MiB, requestBodyTimeoutMs: 400 };
  await withController({ limits }, async (url) => {
    const size = 800 * 1024;
    const json = { "content-type": "application/json", "content-length": String(size) };
    // The first reserves its announced 800 KiB and sends a little of it, slowly.
    const slow = rawCall(url, { path: APPLY, headers: json, first: Buffer.from('{"filename":"'), hold: true });
    await new Promise((r) => setTimeout(r, 100));
    const second = await rawCall(url, { path: APPLY, headers: json, first: Buffer.from("{"), hold: true });
    assert.equal(second.code, "resource_exhausted");
    assert.match(second.message, /^the controller is busy reading 800 KiB of other requests, and this one \(800 KiB\) would take it over its limit of 1 MiB at once \(--max-inflight-request-bytes\); retry in a moment$/);
    assert.ok(second.ms < 300, `refused after ${second.ms.toFixed(0)} ms`);
    const timedOut = await slow;
    assert.equal(timedOut.code, "deadline_exceeded");
    assert.equal(timedOut.message, "the request body did not arrive within 400 ms (--request-body-timeout)");
    assert.ok(timedOut.ms >= 380 && timedOut.ms < 1500, `timed out after ${timedOut.ms.toFixed(0)} ms`);
    // Its reservation is gone with it: the same request goes through to the service now (and is refused there, as not JSON).
    const third = await rawCall(url, { path: APPLY, headers: json, first: Buffer.alloc(size, 0x20) });
    assert.equal(third.code, "invalid_argument", JSON.stringify(third));
  });
});

test("HTTP/2 settings announce the stream and header limits; connections beyond the cap are refused", async () => {
  await withController({ limits: { maxStreamsPerConnection: 7, maxHeaderBytes: 8192, maxConnections: 2 } }, async (url, logs) => {
    const open = () => {
      const s = http2.connect(url);
      s.on("error", () => {});
      return s;
    };
    const ping = (s: http2.ClientHttp2Session) =>
      new Promise<string>((resolve) => {
        const req = s.request({ ":method": "POST", ":path": "/cairn.v1.CairnService/ListIntents", "content-type": "application/json" });
        req.on("error", (e) => resolve(`error: ${e.message}`));
        req.on("close", () => resolve("error: closed without an answer"));
        req.on("response", (h) => resolve(String(h[":status"])));
        req.resume();
        req.end("{}");
      });
    const a = open();
    const b = open();
    try {
      const settings = await new Promise<http2.Settings>((r) => (a.remoteSettings?.maxConcurrentStreams !== undefined && a.connecting === false ? r(a.remoteSettings) : a.once("remoteSettings", r)));
      assert.equal(settings.maxConcurrentStreams, 7);
      assert.equal(settings.maxHeaderListSize, 8192);
      assert.equal(await ping(a), "200");
      assert.equal(await ping(b), "200");
      const c = open();
      const closed = new Promise<void>((r) => c.once("close", () => r()));
      assert.match(await ping(c), /^error/);
      await closed;
      await waitFor("the refusal logged", () => logs.some((l) => /connection refused on .*: 2 connections already \(--max-connections\)/.test(l)));
      assert.equal(await ping(a), "200");
    } finally {
      a.destroy();
      b.destroy();
    }
  });
});

test("intents per request and rules per host are refused before any path is computed, naming the limit and its option", async () => {
  await withController({ intents: [], limits: { maxIntents: 2 }, datapathLimits: { maxRules: 3 } }, async (url) => {
    const client = createClient(CairnService, createGrpcTransport({ baseUrl: url }));
    const v1 = testIntents(topology).map(intentToProto);
    const refused = async (call: Promise<unknown>, code: Code, message: RegExp) =>
      assert.rejects(call, (e: unknown) => e instanceof ConnectError && e.code === code && message.test(e.rawMessage));
    await refused(
      client.validateIntents({ intents: [...v1, { ...v1[0]!, name: "web2" }] }),
      Code.ResourceExhausted,
      /^limit "intents per request" exceeded: the request holds 4 intents; at most 2 \(controller --max-intents\)$/,
    );
    // web (2 port ranges) and bulk on h1: 3 rules; a datapath of --max-rules 3 holds 2.
    await refused(
      client.applyIntents({ intents: v1.slice(0, 2), baseRevision: 1n }),
      Code.FailedPrecondition,
      /limit "rules per host" exceeded on host h1 at rule bulk#0: the intents give it 3 rules .*its datapath holds 2 \(agent --max-rules 3, controller --max-rules\)/,
    );
    assert.equal((await client.applyIntents({ intents: v1.slice(1), baseRevision: 1n })).revision, 2n);
  });
});

test("limits: defaults, options, and bad values named by their option", () => {
  assert.deepEqual(resolveLimits(), DEFAULT_LIMITS);
  assert.deepEqual(pickLimits({ maxIntents: 5, requestBodyTimeout: 250, topology: "t.yaml", other: 1 }), { maxIntents: 5, requestBodyTimeoutMs: 250 });
  assert.throws(() => resolveLimits({ maxConnections: 0 }), /^Error: limit maxConnections \(--max-connections\) must be a whole number above 0, got 0$/);
});
