// `cairn fleet-sim`: runs the simulator and prints its table (or JSON).
import { DEFAULT_FLEET, runFleetSim, type FleetOptions } from "./run.js";
import { formatFleet } from "./format.js";

export type FleetCommandOptions = Partial<Omit<FleetOptions, "log">> & { json?: boolean; fullRecompute?: boolean };

export async function fleetSimCommand(o: FleetCommandOptions): Promise<number> {
  const { json, fullRecompute, ...rest } = o;
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} fleet-sim: ${line}\n`);
  const result = await runFleetSim({ ...DEFAULT_FLEET, ...rest, skipFullRecompute: fullRecompute === false, log });
  process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${formatFleet(result)}\n`);
  return result.initialSync.synced === result.hosts ? 0 : 1;
}
