// What a caller with given credentials may do at the controller: each RPC tried once, its outcome as a
// Connect code name ("ok" when it succeeded). Run as a script (e.g. as an unprivileged app in a lab
// host, by trust.spec.ts) it also tries to read the lab's secrets, and prints JSON.
import { readFile } from "node:fs/promises";
import { createClient, ConnectError, Code } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { credentialInterceptors, sessionManagerFor, type ClientCredentials } from "../api/credentials.js";
import { create } from "@bufbuild/protobuf";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { AgentMessageSchema, CairnService, type AgentMessage } from "../api/gen/cairn/v1/cairn_pb.js";

export type Outcome = "ok" | string;

function outcome(e: unknown): Outcome {
  return e instanceof ConnectError ? Code[e.code] : `error: ${(e as Error).message}`;
}

async function attempt(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    await fn();
    return "ok";
  } catch (e) {
    return outcome(e);
  }
}

/**
 * Lists, applies (an empty set based on a revision that never was: refused as a conflict when allowed
 * at all), subscribes, reports and opens a session as `host`, asks for a web UI login, lists the
 * lab's faults and injects one on a router that does not exist.
 */
export async function tryCalls(url: string, creds: ClientCredentials, host: string): Promise<Record<string, Outcome>> {
  const sessionManager = sessionManagerFor(url, creds);
  const client = createClient(CairnService, createGrpcTransport({ baseUrl: url, sessionManager, interceptors: credentialInterceptors(creds), defaultTimeoutMs: 5_000 }));
  try {
    const subscribe = async () => {
      const ac = new AbortController();
      try {
        for await (const _ of client.subscribe({ host, agentVersion: "call-as" }, { signal: ac.signal })) {
          ac.abort(); // the first update came: subscribed
          return;
        }
      } catch (e) {
        if (ac.signal.aborted) return;
        throw e;
      }
    };
    const session = async () => {
      const ac = new AbortController();
      const requests = createWritableIterable<AgentMessage>();
      requests.write(create(AgentMessageSchema, { kind: { case: "subscribe", value: { host, agentVersion: "call-as" } } })).catch(() => {});
      try {
        for await (const m of client.agentSession(requests, { signal: ac.signal })) {
          if (m.kind.case !== "update") continue;
          ac.abort(); // the first update came: in session
          return;
        }
      } catch (e) {
        if (ac.signal.aborted) return;
        throw e;
      } finally {
        requests.close();
      }
    };
    return {
      ListPaths: await attempt(() => client.listPaths({})),
      ListIntents: await attempt(() => client.listIntents({})),
      ApplyIntents: await attempt(() => client.applyIntents({ intents: [], allowRemoveAll: true, baseRevision: 999_999_999n, filename: "call-as" })),
      Subscribe: await attempt(subscribe),
      ReportStatus: await attempt(() => client.reportStatus({ host, generation: "", appliedVersion: 0n, reportedAt: new Date().toISOString() })),
      AgentSession: await attempt(session),
      CreateUiLogin: await attempt(() => client.createUiLogin({})),
      ListLabFaults: await attempt(() => client.listLabFaults({})),
      // A router the lab lacks: an admin gets past authorisation to the lab's refusal, and nothing is injected.
      InjectLabFault: await attempt(() => client.injectLabFault({ kind: "down", target: "no-such-router" })),
    };
  } finally {
    sessionManager.abort();
  }
}

/** "readable" or the error code of reading each file. */
export async function tryRead(files: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of files) out[f] = await readFile(f).then(() => "readable", (e: NodeJS.ErrnoException) => e.code ?? "error");
  return out;
}

// node call-as.js URL CA_FILE HOST [FILE...]: no client credentials, only the CA to check the server.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, "/"))) {
  const [url, caFile, host, ...files] = process.argv.slice(2);
  const ca = await readFile(caFile!, "utf8");
  const result = { uid: process.getuid?.(), calls: await tryCalls(url!, { ca }, host!), files: await tryRead(files) };
  process.stdout.write(JSON.stringify(result) + "\n");
}
