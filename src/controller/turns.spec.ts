// Turns: at most N jobs at once, started in arrival order; and agents' session messages taking them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { AgentMessageSchema, ReportStatusResponseSchema, type AgentMessage, type PathUpdate } from "../api/gen/cairn/v1/cairn_pb.js";
import { runAgentSession } from "./agent-session.js";
import { Turns } from "./turns.js";

test("turns: at most max jobs run, the rest start in arrival order; a job that declines frees its turn at once", () => {
  const t = new Turns(2);
  const started: number[] = [];
  for (let i = 0; i < 5; i++) t.run(() => (started.push(i), true));
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual([t.running, t.waiting], [2, 3]);
  t.run(() => false); // queued behind 2, 3, 4
  t.release();
  assert.deepEqual(started, [0, 1, 2]);
  t.release();
  t.release();
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.deepEqual([t.running, t.waiting], [2, 1]);
  t.release();
  assert.deepEqual([t.running, t.waiting], [1, 0], "the declining job took no turn");
});

test("turns: 100,000 jobs that end at once run without nesting (no stack overflow)", () => {
  const t = new Turns(1);
  let n = 0;
  t.run(() => true); // holds the only turn
  for (let i = 0; i < 100_000; i++) t.run(() => (n++, t.release(), true));
  t.release();
  assert.equal(n, 100_000);
  assert.deepEqual([t.running, t.waiting], [0, 0]);
});

test("a session's reports take turns: one waiting for a turn is handled once the holder releases it", async () => {
  const turns = new Turns(1);
  const requests = createWritableIterable<AgentMessage>();
  const handled: string[] = [];
  const ac = new AbortController();
  const session = runAgentSession(
    requests,
    {
      subscribe: async function* (_req, signal): AsyncGenerator<PathUpdate> {
        await new Promise((r) => signal.addEventListener("abort", r));
      },
      report: async (r) => (handled.push(r.reportedAt), create(ReportStatusResponseSchema, { version: 1n })),
      ack: () => create(ReportStatusResponseSchema, { version: 2n }),
    },
    ac.signal,
    turns,
  );
  const answers: string[] = [];
  const reading = (async () => {
    for await (const m of session) answers.push(`${m.kind.case}:${m.kind.case === "reportStatus" ? m.kind.value.version : ""}`);
  })();
  void requests.write(create(AgentMessageSchema, { kind: { case: "subscribe", value: { host: "h1" } } }));
  turns.run(() => true); // someone else holds the only turn
  void requests.write(create(AgentMessageSchema, { kind: { case: "report", value: { host: "h1", reportedAt: "r1" } } }));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(handled, [], "no turn yet");
  assert.equal(turns.waiting, 1);
  turns.release();
  void requests.write(create(AgentMessageSchema, { kind: { case: "ack", value: { appliedVersion: 2n } } }));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(handled, ["r1"]);
  requests.close();
  await reading;
  assert.deepEqual(answers, ["reportStatus:1", "reportStatus:2"]);
  assert.deepEqual([turns.running, turns.waiting], [0, 0], "every turn given back");
});
