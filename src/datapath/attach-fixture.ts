// Test fixture, run inside a network namespace:
//   node attach-fixture.js apply  '{"interface","pinDir","rules":[{...,"cgroupId":"0"}]}'
//   node attach-fixture.js remove '{"interface","pinDir"}'
//   node attach-fixture.js enable-srh '{"interface"}'
// Leaves the program attached and the maps pinned; prints one JSON line.
import { openDatapath, removeDatapath } from "./datapath.js";
import { enableSrhDelivery } from "./srh-delivery.js";
import type { DatapathRule } from "./types.js";

interface Args {
  interface: string;
  pinDir: string;
  objectPath?: string;
  rules?: (Omit<DatapathRule, "cgroupId"> & { cgroupId: string })[];
}

const [command, json] = process.argv.slice(2);
const args = JSON.parse(json ?? "{}") as Args;

switch (command) {
  case "apply": {
    const dp = openDatapath(args);
    try {
      dp.apply((args.rules ?? []).map((r) => ({ ...r, cgroupId: BigInt(r.cgroupId) })));
      console.log(JSON.stringify({ programId: dp.programId }));
    } finally {
      dp.close();
    }
    break;
  }
  case "remove":
    removeDatapath(args);
    console.log("{}");
    break;
  case "enable-srh":
    enableSrhDelivery(args.interface);
    console.log("{}");
    break;
  default:
    console.error(`unknown command ${String(command)}`);
    process.exit(2);
}
