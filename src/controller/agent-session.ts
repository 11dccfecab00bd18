// AgentSession: an agent's feed of updates and its reports on one bidirectional stream. A report
// over Subscribe + ReportStatus is a call of its own (HTTP/2 stream, headers, authentication, the
// call queue); on the session it is one message. This module only merges the two directions: what
// a subscription and a report do is the service's (service.ts), shared with Subscribe and
// ReportStatus.
import { Code, ConnectError } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ControllerMessageSchema,
  type Acknowledgement,
  type AgentMessage,
  type AgentReport,
  type ControllerMessage,
  type PathUpdate,
  type ReportStatusResponse,
  type SubscribeRequest,
} from "../api/gen/cairn/v1/cairn_pb.js";
import { quote } from "../core/quote.js";
import type { Turns } from "./turns.js";

export interface SessionHandlers {
  /** Subscribe's checks (throwing refuses the session) and the host's updates until `signal` aborts. */
  subscribe(req: SubscribeRequest, signal: AbortSignal): AsyncIterable<PathUpdate>;
  /** ReportStatus: a ConnectError refuses this report only. */
  report(req: AgentReport): Promise<ReportStatusResponse>;
  /** An acknowledgement without a report: as a report's applied version counts. */
  ack(host: string, req: Acknowledgement): ReportStatusResponse;
}

type Outgoing = MessageInitShape<typeof ControllerMessageSchema>;

/**
 * Runs one session: the agent's first message must subscribe; the updates and the answers to its
 * reports (in the reports' order) go out as they come. Each report and ack is handled in its turn
 * among `turns` (the controller's budget of calls and messages handled at once). Ends when the agent closes its side or
 * `signal` aborts; throws what ended it otherwise (a refused subscription, a message out of place,
 * an undecodable one, the feed's end).
 */
export async function* runAgentSession(requests: AsyncIterable<AgentMessage>, handlers: SessionHandlers, signal: AbortSignal, turns?: Turns): AsyncGenerator<ControllerMessage> {
  const reader = requests[Symbol.asyncIterator]();
  const first = await reader.next();
  if (first.done) throw new ConnectError("AgentSession: the agent closed the session before its first message (subscribe)", Code.InvalidArgument);
  if (first.value.kind.case !== "subscribe") {
    throw new ConnectError(`AgentSession: the first message must be subscribe, not ${first.value.kind.case ?? "an empty one"}`, Code.InvalidArgument);
  }
  const host = first.value.kind.value.host;
  const session = new AbortController();
  const updates = handlers.subscribe(first.value.kind.value, AbortSignal.any([signal, session.signal]));
  const out = createWritableIterable<ControllerMessage>();
  let closed = false;
  let failure: unknown = null;
  const end = (e?: unknown) => {
    if (closed) return;
    closed = true;
    if (e !== undefined) failure = e;
    session.abort();
    out.close();
  };
  const send = async (m: Outgoing) => {
    if (!closed) await out.write(create(ControllerMessageSchema, m));
  };

  const pumpUpdates = async () => {
    for await (const u of updates) await send({ kind: { case: "update", value: u } });
  };
  const answerReports = async () => {
    for (;;) {
      const r = await reader.next();
      if (r.done || closed) return;
      const m = r.value;
      if (m.kind.case !== "report" && m.kind.case !== "ack") {
        throw new ConnectError(`AgentSession: after subscribe an agent sends reports and acks only, not ${m.kind.case ?? "an empty message"}`, Code.InvalidArgument);
      }
      // The handling takes a turn among every report and call at the controller; the answer goes out after it.
      await turns?.take();
      let answer: Outgoing;
      try {
        answer = { kind: { case: "reportStatus", value: await answerTo(m) } };
      } catch (e) {
        if (!(e instanceof ConnectError)) throw e;
        answer = { kind: { case: "reportRefused", value: { code: codeToString(e.code), message: e.rawMessage } } };
      } finally {
        turns?.release();
      }
      await send(answer);
    }
  };
  const answerTo = async (m: AgentMessage): Promise<ReportStatusResponse> => {
    if (m.kind.case === "ack") return handlers.ack(host, m.kind.value);
    if (m.kind.case !== "report") throw new Error(`unreachable: ${m.kind.case}`);
    if (m.kind.value.host !== host) {
      throw new ConnectError(`the report names host ${quote(m.kind.value.host)}, but this session is host ${quote(host)}'s`, Code.InvalidArgument);
    }
    return handlers.report(m.kind.value);
  };
  // Either direction ending ends the session; the first failure is what the agent is told.
  pumpUpdates().then(() => end(), end);
  answerReports().then(() => end(), end);
  try {
    for await (const m of out) yield m;
  } finally {
    end();
  }
  if (failure !== null) throw failure;
}
