// Agents' reports on a replica: each report a replica accepts is stored (on its lease), so that the
// leader's liveliness sees every host's evidence whichever replica its agent talks to; the leader is fed
// from the store's watch (mirror.ts). A report that repeats the evidence and the applied version of
// the one stored is stored again only when that one is a third of the staleness bound old, so a steady
// fleet costs the store a write per host per few seconds, not one per report.
import { Code, ConnectError } from "@connectrpc/connect";
import type { LinksView, ReceivedReportView } from "../../api/types.js";
import type { Clock } from "../clock.js";
import type { EventLog } from "../events.js";
import { DEFAULT_STALE_AFTER_MS } from "../evidence.js";
import { Liveliness } from "../liveliness.js";
import type { ReportSink } from "../service.js";
import type { StoreMirror } from "./mirror.js";
import { StoreUnavailableError, type ControllerStore } from "./store.js";

const evidence = (r: ReceivedReportView) => `${r.generation}@${r.appliedVersion} ${(r.paths ?? []).map((p) => `${p.probeSids.join(",")}=${p.state}`).sort().join(" ")}`;

export class ReportRelay implements ReportSink {
  private readonly stored = new Map<string, { evidence: string; atMs: number }>();
  private readonly refreshMs: number;

  constructor(
    private readonly o: {
      store: ControllerStore;
      mirror: StoreMirror;
      /** The leader's liveliness when this replica leads. */
      leading: () => Liveliness | null;
      events: EventLog;
      clock: Clock;
      staleAfterMs?: number;
    },
  ) {
    this.refreshMs = (o.staleAfterMs ?? DEFAULT_STALE_AFTER_MS) / 3;
  }

  async reported(_previous: ReceivedReportView | undefined, report: ReceivedReportView): Promise<void> {
    const now = this.o.clock.now();
    const e = evidence(report);
    const last = this.stored.get(report.host);
    if (last && last.evidence === e && now - last.atMs < this.refreshMs) return;
    try {
      await this.o.store.putReport(report);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw new ConnectError(`${err.message}; the report was not kept, send it again`, Code.Unavailable);
      throw err;
    }
    this.stored.set(report.host, { evidence: e, atMs: now });
  }

  /** The leader's full view; elsewhere the marks the leader stored (no suspects or evidence: those live on the leader). */
  links(): LinksView {
    const leader = this.o.leading();
    if (leader) return leader.links();
    const passive = new Liveliness(
      { state: { topology: this.o.mirror.topology, setLiveliness: () => ({ deltas: [], recomputed: [], changed: [] }), revisions: () => this.o.mirror.revisions() }, events: this.o.events, publish: () => {} },
      { clock: this.o.clock },
    );
    passive.restore(new Map(this.o.mirror.overlay()));
    passive.close();
    return passive.links();
  }
}
