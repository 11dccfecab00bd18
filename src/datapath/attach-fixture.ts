// Test fixture, run inside a network namespace:
//   node attach-fixture.js apply   '{"interface","pinDir","attach"?,"limits"?,"desired":{...}}'  prints {"programId","attachMode","ruleIds","writes"}
//   node attach-fixture.js reopen  '{"interface","pinDir","times","desired"}'  re-opens (agent restarts) `times` times, applying each time
//   node attach-fixture.js events  '{"interface","pinDir"}'                    prints the event counters
//   node attach-fixture.js remove  '{"interface","pinDir"}'
//   node attach-fixture.js enable-srh '{"interface"}'
//   node attach-fixture.js foreign-tcx '{"interface","pin"}'   attaches testdata/foreign.bpf.o by tcx and pins the link
//   node attach-fixture.js foreign-tc  '{"interface"}'         attaches it as a clsact filter at Cairn's own handle
//   node attach-fixture.js hook '{"interface"}'                 names of the programs on the tcx egress hook, in order
//   node attach-fixture.js probe '{"pinDir","port","secret","paths":[{"key","ref","firstSid"}],"durationMs"}'
//        probes the paths for durationMs as the agent does; prints each path's health and its state changes
// Leaves programs attached and maps pinned; prints one JSON line.
import { openDatapath, removeDatapath, TC_FILTER, type AttachMode } from "./datapath.js";
import { DatapathMaps } from "./maps.js";
import * as bpf from "./libbpf.js";
import { ifNameToIndex } from "./libc.js";
import { enableSrhDelivery } from "./srh-delivery.js";
import type { DatapathLimits, DesiredDatapath } from "./types.js";
import { packageFile } from "../package-files.js";

interface Args {
  interface: string;
  pinDir: string;
  pin?: string;
  attach?: "auto" | AttachMode;
  limits?: Partial<DatapathLimits>;
  desired?: DesiredDatapath;
  times?: number;
}

const FOREIGN = packageFile("src", "datapath", "testdata", "foreign.bpf.o");
const [command, json] = process.argv.slice(2);
const args = JSON.parse(json ?? "{}") as Args;
const print = (o: unknown) => console.log(JSON.stringify(o, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Map ? Object.fromEntries(v) : v)));

function loadForeign(): { obj: bpf.BpfObject; progFd: number } {
  const obj = bpf.openObjectFile(FOREIGN);
  bpf.loadObject(obj);
  return { obj, progFd: bpf.programFd(bpf.findProgram(obj, "foreign_egress")) };
}

switch (command) {
  case "apply": {
    const dp = openDatapath({ interface: args.interface, pinDir: args.pinDir, ...(args.attach ? { attach: args.attach } : {}), ...(args.limits ? { limits: args.limits } : {}) });
    try {
      const r = args.desired ? dp.apply(args.desired) : { ruleIds: new Map(), writes: 0 };
      print({ programId: dp.programId, attachMode: dp.attachMode, ruleIds: r.ruleIds, writes: r.writes, pathRefs: "pathRefs" in r ? r.pathRefs : {} });
    } finally {
      dp.close();
    }
    break;
  }
  case "reopen": {
    const writes: number[] = [];
    for (let i = 0; i < (args.times ?? 1); i++) {
      const dp = openDatapath({ interface: args.interface, pinDir: args.pinDir });
      try {
        writes.push(dp.apply(args.desired!).writes);
      } finally {
        dp.close();
      }
    }
    print({ writes });
    break;
  }
  case "events": {
    const maps = DatapathMaps.fromPins(args.pinDir);
    try {
      print({ events: maps.events(), counters: maps.counters() });
    } finally {
      maps.close();
    }
    break;
  }
  case "remove":
    removeDatapath(args);
    print({});
    break;
  case "enable-srh":
    enableSrhDelivery(args.interface);
    print({});
    break;
  case "foreign-tcx": {
    const { obj, progFd } = loadForeign();
    const link = bpf.tcxAttach(progFd, ifNameToIndex(args.interface)!, bpf.BPF_TCX_EGRESS);
    bpf.objPin(link, args.pin!);
    print({ programId: bpf.linkInfo(link).progId });
    bpf.closeObject(obj);
    break;
  }
  case "foreign-tc": {
    const { obj, progFd } = loadForeign();
    const ifindex = ifNameToIndex(args.interface)!;
    bpf.tcHookCreate(ifindex, bpf.BPF_TC_EGRESS);
    print({ programId: bpf.tcAttach(ifindex, bpf.BPF_TC_EGRESS, progFd, TC_FILTER) });
    bpf.closeObject(obj);
    break;
  }
  case "probe": {
    const { Prober, DEFAULT_PROBE_SETTINGS } = await import("../agent/prober.js");
    const { openProbeSocket } = await import("../agent/probe-socket.js");
    const { realClock } = await import("../agent/clock.js");
    const a = args as unknown as { pinDir: string; port: number; secret: number; paths: { key: string; ref: number; firstSid: string }[]; durationMs: number };
    const maps = DatapathMaps.fromPins(a.pinDir);
    const changes: { key: string; state: string; atMs: number }[] = [];
    const start = Date.now();
    const prober = new Prober(await openProbeSocket(a.port), maps, realClock, () => process.hrtime.bigint(), a.secret, DEFAULT_PROBE_SETTINGS, (h) =>
      changes.push({ key: h.key, state: h.state, atMs: Date.now() - start }),
    );
    prober.setTargets(a.paths);
    console.log("probing");
    await new Promise((r) => setTimeout(r, a.durationMs));
    const health = prober.health();
    prober.stop();
    maps.close();
    print({ health, changes });
    break;
  }
  case "hook": {
    const ids = bpf.tcxPrograms(ifNameToIndex(args.interface)!, bpf.BPF_TCX_EGRESS);
    print({ programs: ids.map((id) => bpf.programName(id)) });
    break;
  }
  default:
    console.error(`unknown command ${String(command)}`);
    process.exit(2);
}
