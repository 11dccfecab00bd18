// Changing the controller's intents safely (ValidateIntents, ApplyIntents): typed intents checked
// completely, a revision that every change bumps and every apply must name (a stale one is a
// conflict), no accidental removal of every intent, the hosts' datapath limits, and an audit trail
// (an event and an fsync'd audit log line) of every change and every refusal. Applies run one at a
// time; a refused apply changes nothing.
import { performance } from "node:perf_hooks";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Intent } from "../core/model.js";
import type { ConfigError } from "../config/errors.js";
import { formatConfigError } from "../config/errors.js";
import { checkIntents } from "../api/intents-check.js";
import { quote } from "../core/quote.js";
import { configErrorsToProto } from "../api/convert.js";
import { ValidationErrorsSchema } from "../api/gen/cairn/v1/cairn_pb.js";
import type { Intent as IntentMsg } from "../api/gen/cairn/v1/cairn_pb.js";
import type { ApplyResultView, IntentsDiffView, IntentsRevisionView, ValidateResultView } from "../api/types.js";
import type { AuditLog, AuditRecord } from "./audit.js";
import { applyAuditRecord, auditPrincipal } from "./audit.js";
import type { Clock } from "./clock.js";
import type { EventLog } from "./events.js";
import type { DatapathLimitsConfig } from "./limits.js";
import { hostRuleCountViolations, limitViolations } from "./limits.js";
import { planIntentsOffLoop, type PathComputer } from "./path-workers.js";
import { limitOption } from "./request-limits.js";
import { describePrincipal, type Principal } from "./principal.js";
import type { ControllerState, HostDelta, IntentsPlan } from "./state.js";

/** What ValidateIntents and ApplyIntents ask, as the service decoded it. */
export interface IntentsRequest {
  intents: readonly IntentMsg[];
  /** "" = "<request>". */
  filename: string;
  /** 0: none given (required by apply; validate then compares with the current revision). */
  baseRevision: number;
  allowRemoveAll: boolean;
}

export interface IntentsApplierDeps {
  state: ControllerState;
  events: EventLog;
  /** Sends deltas to the hosts' agents and records the pushes, caused by event `cause`. */
  publish: (deltas: HostDelta[], cause: number) => void;
  log: (line: string) => void;
  clock: Clock;
  limits: DatapathLimitsConfig;
  /** Intents one request may hold (request-limits.ts). */
  maxIntents: number;
  /** Computes the paths of a plan off the event loop (path-workers.ts); none: on it. */
  paths?: PathComputer | null;
  /** Where the intents the controller started with came from. */
  source: string;
  /** Appended to (and fsync'd) before each change takes effect; also records refusals. */
  audit?: AuditLog;
  /** Called with the new intents before they take effect (e.g. to write them back to the intents file). */
  persist?: (intents: Intent[]) => Promise<void>;
}

/** Changes kept to say who changed the intents in a conflict's message. */
const HISTORY = 32;
/** Errors and names quoted in messages and audit lines, at most. */
const MAX_LISTED = 20;

interface Change {
  revision: number;
  at: string;
  by: string;
  source: string;
}

/**
 * Lets the event loop serve others (agents' streams, keepalives, other calls) between the steps of a
 * large apply, each of which takes tens of ms on a large topology, instead of one long stall.
 */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

const codeName = (c: Code) => Code[c].replace(/[A-Z]/g, (x, i: number) => (i ? "_" : "") + x.toLowerCase());
const names = (l: string[]) => (l.length > MAX_LISTED ? `${l.slice(0, MAX_LISTED).join(", ")}, … (${l.length - MAX_LISTED} more)` : l.join(", "));

/** A refusal: the error for the caller, and what the refused request would have done (when known). */
class Refusal extends Error {
  constructor(
    readonly error: ConnectError,
    readonly diff: IntentsDiffView | null = null,
  ) {
    super(error.rawMessage);
  }
}

/** ListIntents' revision, ValidateIntents and ApplyIntents: IntentsApplier here, replicas/replica-intents.ts on replicas. */
export interface IntentsService {
  current(): IntentsRevisionView & { source: string };
  validate(req: IntentsRequest): Promise<ValidateResultView>;
  apply(req: IntentsRequest, principal: Principal): Promise<ApplyResultView>;
}

export class IntentsApplier implements IntentsService {
  private revision: number;
  private source: string;
  private readonly history: Change[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: IntentsApplierDeps) {
    this.revision = (deps.audit?.lastRevision ?? 0) + 1;
    this.source = deps.source;
    this.history.push({ revision: this.revision, at: new Date(deps.clock.now()).toISOString(), by: "", source: deps.source });
  }

  /** Records the intents the controller starts with in the audit log (revision: the log's last + 1). */
  async loaded(): Promise<void> {
    const intents = this.deps.state.intents();
    await this.deps.audit?.append({
      at: this.history[0]!.at,
      action: "load",
      outcome: "loaded",
      by: { name: "controller", role: null, via: "none", peer: "" },
      source: this.source,
      baseRevision: 0,
      previousRevision: this.revision - 1,
      revision: this.revision,
      added: intents.map((i) => i.name),
      changed: [],
      removed: [],
      hostRules: [],
      before: [],
      after: intents,
    });
  }

  current(): IntentsRevisionView & { source: string } {
    const last = this.history[this.history.length - 1]!;
    return { revision: this.revision, changedAt: last.at, changedBy: last.by, source: this.source };
  }

  /** What apply would do, without doing it; throws the ConnectError apply would. Not audited. */
  async validate(req: IntentsRequest): Promise<ValidateResultView> {
    try {
      const { plan } = await this.check(req, "validate");
      return { revision: this.revision, ...plan.diff };
    } catch (e) {
      if (e instanceof Refusal) throw e.error;
      throw e;
    }
  }

  /** Applies, one call at a time; throws a ConnectError (after auditing the refusal) when refused. */
  apply(req: IntentsRequest, principal: Principal): Promise<ApplyResultView> {
    const run = this.queue.then(() => this.applyNow(req, principal));
    this.queue = run.catch(() => {});
    return run;
  }

  private async applyNow(req: IntentsRequest, principal: Principal): Promise<ApplyResultView> {
    const { state, events, publish, log, clock } = this.deps;
    const file = fileLabel(req.filename);
    const by = describePrincipal(principal);
    const previous = this.revision;
    const started = performance.now();
    let plan: IntentsPlan;
    try {
      plan = (await this.check(req, "apply")).plan;
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      await this.refused(req, principal, e);
      throw e.error;
    }
    const diff = plan.diff;
    const changes = diff.added.length + diff.changed.length + diff.removed.length > 0 || diff.reordered;
    const before = state.intents();
    const record = applyAuditRecord({
      at: new Date(clock.now()).toISOString(),
      principal,
      source: file,
      baseRevision: req.baseRevision,
      previousRevision: previous,
      changes,
      diff,
      hostRules: diff.hostRules,
      before,
      after: plan.intents,
    });
    if (!changes) {
      await this.audit(record);
      log(`intents from ${file} by ${by}: no change (revision ${previous})`);
      return { added: [], changed: [], removed: [], unchanged: diff.unchanged, hostsPushed: [], hostRules: [], reordered: false, previousRevision: previous, revision: previous };
    }
    if (this.deps.persist) {
      try {
        await this.deps.persist([...plan.intents]);
      } catch (e) {
        const refusal = new Refusal(new ConnectError(`could not save the intents (nothing applied): ${(e as Error).message}`, Code.Internal), diff);
        await this.refused(req, principal, refusal);
        throw refusal.error;
      }
    }
    await this.audit(record);

    await breathe();
    const { summary, deltas } = state.commitIntents(plan, previous + 1);
    this.revision = previous + 1;
    this.source = file;
    this.history.push({ revision: this.revision, at: record.at, by, source: file });
    if (this.history.length > HISTORY) this.history.shift();
    const applied = events.record({
      type: "intents",
      durationMs: performance.now() - started,
      added: summary.added,
      changed: summary.changed,
      removed: summary.removed,
      source: file,
      by,
      previousRevision: previous,
      revision: this.revision,
      baseRevision: req.baseRevision,
      refused: false,
      reason: "",
      topologyRevision: state.revisions().topology,
    });
    publish(deltas, applied.seq);
    log(
      `intents applied from ${file} by ${by}: revision ${previous} -> ${this.revision}; ${summary.added.length} added, ${summary.changed.length} changed, ` +
        `${summary.removed.length} removed${summary.removed.length ? ` (${names(summary.removed)})` : ""}, ${summary.unchanged.length} unchanged; ` +
        `pushed to ${summary.hostsPushed.length} host(s)` +
        (summary.hostsPushed.length ? ` (${summary.hostsPushed.map((h) => `${h.host}@v${h.version}`).join(", ")})` : ""),
    );
    return { ...summary, hostRules: diff.hostRules, reordered: diff.reordered, previousRevision: previous, revision: this.revision };
  }

  /**
   * Every check of an apply, in order: the base revision given (apply), the intents valid, the base
   * revision current, not every intent removed by accident, and the hosts' datapath limits. The limits
   * that need no paths (intents per request, rules per host) are checked before any path is computed.
   * Throws a Refusal; returns the plan.
   */
  private async check(req: IntentsRequest, mode: "validate" | "apply"): Promise<{ plan: IntentsPlan }> {
    const { state, limits, maxIntents } = this.deps;
    const file = fileLabel(req.filename);
    if (mode === "apply" && req.baseRevision === 0) {
      throw new Refusal(
        new ConnectError(
          `base_revision is required: the revision the intents are based on (ListIntents gives the current one, ${this.revision}; ValidateIntents the one its diff is against)`,
          Code.InvalidArgument,
        ),
      );
    }
    if (req.intents.length > maxIntents) {
      throw new Refusal(
        new ConnectError(
          `limit "intents per request" exceeded: the request holds ${req.intents.length} intents; at most ${maxIntents} (controller ${limitOption("maxIntents")})`,
          Code.ResourceExhausted,
        ),
      );
    }
    const checked = checkIntents(req.intents, state.topology, file);
    if (!checked.ok) throw new Refusal(invalid(checked.errors));
    if (req.baseRevision !== 0 && req.baseRevision !== this.revision) throw new Refusal(this.conflict(req.baseRevision));
    const tooMany = hostRuleCountViolations(checked.value, limits);
    if (tooMany.length > 0) throw new Refusal(overLimits(tooMany.map((v) => v.message)));
    const plan = await planIntentsOffLoop(state, checked.value, this.deps.paths ?? null);
    await breathe();
    // Another apply may have committed while the paths were computed (validate runs beside applies).
    if (req.baseRevision !== 0 && req.baseRevision !== this.revision) throw new Refusal(this.conflict(req.baseRevision));
    const current = state.intents();
    if (plan.intents.length === 0 && current.length > 0 && !req.allowRemoveAll) {
      throw new Refusal(
        new ConnectError(
          `refusing to remove every intent (${current.length}: ${names(current.map((i) => i.name))}): the request holds none. ` +
            `To remove them all, set allow_remove_all (cairn apply --prune-all)`,
          Code.FailedPrecondition,
        ),
        plan.diff,
      );
    }
    const violations = limitViolations(
      plan.diff.hostRules.map((h) => h.host),
      plan.before,
      plan.after,
      limits,
    );
    if (violations.length > 0) throw new Refusal(overLimits(violations.map((v) => v.message)), plan.diff);
    return { plan };
  }

  /** ABORTED: who changed the intents since `base`, and when. */
  private conflict(base: number): ConnectError {
    const since = this.history.filter((c) => c.revision > base && c.revision <= this.revision);
    const told = since.slice(-5).map((c) => `revision ${c.revision} at ${c.at}${c.by ? ` by ${c.by}` : " (loaded at the controller's start)"}${c.source ? ` from ${c.source}` : ""}`);
    const more = since.length > 5 ? `; ${since.length - 5} earlier change(s) not shown` : "";
    const known = told.length ? `: ${told.join("; ")}${more}` : base > this.revision ? " (a revision this controller never had: it restarted or is another one)" : "";
    return new ConnectError(
      `conflict: the intents changed since revision ${base}, they are at revision ${this.revision}${known}. ` +
        `Nothing applied; look at the current intents and apply again (cairn apply bases its apply on the current revision unless --revision is given)`,
      Code.Aborted,
    );
  }

  /** Records a refused apply: an event, a log line and an audit line (an audit failure is logged; the refusal stands). */
  private async refused(req: IntentsRequest, principal: Principal, r: Refusal): Promise<void> {
    const file = fileLabel(req.filename);
    const by = describePrincipal(principal);
    const reason = r.error.rawMessage.length > 4000 ? `${r.error.rawMessage.slice(0, 4000)}…` : r.error.rawMessage;
    const d = r.diff;
    this.deps.events.record({
      type: "intents",
      added: d?.added ?? [],
      changed: d?.changed ?? [],
      removed: d?.removed ?? [],
      source: file,
      by,
      previousRevision: this.revision,
      revision: this.revision,
      baseRevision: req.baseRevision,
      refused: true,
      reason: reason.split("\n")[0]!,
      topologyRevision: this.deps.state.revisions().topology,
    });
    this.deps.log(`intents refused from ${file} by ${by} (${codeName(r.error.code)}): ${reason.split("\n").slice(0, 3).join(" / ")}`);
    try {
      await this.audit({
        at: new Date(this.deps.clock.now()).toISOString(),
        action: "apply",
        outcome: "refused",
        by: auditPrincipal(principal),
        source: file,
        baseRevision: req.baseRevision,
        previousRevision: this.revision,
        revision: this.revision,
        code: codeName(r.error.code),
        reason,
        added: d?.added ?? [],
        changed: d?.changed ?? [],
        removed: d?.removed ?? [],
        hostRules: d?.hostRules ?? [],
        before: [],
        after: [],
      });
    } catch (e) {
      this.deps.log(`audit log: could not record a refused apply: ${(e as Error).message}`);
    }
  }

  /** Appends to the audit log, if any; a failure refuses the change (Internal), which is then not made. */
  private async audit(record: AuditRecord): Promise<void> {
    if (!this.deps.audit) return;
    try {
      await this.deps.audit.append(record);
    } catch (e) {
      this.deps.log(`audit log ${this.deps.audit.path}: ${(e as Error).message}`);
      throw new ConnectError(`the audit log could not be written, so nothing was applied: ${(e as Error).message}`, Code.Internal);
    }
  }
}

/** FAILED_PRECONDITION listing the datapath limits the intents break (capped). */
export function overLimits(messages: string[]): ConnectError {
  const shown = messages.slice(0, MAX_LISTED);
  if (messages.length > MAX_LISTED) shown.push(`… and ${messages.length - MAX_LISTED} more`);
  return new ConnectError(`the intents do not fit the hosts' datapaths; nothing applied:\n${shown.join("\n")}`, Code.FailedPrecondition);
}

/** The request's filename as errors, events and the audit log show it: as sent when it looks like a path, else quoted and cut. */
export function fileLabel(name: string): string {
  if (name === "") return "<request>";
  return /^[A-Za-z0-9_./@:+~-]{1,200}$/.test(name) ? name : quote(name, 100);
}

/**
 * Characters of error lines in one refusal. gRPC carries the message, and the errors again as a
 * detail, in HTTP/2 trailers, which clients cap (Node: 64 KiB of headers); past this the rest are
 * counted, not listed.
 */
const MAX_INVALID_CHARS = 8 * 1024;

/** INVALID_ARGUMENT listing every error (capped), with the ValidationErrors detail. */
export function invalid(errors: ConfigError[]): ConnectError {
  const shown: ConfigError[] = [];
  const lines: string[] = [];
  let size = 0;
  for (const e of errors.slice(0, 100)) {
    const line = formatConfigError(e);
    if (shown.length > 0 && size + line.length > MAX_INVALID_CHARS) break;
    shown.push(e);
    lines.push(line);
    size += line.length + 1;
  }
  if (errors.length > shown.length) lines.push(`… and ${errors.length - shown.length} more error(s)`);
  return new ConnectError(lines.join("\n"), Code.InvalidArgument, undefined, [{ desc: ValidationErrorsSchema, value: configErrorsToProto(shown) }]);
}
