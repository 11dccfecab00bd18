// `cairn lab fault down|drop|loss|heal|list`.
import { FaultRequestError, describeFault, healFault, injectFault, listFaults, type FaultRequest, type HealResult, type LabFault } from "../lab/faults.js";
import { parsePercent } from "../lab/fault-model.js";
import { stateExists } from "../lab/state.js";
import type { LabStatusFault } from "../lab/status.js";
import { CliError, EXIT_BAD_INPUT } from "./errors.js";
import { renderTable } from "./table.js";

/** Bad names and requests are bad input (exit 2); anything else that fails is a failure (exit 1). */
async function asCli<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw new CliError((e as Error).message, e instanceof FaultRequestError ? EXIT_BAD_INPUT : 1);
  }
}

async function inject(request: FaultRequest, json: boolean | undefined): Promise<void> {
  const r = await asCli(() => injectFault(request));
  if (json) console.log(JSON.stringify(r, null, 2));
  else console.error(`${describeFault(r.fault)}${r.replaced ? ` (replaces ${describeFault(r.replaced)}, in force since ${r.replaced.since})` : ""}; \`cairn lab fault heal ${r.fault.name}\` removes it`);
}

export async function faultDownCommand(target: string, opts: { json?: boolean }): Promise<void> {
  await inject({ kind: "down", target }, opts.json);
}

export async function faultDropCommand(link: string, opts: { direction?: string; json?: boolean }): Promise<void> {
  await inject({ kind: "drop", target: link, ...(opts.direction !== undefined ? { direction: opts.direction } : {}) }, opts.json);
}

export async function faultLossCommand(link: string, percent: string, opts: { direction?: string; json?: boolean }): Promise<void> {
  const p = await asCli(async () => parsePercent(percent));
  await inject({ kind: "loss", target: link, percent: p, ...(opts.direction !== undefined ? { direction: opts.direction } : {}) }, opts.json);
}

export async function faultHealCommand(target: string | undefined, opts: { all?: boolean; wait?: boolean; json?: boolean }): Promise<void> {
  if (target !== undefined && opts.all) throw new CliError("give a LINK or NODE, or --all, not both", EXIT_BAD_INPUT);
  if (target === undefined && !opts.all) throw new CliError("heal what? give a LINK or NODE, or --all (every fault)", EXIT_BAD_INPUT);
  const r = await asCli(() => healFault(target ?? { all: true }, opts.wait ? { waitMs: 60_000 } : {}));
  if (opts.json) {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  const healed = r.healed.length ? `healed ${r.healed.map(describeFault).join("; ")}` : `no fault on ${target ?? "the lab"}`;
  console.error(`${healed}; ${restored(r.element)}`);
  if (r.convergedAfterMs !== undefined) console.error(`IS-IS had every route back ${(r.convergedAfterMs / 1000).toFixed(1)} s later`);
}

/** What heal put back, for a link, a router or the whole lab. */
function restored(element: HealResult["element"]): string {
  if (element === "all") return "every link is up, every router runs zebra and isisd, addresses, SIDs and host routes are in place";
  if (element.target === "link") return `link ${element.name} is up, its addresses and End.X SIDs in place`;
  return `router ${element.name} runs zebra and isisd, its links are up, its addresses, SIDs and host routes in place`;
}

export function faultListCommand(opts: { json?: boolean }): void {
  const faults = listFaults();
  if (opts.json) console.log(JSON.stringify(faults, null, 2));
  else if (!stateExists()) console.log("no lab is up (start one with `cairn lab up TOPOLOGY`)");
  else if (faults.length === 0) console.log("no faults in force");
  else console.log(faultTable(faults));
}

/** One row per fault: kind, element, direction, share of data packets lost, since when, packets dropped so far. */
export function faultTable(faults: Array<LabFault | LabStatusFault>): string {
  return renderTable(["FAULT", "ON", "DIRECTION", "LOSS", "SINCE", "DROPPED"], faults.map((f) => [
    f.kind,
    `${f.target === "node" ? "router" : "link"} ${f.name}`,
    f.kind === "down" ? "-" : f.direction === "a-b" ? `${f.a} > ${f.b}` : f.direction === "b-a" ? `${f.b} > ${f.a}` : "both",
    f.kind === "down" ? "all" : `${f.percent}% of data`,
    f.since,
    "dropped" in f && f.dropped ? f.dropped.map((d) => `${d.from}>${d.to} ${d.packets ?? "?"}`).join(", ") : "-",
  ]));
}
