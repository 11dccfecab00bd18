// The controller as `cairn controller` runs it (runController), in-process on ephemeral loopback
// ports, for specs that exercise its flags, TLS and plain HTTP routes.
import type { TestContext } from "node:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { scratchDir, waitFor } from "../certs/testing.js";
import { runController, type ControllerCliOptions } from "./main.js";
import type { ControllerHandle } from "./server.js";
import { INTENTS_V1, TOPOLOGY_YAML } from "./testing.js";

/** Serves TOPOLOGY_YAML and INTENTS_V1 from a scratch directory; stopped when the test ends. */
export async function serveController(t: TestContext, o: Partial<ControllerCliOptions> & ({ tlsDir: string } | { insecure: true })): Promise<ControllerHandle> {
  const files = await scratchDir(t, "cairn-ctl-");
  await writeFile(join(files, "topology.yaml"), TOPOLOGY_YAML);
  await writeFile(join(files, "intents.yaml"), INTENTS_V1);
  const ac = new AbortController();
  let handle: ControllerHandle | undefined;
  const run = runController({ topology: join(files, "topology.yaml"), intents: join(files, "intents.yaml"), listen: ["[::1]:0"], signal: ac.signal, onReady: (c) => (handle = c), ...o });
  t.after(async () => {
    ac.abort();
    await run.catch(() => {});
  });
  await Promise.race([waitFor(() => handle !== undefined, 10_000, "the controller"), run.then(() => Promise.reject(new Error("the controller stopped")))]);
  return handle!;
}
