// CairnService's methods over the controller's state: what each RPC does, apart from the HTTP/2
// transport that carries it (server.ts).
import { performance } from "node:perf_hooks";
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import type { ConnectRouter } from "@connectrpc/connect";
import { formatConfigError } from "../config/errors.js";
import { parseIntents } from "../config/intents-file.js";
import { CairnService, ValidationErrorsSchema } from "../api/gen/cairn/v1/cairn_pb.js";
import {
  agentReportFromProto,
  applySummaryToProto,
  configErrorsToProto,
  ConversionError,
  intentToProto,
  pathsViewToProto,
  pathUpdateToProto,
  reportAckToProto,
} from "../api/convert.js";
import { eventsViewToProto, eventToProto, linksViewToProto } from "../api/convert-liveliness.js";
import type { AgentReportView, PathsView } from "../api/types.js";
import { HubClosedError } from "./hub.js";
import type { SubscriberInfo, SubscriptionHub } from "./hub.js";
import { MAX_REQUEST_BYTES, reportProblem } from "./reports.js";
import type { ReportStore } from "./reports.js";
import type { ControllerState, HostDelta } from "./state.js";
import { EventRingClosedError, type EventLog } from "./events.js";
import type { Liveliness } from "./liveliness.js";
import type { PushTracker } from "./pushes.js";
import { checkOwnHost } from "./authz.js";
import { kPrincipal } from "./principal.js";

/** The remote address of the request's connection, set by the transport. */
export const kPeer = createContextKey<string>("unknown");

export interface ServiceDeps {
  state: ControllerState;
  hub: SubscriptionHub;
  reports: ReportStore;
  events: EventLog;
  pushes: PushTracker;
  liveliness: Liveliness;
  /** Sends deltas to the hosts' agents and records the pushes, caused by event `cause`. */
  publish: (deltas: HostDelta[], cause: number) => void;
  log: (line: string) => void;
  /** Where the current intents came from: shown by ListIntents. */
  intentsSource: string;
  /** Agents authenticate: each may subscribe to and report on its own host only. */
  enforceOwnHost?: boolean;
  /** Called with applied YAML before it takes effect (e.g. to write it back to the intents file). */
  persist?: (yaml: string) => Promise<void>;
}

export function cairnRoutes(deps: ServiceDeps): (router: ConnectRouter) => void {
  const { state, hub, reports, events, pushes, liveliness, publish, log } = deps;
  let source = deps.intentsSource;
  let applying: Promise<unknown> = Promise.resolve();
  const describe = (i: SubscriberInfo) => `host=${i.host} peer=${i.peer}${i.agentVersion ? ` agent=${i.agentVersion}` : ""}`;
  const unknownHost = (host: string) =>
    new ConnectError(`unknown host "${host}"; the topology has ${state.hosts().join(", ") || "no hosts"}`, Code.NotFound);

  return (router) =>
    router.service(
      CairnService,
      {
        async *subscribe(req, ctx) {
          if (!req.host) throw new ConnectError("host is required", Code.InvalidArgument);
          checkOwnHost(ctx.values.get(kPrincipal), req.host, "Subscribe", deps.enforceOwnHost === true, log);
          if (!state.hasHost(req.host)) throw unknownHost(req.host);
          const stream = hub.stream(req.host, { agentVersion: req.agentVersion, peer: ctx.values.get(kPeer) }, ctx.signal, {
            onOpen: (i) => log(`agent connected: ${describe(i)} (${hub.subscribers().length} connected)`),
            onClose: (i) =>
              log(`agent disconnected: ${describe(i)} last-version=${i.lastSentVersion} (${hub.subscribers().length} connected)`),
          });
          try {
            for await (const u of stream) yield pathUpdateToProto(u);
          } catch (e) {
            if (e instanceof HubClosedError) throw new ConnectError(e.message, Code.Unavailable);
            throw e;
          }
        },

        listIntents() {
          return { intents: state.intents().map(intentToProto), source };
        },

        listPaths(req) {
          const unknown = req.hosts.filter((h) => !state.hasHost(h));
          if (unknown.length > 0) throw new ConnectError(`unknown host(s): ${unknown.join(", ")}`, Code.NotFound);
          const wanted = req.hosts.length > 0 ? new Set(req.hosts) : null;
          const view: PathsView = {
            generation: state.generation,
            hosts: state
              .hosts()
              .filter((h) => !wanted || wanted.has(h))
              .map((h) => {
                const s = state.snapshot(h)!;
                const report = reports.get(h);
                return { host: h, version: Number(s.version), rules: s.rules, watch: s.watch, ...(report ? { report } : {}) };
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
          if (!req.host) throw new ConnectError("host is required", Code.InvalidArgument);
          checkOwnHost(ctx.values.get(kPrincipal), req.host, "ReportStatus", deps.enforceOwnHost === true, log);
          const snapshot = state.snapshot(req.host);
          if (!snapshot) throw unknownHost(req.host);
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
          liveliness.reported(previous, received);
          // The version after whatever this report set off.
          return reportAckToProto({ generation: state.generation, version: Number(state.snapshot(req.host)!.version) });
        },

        async applyIntents(req) {
          // One apply at a time: parse, persist and commit as a unit.
          const run = applying.then(async () => {
            const file = req.filename || "<request>";
            const parsed = parseIntents(req.yaml, file, state.topology);
            if (!parsed.ok) {
              log(`intents rejected from ${file}: ${parsed.errors.length} error(s)`);
              throw new ConnectError(parsed.errors.map(formatConfigError).join("\n"), Code.InvalidArgument, undefined, [
                { desc: ValidationErrorsSchema, value: configErrorsToProto(parsed.errors) },
              ]);
            }
            await deps.persist?.(req.yaml);
            const started = performance.now();
            const { summary, deltas } = state.setIntents(parsed.value);
            const applied = events.record({
              type: "intents",
              durationMs: performance.now() - started,
              added: summary.added,
              changed: summary.changed,
              removed: summary.removed,
              source: file,
            });
            publish(deltas, applied.seq);
            source = file;
            log(
              `intents applied from ${file}: ${summary.added.length} added, ${summary.changed.length} changed, ` +
                `${summary.removed.length} removed, ${summary.unchanged.length} unchanged; ` +
                `pushed to ${summary.hostsPushed.length} host(s)` +
                (summary.hostsPushed.length ? ` (${summary.hostsPushed.map((h) => `${h.host}@v${h.version}`).join(", ")})` : ""),
            );
            return applySummaryToProto(summary);
          });
          applying = run.catch(() => {});
          return run;
        },

        listLinks() {
          return linksViewToProto(liveliness.links());
        },

        listEvents(req) {
          return eventsViewToProto(events.list(Number(req.afterSeq), req.limit));
        },

        async *watchEvents(req, ctx) {
          try {
            for await (const e of events.follow(Number(req.afterSeq), ctx.signal)) yield eventToProto(e);
          } catch (e) {
            if (e instanceof EventRingClosedError) throw new ConnectError(e.message, Code.Unavailable);
            throw e;
          }
        },
      },
      { readMaxBytes: MAX_REQUEST_BYTES },
    );
}
