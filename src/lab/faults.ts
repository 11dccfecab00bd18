// Lab faults: inject, heal, list. A fault is recorded in the lab state before it is applied; heal
// re-applies what the plan says for the element (or the whole lab), so it also repairs a link that
// someone else brought down or up by hand. Semantics of each fault: fault-apply.ts.
import { waitForConvergence } from "./converge.js";
import { reconcileAll, reconcileLink, reconcileRouter } from "./fault-apply.js";
import {
  FaultRequestError,
  describeFault,
  planFault,
  planUnderFaults,
  resolveFaultTarget,
  withFault,
  withoutFault,
  type FaultRequest,
  type LabFault,
} from "./fault-model.js";
import { buildPlan, type LabPlan } from "./plan.js";
import { readState, updateState, type LabState } from "./state.js";

export { FaultRequestError, describeFault, type FaultRequest, type LabFault };

function labOrThrow(): LabState {
  const s = readState();
  if (!s) throw new Error("no lab is up: run `cairn lab up TOPOLOGY` first");
  return s;
}

/** Applies `faults` to one element: a router link, or a router and its links. */
async function reconcileElement(plan: LabPlan, element: Pick<LabFault, "target" | "name">, faults: LabFault[]): Promise<void> {
  if (element.target === "node") return reconcileRouter(plan, element.name, faults);
  const link = plan.links.find((l) => l.kind === "core" && l.id === element.name);
  if (!link) throw new Error(`no link ${element.name} in the lab's plan`);
  await reconcileLink(plan, link, faults);
}

export interface InjectResult {
  fault: LabFault;
  /** The fault this one replaced on the same link or router, if any. */
  replaced: LabFault | null;
}

/**
 * Injects a fault and resolves once it is in place (a link is down, a filter drops, a router's
 * daemons are dead). A fault already on the same link or router is replaced. Bad requests reject
 * with a FaultRequestError; if applying fails, the previous faults are put back.
 */
export async function injectFault(request: FaultRequest): Promise<InjectResult> {
  const plan = buildPlan(labOrThrow().topology);
  let fault: LabFault | undefined;
  let before: LabFault[] = [];
  let replaced: LabFault | null = null;
  const after = updateState((s) => {
    fault = planFault(s.topology, request, new Date().toISOString());
    before = s.faults;
    ({ faults: s.faults, replaced } = withFault(s.faults, fault));
  });
  try {
    await reconcileElement(plan, fault!, after.faults);
  } catch (err) {
    updateState((s) => (s.faults = before));
    await reconcileElement(plan, fault!, before).catch(() => undefined);
    throw new Error(`cannot inject ${describeFault(fault!)}: ${(err as Error).message}`, { cause: err });
  }
  return { fault: fault!, replaced };
}

export interface HealOptions {
  /** Then wait up to this long until IS-IS has every route the remaining faults allow (0: do not wait). */
  waitMs?: number;
}

export interface HealResult {
  /** What was brought back to the plan: a link (its id), a router, or the whole lab. */
  element: { target: LabFault["target"]; name: string } | "all";
  /** The faults removed (none when the element had none: it was still brought back to the plan). */
  healed: LabFault[];
  /** Milliseconds IS-IS took to have every route back, when asked to wait. */
  convergedAfterMs?: number;
}

/**
 * Removes the fault on a link or router (`target` as for injectFault), or every fault with
 * `{ all: true }`, and brings the element (or the whole lab) back to what the plan says: links up,
 * addresses, SIDs and host routes reinstalled, routing daemons running. The fault stays recorded if
 * that fails.
 */
export async function healFault(target: string | { all: true }, opts: HealOptions = {}): Promise<HealResult> {
  const state = labOrThrow();
  const plan = buildPlan(state.topology);
  let healed: LabFault[];
  let remaining: LabFault[];
  let element: HealResult["element"] = "all";
  if (typeof target === "string") {
    const t = resolveFaultTarget(state.topology, target, false);
    element = t.target === "link" ? { target: "link", name: t.link.id } : t;
    const { faults, removed } = withoutFault(state.faults, element);
    await reconcileElement(plan, element, faults);
    healed = removed ? [removed] : [];
    remaining = faults;
  } else {
    await reconcileAll(plan, []);
    healed = state.faults;
    remaining = [];
  }
  const healedKeys = new Set(healed.map((f) => `${f.target} ${f.name}`));
  updateState((s) => (s.faults = s.faults.filter((f) => !healedKeys.has(`${f.target} ${f.name}`))));
  if (!opts.waitMs) return { element, healed };
  const convergedAfterMs = await waitForConvergence(planUnderFaults(plan, remaining), { timeoutMs: opts.waitMs });
  return { element, healed, convergedAfterMs };
}

/** The faults in force, oldest first. */
export function listFaults(): LabFault[] {
  return readState()?.faults ?? [];
}
