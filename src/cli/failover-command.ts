// `cairn lab failover-test`: the outage table, one per fault kind.
import { FAILOVER_LEGEND, formatTrial } from "../demo/failover-format.js";
import { runFailoverTest } from "../demo/failover-test.js";

export interface FailoverCommandOptions {
  faults?: string;
  rate: number;
  faultMs: number;
  afterHealMs: number;
  json?: boolean;
  keep?: boolean;
}

export async function failoverTestCommand(o: FailoverCommandOptions): Promise<void> {
  const started = Date.now();
  const results = await runFailoverTest({
    ...(o.faults ? { faults: o.faults.split(",").map((f) => f.trim()).filter(Boolean) } : {}),
    rate: o.rate,
    faultMs: o.faultMs,
    afterHealMs: o.afterHealMs,
    ...(o.keep ? { keep: true } : {}),
    onProgress: (line) => console.error(line),
  });
  if (o.json) {
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  console.log(`\n${results.map(formatTrial).join("\n\n")}\n\n${FAILOVER_LEGEND}`);
  console.error(`failover test done in ${((Date.now() - started) / 1000).toFixed(0)} s${o.keep ? "; the lab is still up (`cairn lab down` removes it)" : ""}`);
}
