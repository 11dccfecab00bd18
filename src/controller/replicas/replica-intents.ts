// ValidateIntents and ApplyIntents on a replica, leader or not: the checks that need no paths (the
// typed intents, the base revision, not every intent removed by accident, intents per request, rules
// per host), then the intents written to the store with a compare-and-swap on their revision: a
// concurrent apply through another replica is a conflict, as on one controller. The leader computes
// them (leader.ts); the apply waits for its word (the store's `computed` record) to say which hosts it
// pushed, and answers without them when the leader does not answer in time (the intents are applied).
import { performance } from "node:perf_hooks";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Intent, Topology } from "../../core/model.js";
import { checkIntents } from "../../api/intents-check.js";
import type { ApplyResultView, ValidateResultView } from "../../api/types.js";
import type { AuditLog, AuditRecord } from "../audit.js";
import { applyAuditRecord } from "../audit.js";
import type { Clock } from "../clock.js";
import type { EventLog } from "../events.js";
import { fileLabel, invalid, overLimits, type IntentsRequest, type IntentsService } from "../intents-apply.js";
import { hostRuleCountViolations, type DatapathLimitsConfig } from "../limits.js";
import { describePrincipal, type Principal } from "../principal.js";
import { limitOption } from "../request-limits.js";
import { diffIntents } from "../state.js";
import { encodeIntents } from "./intents-codec.js";
import type { StoreMirror } from "./mirror.js";
import { StoreUnavailableError, type ControllerStore } from "./store.js";

export interface ReplicaIntentsDeps {
  store: ControllerStore;
  mirror: StoreMirror;
  topology: Topology;
  limits: DatapathLimitsConfig;
  maxIntents: number;
  events: EventLog;
  clock: Clock;
  log: (line: string) => void;
  audit?: AuditLog;
  /** How long an apply waits for the leader's computation; default 10 s. */
  computedWaitMs?: number;
}

const unavailable = (e: StoreUnavailableError) => new ConnectError(`${e.message}; nothing applied, try again`, Code.Unavailable);

export class ReplicaIntents implements IntentsService {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: ReplicaIntentsDeps) {}

  current() {
    const r = this.d.mirror.intentsRecord();
    return { revision: r.revision, changedAt: r.changedAt, changedBy: r.changedBy, source: r.source };
  }

  async validate(req: IntentsRequest): Promise<ValidateResultView> {
    const next = this.check(req, "validate");
    return { revision: this.current().revision, ...diffIntents(this.d.mirror.intents(), next), hostRules: [] };
  }

  apply(req: IntentsRequest, principal: Principal): Promise<ApplyResultView> {
    const run = this.queue.then(() => this.applyNow(req, principal));
    this.queue = run.catch(() => {});
    return run;
  }

  private check(req: IntentsRequest, mode: "validate" | "apply"): Intent[] {
    const { topology, limits, maxIntents, mirror } = this.d;
    const revision = mirror.intentsRecord().revision;
    if (mode === "apply" && req.baseRevision === 0) throw new ConnectError(`base_revision is required: the revision the intents are based on (ListIntents gives the current one, ${revision})`, Code.InvalidArgument);
    if (req.intents.length > maxIntents) {
      throw new ConnectError(`limit "intents per request" exceeded: the request holds ${req.intents.length} intents; at most ${maxIntents} (controller ${limitOption("maxIntents")})`, Code.ResourceExhausted);
    }
    const checked = checkIntents(req.intents, topology, fileLabel(req.filename));
    if (!checked.ok) throw invalid(checked.errors);
    if (req.baseRevision !== 0 && req.baseRevision !== revision) throw this.conflict(req.baseRevision);
    const current = mirror.intents();
    if (checked.value.length === 0 && current.length > 0 && !req.allowRemoveAll) {
      throw new ConnectError(`refusing to remove every intent (${current.length}): the request holds none. To remove them all, set allow_remove_all (cairn apply --prune-all)`, Code.FailedPrecondition);
    }
    const tooMany = hostRuleCountViolations(checked.value, limits);
    if (tooMany.length > 0) throw overLimits(tooMany.map((v) => v.message));
    return checked.value;
  }

  private conflict(base: number): ConnectError {
    const r = this.d.mirror.intentsRecord();
    return new ConnectError(
      `conflict: the intents changed since revision ${base}, they are at revision ${r.revision} (changed at ${r.changedAt}${r.changedBy ? ` by ${r.changedBy}` : ""}${r.source ? ` from ${r.source}` : ""}). ` +
        `Nothing applied; look at the current intents and apply again`,
      Code.Aborted,
    );
  }

  private async applyNow(req: IntentsRequest, principal: Principal): Promise<ApplyResultView> {
    const { store, mirror, events, log, clock } = this.d;
    const file = fileLabel(req.filename);
    const by = describePrincipal(principal);
    const started = performance.now();
    const previous = mirror.intentsRecord().revision;
    let next: Intent[];
    try {
      next = this.check(req, "apply");
    } catch (e) {
      if (e instanceof ConnectError) log(`intents refused from ${file} by ${by} (${Code[e.code]}): ${e.rawMessage.split("\n")[0]}`);
      throw e;
    }
    const before = mirror.intents();
    const diff = diffIntents(before, next);
    const changes = diff.added.length + diff.changed.length + diff.removed.length > 0 || diff.reordered;
    const at = new Date(clock.now()).toISOString();
    const audit = applyAuditRecord({ at, principal, source: file, baseRevision: req.baseRevision, previousRevision: previous, changes, diff, hostRules: [], before, after: next });
    if (!changes) {
      await this.audit(audit);
      return { added: [], changed: [], removed: [], unchanged: diff.unchanged, hostsPushed: [], hostRules: [], reordered: false, previousRevision: previous, revision: previous };
    }
    const revision = previous + 1;
    await this.audit(audit);
    let swapped: boolean;
    try {
      swapped = await store.replaceIntents(previous, { intents: encodeIntents(next), revision, changedAt: at, changedBy: by, source: file });
    } catch (e) {
      if (e instanceof StoreUnavailableError) {
        log(`intents from ${file} by ${by} not applied: ${e.message}`);
        await this.audit({ ...audit, outcome: "refused", revision: previous, code: "unavailable", reason: e.message }).catch(() => {});
        throw unavailable(e);
      }
      throw e;
    }
    if (!swapped) {
      await mirror.waitUntil(() => mirror.intentsRecord().revision !== previous, 2_000);
      const err = this.conflict(req.baseRevision);
      await this.audit({ ...audit, outcome: "refused", revision: previous, code: "aborted", reason: err.rawMessage }).catch(() => {});
      throw err;
    }
    events.record({
      type: "intents",
      durationMs: performance.now() - started,
      added: diff.added,
      changed: diff.changed,
      removed: diff.removed,
      source: file,
      by,
      previousRevision: previous,
      revision,
      baseRevision: req.baseRevision,
      refused: false,
      reason: "",
    });
    // The leader's computation of this revision (or of a later one, which includes it).
    const done = await mirror.waitUntil(() => (mirror.computed()?.record.intentsRevision ?? 0) >= revision, this.d.computedWaitMs ?? 10_000);
    const computed = mirror.computed();
    const mine = done && computed && computed.record.intentsRevision === revision ? computed.record : null;
    const hostsPushed = (mine?.hostsPushed ?? []).map((p) => ({ ...p, version: Number(mirror.assignment(p.host)?.version ?? 0n) }));
    log(
      `intents applied from ${file} by ${by}: revision ${previous} -> ${revision}; ${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} removed; ` +
        (mine ? `the leader pushed to ${hostsPushed.length} host(s)` : done ? "a later revision was computed before the leader reported this one" : "the leader has not computed it yet"),
    );
    return {
      added: diff.added,
      changed: diff.changed,
      removed: diff.removed,
      unchanged: diff.unchanged,
      hostsPushed,
      hostRules: mine?.hostRules ?? [],
      reordered: diff.reordered,
      previousRevision: previous,
      revision,
    };
  }

  private async audit(record: AuditRecord): Promise<void> {
    if (!this.d.audit) return;
    try {
      await this.d.audit.append(record);
    } catch (e) {
      throw new ConnectError(`the audit log could not be written, so nothing was applied: ${(e as Error).message}`, Code.Internal);
    }
  }
}
