// Operator client for `cairn apply` (with apply-file.ts), `cairn get paths|links`, `cairn events`,
// and the agent's report call. Returns plain data (src/api/types.ts); protobuf stays
// inside src/api.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { CallOptions, Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { credentialInterceptors, sessionManagerFor, type ClientCredentials } from "./credentials.js";
import type { Intent, Topology } from "../core/model.js";
import { ConfigFileError } from "../config/errors.js";
import { CairnService, ValidationErrorsSchema } from "./gen/cairn/v1/cairn_pb.js";
import { agentReportToProto, configErrorsFromProto, intentToProto, listIntentsFromProto, pathsViewFromProto, reportAckFromProto } from "./convert.js";
import { applyResultFromProto, topologyFromProto, validateResultFromProto } from "./convert-apply.js";
import { eventFromProto, eventsViewFromProto, linksViewFromProto } from "./convert-liveliness.js";
import { topologyChangeCallToProto, topologyChangeResultFromProto, type TopologyChangeCallView } from "./convert-topology.js";
import type {
  AgentReportView,
  ApplyResultView,
  EventsView,
  EventView,
  IntentsRevisionView,
  LinksView,
  PathsView,
  ReportAckView,
  TopologyChangeResultView,
  ValidateResultView,
} from "./types.js";

/** CreateUiLogin's answer. */
export interface UiLoginView {
  /** The path to open on the controller's URL, token included. */
  loginPath: string;
  /** How long the link works (once); 0 on an open controller (no login needed). */
  expiresInMs: number;
  sessionMs: number;
  name: string;
  role: string;
}

export interface OperatorClientOptions {
  /** "connect" (JSON, default) or "grpc" (binary); both over HTTP/2. */
  protocol?: "connect" | "grpc";
  /** CA, client certificate, token: how to reach a TLS controller and who to say we are. */
  credentials?: ClientCredentials;
  /** Per-call timeout; default 10 s. */
  timeoutMs?: number;
}

export interface OperatorClient {
  readonly baseUrl: string;
  listPaths(hosts?: string[]): Promise<PathsView>;
  listIntents(): Promise<{ intents: Intent[]; source: string } & IntentsRevisionView>;
  /** The topology the controller computes over (to check intents files against). */
  getTopology(): Promise<Topology>;
  /**
   * What applyIntents would do (the diff against the current revision, or against `baseRevision`
   * when given: a conflict otherwise), applying nothing. Throws as applyIntents does.
   */
  validateIntents(intents: Intent[], opts: IntentsCallOptions): Promise<ValidateResultView>;
  /**
   * Replaces the controller's intents, based on `baseRevision`. Throws ConfigFileError (every
   * validation error) for invalid intents, and ControllerCallError with code Aborted for a
   * conflict, FailedPrecondition for a removal of every intent without allowRemoveAll or a
   * datapath limit exceeded.
   */
  applyIntents(intents: Intent[], opts: IntentsCallOptions & { baseRevision: number }): Promise<ApplyResultView>;
  /** Every link and node with its liveliness, the revisions and the operator's changes in force. */
  listLinks(): Promise<LinksView>;
  /** A one-time login link (path and token) for the web UI, as the caller. */
  createUiLogin(): Promise<UiLoginView>;
  /** Operator topology changes (drain, undrain, metrics, measured), based on a topology revision; ControllerCallError Aborted on a conflict. */
  changeTopology(call: TopologyChangeCallView): Promise<TopologyChangeResultView>;
  /** Held events after `afterSeq`, the newest `limit` (0: all). */
  listEvents(afterSeq?: number, limit?: number): Promise<EventsView>;
  /** Held events after `afterSeq`, then new ones as they happen, until `signal` aborts. No call timeout. */
  watchEvents(afterSeq: number, signal: AbortSignal): AsyncIterable<EventView>;
  /** Closes the HTTP/2 connection. */
  close(): void;
}

export interface IntentsCallOptions {
  /** Where the intents come from (a file name), for the controller's events, audit log and errors. */
  source: string;
  /** The revision the intents are based on; for validateIntents 0 (or absent) = the current one. */
  baseRevision?: number;
  /** Allow removing every intent. */
  allowRemoveAll?: boolean;
}

/** A failed call, with the controller URL in the message. */
export class ControllerCallError extends Error {
  readonly code: Code;
  constructor(baseUrl: string, e: ConnectError) {
    super(`controller ${baseUrl}: ${e.code === Code.Unavailable ? "unavailable: " : ""}${e.rawMessage}`, { cause: e });
    this.name = "ControllerCallError";
    this.code = e.code;
  }
}

function translate(baseUrl: string, e: unknown): never {
  const ce = ConnectError.from(e);
  if (ce.code === Code.InvalidArgument) {
    const details = ce.findDetails(ValidationErrorsSchema);
    const errors = details.flatMap(configErrorsFromProto);
    if (errors.length > 0) throw new ConfigFileError(errors);
  }
  throw new ControllerCallError(baseUrl, ce);
}

export function createOperatorClient(baseUrl: string, opts: OperatorClientOptions = {}): OperatorClient {
  const sessionManager = sessionManagerFor(baseUrl, opts.credentials);
  const common = { baseUrl, httpVersion: "2" as const, sessionManager, defaultTimeoutMs: opts.timeoutMs ?? 10_000, interceptors: credentialInterceptors(opts.credentials) };
  const transport =
    opts.protocol === "grpc" ? createGrpcTransport(common) : createConnectTransport({ ...common, useBinaryFormat: false });
  const client: Client<typeof CairnService> = createClient(CairnService, transport);
  return {
    baseUrl,
    async listPaths(hosts = []) {
      try {
        return pathsViewFromProto(await client.listPaths({ hosts }));
      } catch (e) {
        translate(baseUrl, e);
      }
    },
    async listIntents() {
      try {
        return listIntentsFromProto(await client.listIntents({}));
      } catch (e) {
        translate(baseUrl, e);
      }
    },
    async getTopology() {
      try {
        return topologyFromProto(await client.getTopology({}));
      } catch (e) {
        translate(baseUrl, e);
      }
    },
    async validateIntents(intents, o) {
      try {
        const req = { intents: intents.map(intentToProto), filename: o.source, baseRevision: BigInt(o.baseRevision ?? 0), allowRemoveAll: o.allowRemoveAll ?? false };
        return validateResultFromProto(await client.validateIntents(req));
      } catch (e) {
        translate(baseUrl, e);
      }
    },
    async applyIntents(intents, o) {
      try {
        const req = { intents: intents.map(intentToProto), filename: o.source, baseRevision: BigInt(o.baseRevision), allowRemoveAll: o.allowRemoveAll ?? false };
        return applyResultFromProto(await client.applyIntents(req));
      } catch (e) {
        translate(baseUrl, e);
      }
    },
    async listLinks() {
      try {
        return linksViewFromProto(await client.listLinks({}));
      } catch (e) {
        translate(baseUrl, e);
      }
    },
    async createUiLogin() {
      try {
        const r = await client.createUiLogin({});
        return { loginPath: r.loginPath, expiresInMs: r.expiresInMs, sessionMs: r.sessionMs, name: r.name, role: r.role };
      } catch (e) {
        translate(baseUrl, e);
      }
    },
    async changeTopology(call) {
      try {
        return topologyChangeResultFromProto(await client.changeTopology(topologyChangeCallToProto(call)));
      } catch (e) {
        translate(baseUrl, e);
      }
    },
    async listEvents(afterSeq = 0, limit = 0) {
      try {
        return eventsViewFromProto(await client.listEvents({ afterSeq: BigInt(afterSeq), limit }));
      } catch (e) {
        translate(baseUrl, e);
      }
    },
    async *watchEvents(afterSeq, signal) {
      try {
        for await (const m of client.watchEvents({ afterSeq: BigInt(afterSeq) }, { signal, timeoutMs: 0 })) yield eventFromProto(m);
      } catch (e) {
        if (signal.aborted) return;
        translate(baseUrl, e);
      }
    },
    close() {
      sessionManager.abort();
    },
  };
}

/** `cairn get paths`: every host's rules and the connected agents. */
/** Every host's paths, or those of `hosts` (an unknown one is NOT_FOUND, with the nearest names). */
export async function getPaths(url: string, opts: OperatorClientOptions = {}, hosts: string[] = []): Promise<PathsView> {
  const c = createOperatorClient(url, opts);
  try {
    return await c.listPaths(hosts);
  } finally {
    c.close();
  }
}

/** `cairn get links`: every link and node with its liveliness. */
export async function getLinks(url: string, opts: OperatorClientOptions = {}): Promise<LinksView> {
  const c = createOperatorClient(url, opts);
  try {
    return await c.listLinks();
  } finally {
    c.close();
  }
}

/**
 * An agent's ReportStatus call over its own client (and so its own connection and transport). The
 * ConnectError of a failed call propagates: NOT_FOUND for a host not in the topology, INVALID_ARGUMENT
 * for a report out of bounds, UNAVAILABLE when the controller cannot be reached.
 */
export async function reportStatus(client: Client<typeof CairnService>, report: AgentReportView, opts?: CallOptions): Promise<ReportAckView> {
  return reportAckFromProto(await client.reportStatus(agentReportToProto(report), opts));
}
