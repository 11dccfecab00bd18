// CairnService's methods over the controller's state: what each RPC does, apart from the HTTP/2
// transport that carries it (server.ts).
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import type { ConnectRouter, HandlerContext, Interceptor } from "@connectrpc/connect";
import { CairnService, type Acknowledgement, type AgentReport, type PathUpdate, type ReportStatusResponse, type SubscribeRequest } from "../api/gen/cairn/v1/cairn_pb.js";
import { runAgentSession } from "./agent-session.js";
import type { Turns } from "./turns.js";
import {
  agentReportFromProto,
  ConversionError,
  intentToProto,
  pathsViewToProto,
  pathUpdateToProto,
  reportAckToProto,
} from "../api/convert.js";
import { applyResultToProto, topologyToProto, validateResultToProto } from "../api/convert-apply.js";
import { eventsViewToProto, eventToProto, linksViewToProto } from "../api/convert-liveliness.js";
import type { AgentReportView, LinksView, PathsView, ReceivedReportView } from "../api/types.js";
import { HubClosedError } from "./hub.js";
import type { HubSource, SubscriberInfo, SubscriptionHub } from "./hub.js";
import type { Intent, Topology } from "../core/model.js";
import { MAX_REQUEST_BYTES, REPORT_LIMITS, reportProblem } from "./reports.js";
import type { ReportStore } from "./reports.js";
import type { HostDelta } from "./state.js";
import { EventRingClosedError, type EventLog } from "./events.js";
import type { PushTracker } from "./pushes.js";
import { checkOwnHost } from "./authz.js";
import { streamWhileValid } from "./revalidate.js";
import type { IntentsService } from "./intents-apply.js";
import { kPrincipal, type Principal } from "./principal.js";
import { rejectUnknownFields, STRICT_JSON } from "./strict.js";
import { decodeErrorsAsInvalidArgument } from "./decode-errors.js";
import { quote } from "../core/quote.js";
import { unknownNameHint } from "../core/name-hints.js";
import type { RateLimiter } from "./rate-limit.js";
import type { RejectionCounts } from "./rejections.js";
import type { TopologyService } from "./topology-request.js";
import { topologyChangeCallFromProto, topologyChangeResultToProto } from "../api/convert-topology.js";
import type { UiSessions } from "./ui-sessions.js";
import type { LabFaultsService } from "./lab-faults.js";
import { uiRpcs } from "./ui-rpcs.js";

/** The remote address of the request's connection, set by the transport. */
export const kPeer = createContextKey<string>("unknown");

/** What the service reads: the controller's state (state.ts), or a replica's mirror of the store (replicas/mirror.ts). */
export interface ServedState extends HubSource {
  readonly topology: Topology;
  intents(): Intent[];
  hosts(): string[];
  hasHost(host: string): boolean;
}

/** Where accepted reports go, and what ListLinks shows: Liveliness, or a replica's relay and view of the overlay. */
export interface ReportSink {
  /** A report passed every check; `previous` is the host's last one here. */
  reported(previous: ReceivedReportView | undefined, report: ReceivedReportView): void | Promise<void>;
  links(): LinksView;
}

export interface ServiceDeps {
  state: ServedState;
  hub: SubscriptionHub;
  reports: ReportStore;
  events: EventLog;
  pushes: PushTracker;
  liveliness: ReportSink;
  /** Sends deltas to the hosts' agents and records the pushes, caused by event `cause`. */
  publish: (deltas: HostDelta[], cause: number) => void;
  log: (line: string) => void;
  /** Agents authenticate: each may subscribe to and report on its own host only. */
  enforceOwnHost?: boolean;
  /**
   * Run before every call, outermost first (authorisation). They go here, not on the adapter:
   * the service's own options replace the router's interceptors rather than add to them.
   */
  interceptors?: Interceptor[];
  /** ValidateIntents, ApplyIntents and ListIntents' revision (intents-apply.ts). */
  applier: IntentsService;
  /** ChangeTopology, and the operator's changes in ListLinks: one controller's (topology-changes.ts) or a replica's (replicas/replica-topology.ts). */
  topologyChanges: TopologyService;
  /** Per-caller rates of ApplyIntents and ValidateIntents; none: unlimited. */
  rateLimits?: { apply: RateLimiter; validate: RateLimiter; topology?: RateLimiter };
  /** The budget of reports and calls handled at once (call-queue.ts): a session's messages take their turns in it. */
  turns?: Turns;
  /** Where refusals (authorisation, rate limits) are counted for /metrics. */
  rejections?: RejectionCounts;
  /** Largest request and response message; default MAX_REQUEST_BYTES and connect's default. */
  readMaxBytes?: number;
  writeMaxBytes?: number;
  /** The web UI's logins (CreateUiLogin); and, on a lab's controller, the lab's faults. */
  ui: { sessions: UiSessions; labFaults?: LabFaultsService };
}

/** The caller's principal, with the connection's peer when the transport did not set one. */
function principalOf(ctx: HandlerContext): Principal {
  const p = ctx.values.get(kPrincipal);
  return p.peer === "unknown" ? { ...p, peer: ctx.values.get(kPeer) } : p;
}

/**
 * A request's base_revision as a number. Revisions count applies from 1, so one past 2^53 is no
 * revision this controller had; refused here, as a number it would round, and the rounded value
 * (recorded in the refusal's event) could no longer be sent back as a uint64.
 */
function revisionOf(r: bigint): number {
  if (r > BigInt(Number.MAX_SAFE_INTEGER)) throw new ConnectError(`base_revision ${r} is no revision this controller has had (they count applies from 1)`, Code.InvalidArgument);
  return Number(r);
}

export function cairnRoutes(deps: ServiceDeps): (router: ConnectRouter) => void {
  const { state, hub, reports, events, pushes, liveliness, log, applier, topologyChanges } = deps;
  const describe = (i: SubscriberInfo) => `host=${i.host} peer=${i.peer}${i.agentVersion ? ` agent=${i.agentVersion}` : ""}`;
  const unknownHost = (host: string) =>
    new ConnectError(`unknown host ${quote(host)}; ${unknownNameHint(host, state.hosts(), { what: "hosts" })}`, Code.NotFound);

  /** The checks of every agent RPC: the host is named, the caller may act for it, the topology has it. */
  function checkHost(host: string, ctx: HandlerContext, method: string): void {
    if (!host) throw new ConnectError("host is required", Code.InvalidArgument);
    checkOwnHost(ctx.values.get(kPrincipal), host, method, deps.enforceOwnHost === true, log, deps.rejections);
    if (!state.hasHost(host)) throw unknownHost(host);
  }

  /** Subscribe's checks, made at once (throwing refuses the call); then the host's updates until `signal` aborts. */
  function feed(req: SubscribeRequest, ctx: HandlerContext, method: string, signal: AbortSignal): AsyncGenerator<PathUpdate> {
    checkHost(req.host, ctx, method);
    const holds = req.generation !== "" ? { holds: { generation: req.generation, version: req.version } } : {};
    const open = (valid: AbortSignal) =>
      hub.stream(req.host, { agentVersion: req.agentVersion, peer: ctx.values.get(kPeer), ...holds }, valid, {
        onOpen: (i) => log(`agent connected: ${describe(i)} (${hub.count()} connected)`),
        onClose: (i) => log(`agent disconnected: ${describe(i)} last-version=${i.lastSentVersion} (${hub.count()} connected)`),
      });
    return streamWhileValid(principalOf(ctx), signal, method, log, open, pathUpdateToProto, (e) => e instanceof HubClosedError);
  }

  /** ReportStatus: checks the report, keeps it, counts its acknowledgement, localises from it; answers the host's version after. */
  async function takeReport(req: AgentReport, ctx: HandlerContext, method: string): Promise<ReportStatusResponse> {
    checkHost(req.host, ctx, method);
    const snapshot = state.snapshot(req.host) ?? { rules: [] };
    let report: AgentReportView;
    try {
      report = agentReportFromProto(req);
    } catch (e) {
      if (e instanceof ConversionError) throw new ConnectError(`report from ${req.host}: ${e.message}`, Code.InvalidArgument);
      throw e;
    }
    const problem = reportProblem(report, snapshot.rules.length, state.topology);
    if (problem) throw new ConnectError(`report from ${req.host}: ${problem}`, Code.InvalidArgument);
    const previous = reports.get(report.host);
    const received = reports.put(report);
    pushes.reported(report.host, report.generation, report.appliedVersion);
    await liveliness.reported(previous, received);
    // The version after whatever this report set off.
    return versionOf(req.host);
  }

  /** An acknowledgement on a session (whose subscription checked the host): counts as a report's applied version. */
  function takeAck(host: string, ack: Acknowledgement): ReportStatusResponse {
    if (ack.generation.length > REPORT_LIMITS.generationChars) {
      throw new ConnectError(`ack from ${host}: generation is ${ack.generation.length} characters long; at most ${REPORT_LIMITS.generationChars}`, Code.InvalidArgument);
    }
    if (ack.appliedVersion > BigInt(Number.MAX_SAFE_INTEGER)) throw new ConnectError(`ack from ${host}: applied_version ${ack.appliedVersion} is no version this controller sent`, Code.InvalidArgument);
    pushes.reported(host, ack.generation, Number(ack.appliedVersion));
    return versionOf(host);
  }

  /** The host's version now, as the answer to a report or an ack. */
  function versionOf(host: string): ReportStatusResponse {
    const now = state.snapshot(host);
    return reportAckToProto({ generation: state.generation, version: Number(now?.version ?? 0n), topologyRevision: now?.topologyRevision ?? 0, intentsRevision: now?.intentsRevision ?? 0 });
  }

  /** Takes one call of the caller's budget, counting a refusal. */
  function limit(limiter: RateLimiter | undefined, ctx: HandlerContext): void {
    try {
      limiter?.take(principalOf(ctx));
    } catch (e) {
      deps.rejections?.count("rate_limited");
      throw e;
    }
  }

  return (router) => {
    const from = router.handlers.length;
    router.service(
      CairnService,
      {
        subscribe(req, ctx) {
          return feed(req, ctx, "Subscribe", ctx.signal);
        },

        agentSession(requests, ctx) {
          return runAgentSession(
            requests,
            { subscribe: (req, signal) => feed(req, ctx, "AgentSession", signal), report: (req) => takeReport(req, ctx, "AgentSession"), ack: takeAck },
            ctx.signal,
            deps.turns,
          );
        },

        listIntents() {
          const { revision, changedAt, changedBy, source } = applier.current();
          return { intents: state.intents().map(intentToProto), source, revision: BigInt(revision), changedAt, changedBy };
        },

        getTopology() {
          return { ...topologyToProto(state.topology), topologyRevision: BigInt(state.revisions().topology) };
        },

        listPaths(req) {
          const unknown = req.hosts.filter((h) => !state.hasHost(h));
          if (unknown.length > 0) {
            const shown = unknown.slice(0, 10).map((h) => quote(h)).join(", ");
            // One hint, for the first: each scans every host's name.
            const hint = unknownNameHint(unknown[0]!, state.hosts(), { what: "hosts" });
            throw new ConnectError(`unknown host(s): ${shown}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ""}; ${unknown.length > 1 ? `${quote(unknown[0]!)}: ` : ""}${hint}`, Code.NotFound);
          }
          const wanted = req.hosts.length > 0 ? new Set(req.hosts) : null;
          const revisions = state.revisions();
          const view: PathsView = {
            generation: state.generation,
            topologyRevision: revisions.topology,
            intentsRevision: revisions.intents,
            hosts: state
              .hosts()
              .filter((h) => !wanted || wanted.has(h))
              .map((h) => {
                const s = state.snapshot(h);
                const report = reports.get(h);
                return {
                  host: h,
                  version: Number(s?.version ?? 0n),
                  rules: s?.rules ?? [],
                  watch: s?.watch ?? [],
                  topologyRevision: s?.topologyRevision ?? 0,
                  intentsRevision: s?.intentsRevision ?? 0,
                  ...(report ? { report } : {}),
                };
              }),
            agents: hub
              .subscribers()
              .filter((a) => !wanted || wanted.has(a.host))
              .map((a) => ({
                host: a.host,
                agentVersion: a.agentVersion,
                peer: a.peer,
                connectedAt: a.connectedAt.toISOString(),
                lastSentVersion: Number(a.lastSentVersion),
              })),
          };
          return pathsViewToProto(view);
        },

        reportStatus(req, ctx) {
          return takeReport(req, ctx, "ReportStatus");
        },

        async applyIntents(req, ctx) {
          limit(deps.rateLimits?.apply, ctx);
          const request = { intents: req.intents, filename: req.filename, baseRevision: revisionOf(req.baseRevision), allowRemoveAll: req.allowRemoveAll };
          return applyResultToProto(await applier.apply(request, principalOf(ctx)));
        },

        async validateIntents(req, ctx) {
          limit(deps.rateLimits?.validate, ctx);
          const request = { intents: req.intents, filename: req.filename, baseRevision: revisionOf(req.baseRevision), allowRemoveAll: req.allowRemoveAll };
          return validateResultToProto(await applier.validate(request));
        },

        listLinks() {
          return linksViewToProto(topologyChanges.decorate(liveliness.links()));
        },

        async changeTopology(req, ctx) {
          limit(deps.rateLimits?.topology, ctx);
          let call;
          try {
            call = topologyChangeCallFromProto(req);
          } catch (e) {
            if (e instanceof ConversionError) throw new ConnectError(e.message, Code.InvalidArgument);
            throw e;
          }
          return topologyChangeResultToProto(await topologyChanges.change(call, principalOf(ctx)));
        },

        listEvents(req) {
          return eventsViewToProto(events.list(Number(req.afterSeq), req.limit));
        },

        ...uiRpcs({ principalOf, open: deps.enforceOwnHost !== true, log, ...deps.ui }),

        async *watchEvents(req, ctx) {
          // Past the newest event a watch would wait for a sequence number that may never come (a
          // number from before a restart, or a typo) and miss every event meanwhile.
          if (req.afterSeq > BigInt(events.lastSeq)) {
            throw new ConnectError(`after_seq ${req.afterSeq} is past the newest event (${events.lastSeq}); the controller may have restarted: watch from 0 or from ListEvents' last_seq`, Code.OutOfRange);
          }
          const open = (valid: AbortSignal) => events.follow(Number(req.afterSeq), valid);
          yield* streamWhileValid(principalOf(ctx), ctx.signal, "WatchEvents", log, open, eventToProto, (e) => e instanceof EventRingClosedError);
        },
      },
      {
        readMaxBytes: deps.readMaxBytes ?? MAX_REQUEST_BYTES,
        ...(deps.writeMaxBytes !== undefined ? { writeMaxBytes: deps.writeMaxBytes } : {}),
        jsonOptions: STRICT_JSON,
        interceptors: [...(deps.interceptors ?? []), rejectUnknownFields],
      },
    );
    decodeErrorsAsInvalidArgument(router, from);
  };
}
