// The controller's Connect API from the browser (connect-web over fetch, same origin: the session
// cookie of the one-time login authenticates every call), returning the plain views the CLI uses
// (src/api/convert*.ts). No other API: what the UI shows, the CLI can show too.
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { CairnService, ValidationErrorsSchema } from "../../src/api/gen/cairn/v1/cairn_pb.js";
import type { LabFault } from "../../src/api/gen/cairn/v1/cairn_pb.js";
import { configErrorsFromProto, intentToProto, listIntentsFromProto, pathsViewFromProto } from "../../src/api/convert.js";
import { topologyFromProto, validateResultFromProto, applyResultFromProto } from "../../src/api/convert-apply.js";
import { eventFromProto, eventsViewFromProto, linksViewFromProto } from "../../src/api/convert-liveliness.js";
import type { ApplyResultView, EventView, EventsView, LinksView, PathsView, ValidateResultView } from "../../src/api/types.js";
import type { ConfigError } from "../../src/config/errors.js";
import type { Intent, Topology } from "../../src/core/model.js";

export type { LabFault };

export interface Caller {
  name: string;
  role: string;
  via: string;
  /** The RPCs this role may call. */
  allowed: Set<string>;
}

export interface IntentsState {
  intents: Intent[];
  source: string;
  revision: number;
  changedAt: string;
  changedBy: string;
}

/** A refused call: the server's code and message, and its validation errors (file:line:col or field path). */
export class CallError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly validation: ConfigError[] = [],
  ) {
    super(message);
    this.name = "CallError";
  }
  get codeName(): string {
    return Code[this.code].replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c : `_${c}`)).toUpperCase();
  }
}

function callError(e: unknown): CallError {
  const ce = ConnectError.from(e);
  const validation = ce.code === Code.InvalidArgument ? ce.findDetails(ValidationErrorsSchema).flatMap(configErrorsFromProto) : [];
  return new CallError(ce.code, ce.rawMessage, validation);
}

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw callError(e);
  }
}

export interface Api {
  whoAmI(): Promise<Caller>;
  getTopology(): Promise<Topology>;
  listLinks(): Promise<LinksView>;
  listPaths(): Promise<PathsView>;
  listIntents(): Promise<IntentsState>;
  listEvents(limit: number): Promise<EventsView>;
  /** Held events after `afterSeq`, then each new one, until `signal` aborts or the stream ends. */
  watchEvents(afterSeq: number, signal: AbortSignal): AsyncIterable<EventView>;
  validateIntents(intents: Intent[], source: string): Promise<ValidateResultView>;
  applyIntents(intents: Intent[], source: string, baseRevision: number): Promise<ApplyResultView>;
  listLabFaults(): Promise<LabFault[]>;
  injectLabFault(kind: string, target: string, direction: string, percent: number): Promise<LabFault>;
  healLabFault(target: string): Promise<LabFault[]>;
}

export function createApi(baseUrl = location.origin): Api {
  const client: Client<typeof CairnService> = createClient(CairnService, createConnectTransport({ baseUrl, useBinaryFormat: true }));
  return {
    whoAmI: () =>
      call(async () => {
        const r = await client.whoAmI({});
        return { name: r.name, role: r.role, via: r.via, allowed: new Set(r.allowed) };
      }),
    getTopology: () => call(async () => topologyFromProto(await client.getTopology({}))),
    listLinks: () => call(async () => linksViewFromProto(await client.listLinks({}))),
    listPaths: () => call(async () => pathsViewFromProto(await client.listPaths({ hosts: [] }))),
    listIntents: () => call(async () => listIntentsFromProto(await client.listIntents({}))),
    listEvents: (limit) => call(async () => eventsViewFromProto(await client.listEvents({ afterSeq: 0n, limit }))),
    async *watchEvents(afterSeq, signal) {
      try {
        for await (const m of client.watchEvents({ afterSeq: BigInt(afterSeq) }, { signal, timeoutMs: 0 })) yield eventFromProto(m);
      } catch (e) {
        if (signal.aborted) return;
        throw callError(e);
      }
    },
    validateIntents: (intents, source) =>
      call(async () => validateResultFromProto(await client.validateIntents({ intents: intents.map(intentToProto), filename: source, baseRevision: 0n, allowRemoveAll: false }))),
    applyIntents: (intents, source, baseRevision) =>
      call(async () => applyResultFromProto(await client.applyIntents({ intents: intents.map(intentToProto), filename: source, baseRevision: BigInt(baseRevision), allowRemoveAll: false }))),
    listLabFaults: () => call(async () => (await client.listLabFaults({})).faults),
    injectLabFault: (kind, target, direction, percent) => call(async () => (await client.injectLabFault({ kind, target, direction, percent })).fault!),
    healLabFault: (target) => call(async () => (await client.healLabFault({ target, all: target === "" })).healed),
  };
}
