// The audit log: one JSON object per line for every intents change the controller made or refused
// (and the set it loaded at its start), and every operator topology change (ChangeTopology) made or
// refused, appended and fsync'd before the change takes effect. `revision` is always the intents
// revision (a topology line repeats the current one); topology revisions are in their own fields. The
// file is opened for appending only, never truncated or rewritten; a controller started on an
// existing log carries on from its last revision.
import { open, type FileHandle } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Intent } from "../core/model.js";
import type { HostRuleChangesView } from "../api/types.js";
import type { Principal } from "./principal.js";

export interface AuditRecord {
  /** RFC 3339. */
  at: string;
  /** load: the intents the controller started with; apply: an ApplyIntents call. */
  action: "load" | "apply";
  /** unchanged: an apply of the set already held (no new revision). */
  outcome: "loaded" | "applied" | "unchanged" | "refused";
  /** Who: the caller's principal (load: the controller itself). */
  by: { name: string; role: string | null; via: string; peer: string };
  /** Where the intents came from (the file name the client gave). */
  source: string;
  /** The revision the apply was based on (0: none given). */
  baseRevision: number;
  /** The revision before and after (equal when refused or unchanged). */
  previousRevision: number;
  revision: number;
  /** Refused: the status code ("invalid_argument", "aborted", "failed_precondition", …) and why. */
  code?: string;
  reason?: string;
  /** Intent names (for a refused apply: what it would have done, when that was known). */
  added: string[];
  changed: string[];
  removed: string[];
  /** Hosts whose rules changed (or would have), and which rules. */
  hostRules: HostRuleChangesView[];
  /** The intents as they were (changed and removed ones) and as they are now (added and changed ones; load: all). */
  before: Intent[];
  after: Intent[];
}

export class AuditLog {
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    /** The highest revision in the log when it was opened (0: none). */
    readonly lastRevision: number,
  ) {}

  /** Opens (creating it, mode 0600) `path` for appending; reads the revision it ends at. */
  static async open(path: string): Promise<AuditLog> {
    let file: FileHandle;
    try {
      file = await open(path, "a", 0o600);
    } catch (e) {
      throw new Error(`audit log ${path}: cannot open for appending: ${(e as Error).message}`);
    }
    try {
      const st = await file.stat();
      if (!st.isFile()) throw new Error("not a regular file");
      let last = 0;
      if (st.size > 0) {
        const lines = createInterface({ input: createReadStream(path, { encoding: "utf8", end: st.size - 1 }), crlfDelay: Infinity });
        for await (const line of lines) {
          try {
            const r = JSON.parse(line) as Partial<AuditRecord>;
            if (typeof r.revision === "number" && r.revision > last) last = r.revision;
          } catch {
            // a line torn by a crash: it records nothing that took effect
          }
        }
        // A torn last line (no newline): start on a line of our own.
        const tail = Buffer.alloc(1);
        await file.read(tail, 0, 1, st.size - 1);
        if (tail[0] !== 0x0a) await file.appendFile("\n");
      }
      return new AuditLog(path, file, last);
    } catch (e) {
      await file.close();
      throw new Error(`audit log ${path}: ${(e as Error).message}`);
    }
  }

  /** Appends one record and waits until it is on disk (fsync). Appends are written in call order. */
  append(record: AuditRecord | TopologyAuditRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const write = this.queue.then(async () => {
      await this.file.appendFile(line, "utf8");
      await this.file.sync();
    });
    this.queue = write.catch(() => {});
    return write;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.file.close();
  }
}

/** An operator's topology change (ChangeTopology), applied, unchanged (all in force already) or refused. */
export interface TopologyAuditRecord {
  at: string;
  action: "topology";
  outcome: "applied" | "unchanged" | "refused";
  by: AuditRecord["by"];
  /**
   * The topology revision the request was based on, and the revisions before and after (equal unless
   * applied). On a replica an applied change's line, written before the change is stored, has no
   * `topologyRevision`: it is the store's revision of that write (the `topology` event and the log say it).
   */
  baseTopologyRevision: number;
  previousTopologyRevision: number;
  topologyRevision?: number;
  /** The intents revision, unchanged by a topology change (so that the log's last `revision` stays the intents'). */
  revision: number;
  /** One line per change (for a refused request: as requested). */
  changes: string[];
  reason: string;
  code?: string;
  error?: string;
}

/** The principal as the audit log records it. */
export function auditPrincipal(p: Principal): AuditRecord["by"] {
  return { name: p.name, role: p.role, via: p.via, peer: p.peer };
}

/** The audit record of an apply that passed every check: `changes` says whether it changes the intents. */
export function applyAuditRecord(a: {
  at: string;
  principal: Principal;
  source: string;
  baseRevision: number;
  previousRevision: number;
  changes: boolean;
  diff: { added: string[]; changed: string[]; removed: string[] };
  hostRules: HostRuleChangesView[];
  before: readonly Intent[];
  after: readonly Intent[];
}): AuditRecord {
  const { diff } = a;
  return {
    at: a.at,
    action: "apply",
    outcome: a.changes ? "applied" : "unchanged",
    by: auditPrincipal(a.principal),
    source: a.source,
    baseRevision: a.baseRevision,
    previousRevision: a.previousRevision,
    revision: a.changes ? a.previousRevision + 1 : a.previousRevision,
    added: diff.added,
    changed: diff.changed,
    removed: diff.removed,
    hostRules: a.hostRules,
    before: a.before.filter((i) => diff.changed.includes(i.name) || diff.removed.includes(i.name)),
    after: a.after.filter((i) => diff.added.includes(i.name) || diff.changed.includes(i.name)),
  };
}
