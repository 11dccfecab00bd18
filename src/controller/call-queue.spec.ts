import { test } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { queueCalls } from "./call-queue.js";
import { until } from "../testing/until.js";

/** A real HTTP/2 server whose handler holds every call until the test releases it. */
async function heldServer(maxConcurrent: number) {
  const started: string[] = [];
  const held = new Map<string, () => void>();
  const queue = queueCalls(
    ((req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
      const id = req.headers["x-id"] as string;
      started.push(id);
      held.set(id, () => res.end(id));
    }) as never,
    { maxConcurrent, streams: new Set(["/svc/Watch"]) },
  );
  const server = http2.createServer(queue as never);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const call = (id: string, path = "/svc/Unary") => {
    const s = client.request({ ":path": path, ":method": "POST", "x-id": id });
    s.end();
    let body = "";
    s.setEncoding("utf8").on("data", (d: string) => (body += d));
    return { stream: s, done: new Promise<string>((r, j) => s.on("end", () => r(body)).on("error", j)) };
  };
  const release = (id: string) => {
    held.get(id)!();
    held.delete(id);
  };
  const close = async () => {
    for (const f of held.values()) f();
    client.close();
    await new Promise((r) => server.close(r));
  };
  return { queue, started, call, release, close };
}

test("unary calls are answered at most N at a time, in arrival order; the others start as slots free", async () => {
  const s = await heldServer(3);
  try {
    const calls = ["a", "b", "c", "d", "e", "f"].map((id) => s.call(id));
    await until("three calls started", () => s.started.length === 3, 5_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(s.started, ["a", "b", "c"], "no more than 3 started");
    assert.equal(s.queue.active, 3);
    assert.equal(s.queue.waiting, 3);
    s.release("b");
    assert.equal(await calls[1]!.done, "b");
    await until("d started", () => s.started.length === 4, 5_000);
    assert.deepEqual(s.started, ["a", "b", "c", "d"], "the first waiting call takes the freed slot");
    for (const id of ["a", "c", "d"]) s.release(id);
    await until("e and f started", () => s.started.length === 6, 5_000);
    s.release("e");
    s.release("f");
    assert.deepEqual(await Promise.all(calls.map((c) => c.done)), ["a", "b", "c", "d", "e", "f"]);
    await until("nothing active", () => s.queue.active === 0 && s.queue.waiting === 0, 5_000);
  } finally {
    await s.close();
  }
});

test("streams are neither queued nor counted; a waiting call whose client gave up is skipped", async () => {
  const s = await heldServer(1);
  try {
    const first = s.call("first");
    await until("first started", () => s.started.length === 1, 5_000);
    const watch = s.call("watch", "/svc/Watch");
    await until("the stream started past the full queue", () => s.started.includes("watch"), 5_000);
    assert.equal(s.queue.active, 1, "the stream does not take the slot");
    const quitter = s.call("quitter");
    const patient = s.call("patient");
    await until("two waiting", () => s.queue.waiting === 2, 5_000);
    quitter.stream.close(http2.constants.NGHTTP2_CANCEL);
    await new Promise((r) => setTimeout(r, 100));
    s.release("first");
    await first.done;
    await until("patient started", () => s.started.includes("patient"), 5_000);
    assert.ok(!s.started.includes("quitter"), `a call abandoned while waiting never reaches the handler: ${s.started.join(",")}`);
    s.release("patient");
    s.release("watch");
    assert.equal(await patient.done, "patient");
    assert.equal(await watch.done, "watch");
  } finally {
    await s.close();
  }
});
