// A lab's faults as the controller serves them (ListLabFaults, InjectLabFault, HealLabFault): the
// lab's own functions (src/lab/faults.ts), given to a controller started with --lab, which runs as
// root beside the lab it belongs to. Any other controller has none, and says so.
import type { FaultRequest, LabFault } from "../lab/fault-model.js";

export interface LabFaultsService {
  list(): LabFault[];
  inject(request: FaultRequest): Promise<{ fault: LabFault; replaced: LabFault | null }>;
  heal(target: string | { all: true }): Promise<{ healed: LabFault[] }>;
  describe(f: LabFault): string;
  /** Requests naming what the lab lacks (answered INVALID_ARGUMENT). */
  isBadRequest(e: unknown): boolean;
}

/** The running lab's faults, for `cairn controller --lab` (loaded only then: the lab needs root and its state). */
export async function localLabFaults(): Promise<LabFaultsService> {
  const lab = await import("../lab/faults.js");
  return {
    list: () => lab.listFaults(),
    inject: (r) => lab.injectFault(r),
    heal: (t) => lab.healFault(t),
    describe: (f) => lab.describeFault(f),
    isBadRequest: (e) => e instanceof lab.FaultRequestError,
  };
}
