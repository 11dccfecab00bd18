// `cairn apply -f FILE [--dry-run] [--revision R] [--prune-all] [--json]`.
import { Code } from "@connectrpc/connect";
import { applyIntentsFile, validateIntentsFile } from "../api/apply-file.js";
import { ControllerCallError } from "../api/client.js";
import { CliError } from "./errors.js";
import { controllerTarget } from "./target.js";
import { formatApplyResult, formatValidateResult } from "./format.js";

export interface ApplyCommandOptions {
  file: string;
  /** The global --config and the command's --controller. */
  config?: string;
  controller?: string;
  dryRun?: boolean;
  revision?: number;
  pruneAll?: boolean;
  json?: boolean;
}

/** Exit status of an apply refused because the intents changed since its revision. */
export const EXIT_CONFLICT = 4;

export async function applyCommand(o: ApplyCommandOptions): Promise<number> {
  const opts = { ...(o.revision !== undefined ? { revision: o.revision } : {}), ...(o.pruneAll ? { pruneAll: true } : {}) };
  const target = await controllerTarget(o);
  const client = { credentials: target.credentials };
  try {
    if (o.dryRun) {
      const r = await validateIntentsFile(target.url, o.file, opts, client);
      console.log(o.json ? JSON.stringify({ dryRun: true, ...r }, null, 2) : formatValidateResult(r, o.file));
    } else {
      const r = await applyIntentsFile(target.url, o.file, opts, client);
      console.log(o.json ? JSON.stringify(r, null, 2) : formatApplyResult(r, o.file));
    }
    return 0;
  } catch (e) {
    if (e instanceof ControllerCallError && e.code === Code.Aborted) throw new CliError(e.message, EXIT_CONFLICT);
    throw e;
  }
}
