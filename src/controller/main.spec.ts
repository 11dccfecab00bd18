import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigFileError } from "../config/errors.js";
import { getPaths } from "../api/client.js";
import { runController } from "./main.js";
import { parseListenAddress } from "../config/listen-address.js";
import type { ControllerHandle } from "./server.js";
import { INTENTS_INVALID, INTENTS_V1, TOPOLOGY_YAML } from "./testing.js";

test("parseListenAddress", () => {
  assert.deepEqual(parseListenAddress("[::1]:50051"), { host: "::1", port: 50051 });
  assert.deepEqual(parseListenAddress("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
  assert.deepEqual(parseListenAddress("localhost:8080"), { host: "localhost", port: 8080 });
  assert.deepEqual(parseListenAddress(":50051"), { host: "::", port: 50051 });
  for (const bad of ["::1:50051", "[::1]", "host:99999", "host:"]) assert.throws(() => parseListenAddress(bad), /invalid listen address/);
});

test("runController loads the files, serves, and stops on its signal", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-ctl-"));
  try {
    writeFileSync(join(dir, "topology.yaml"), TOPOLOGY_YAML);
    writeFileSync(join(dir, "intents.yaml"), INTENTS_V1);
    const ac = new AbortController();
    let handle: ControllerHandle | undefined;
    const run = runController({
      topology: join(dir, "topology.yaml"),
      intents: join(dir, "intents.yaml"),
      listen: ["[::1]:0"],
      insecure: true,
      signal: ac.signal,
      onReady: (c) => (handle = c),
    });
    while (!handle) await new Promise((r) => setTimeout(r, 10));
    const paths = await getPaths(handle.urls[0]!);
    assert.deepEqual(paths.hosts.map((h) => h.rules.length), [3, 0, 1]);
    ac.abort();
    await run;
    await assert.rejects(getPaths(handle.urls[0]!), /unavailable/);

    writeFileSync(join(dir, "bad.yaml"), INTENTS_INVALID);
    await assert.rejects(
      runController({ topology: join(dir, "topology.yaml"), intents: join(dir, "bad.yaml"), listen: ["[::1]:0"], insecure: true }),
      (e: unknown) => e instanceof ConfigFileError && e.errors.length === 2 && /bad\.yaml:3:/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
