// /metrics end to end on the real kernel: the lab's agents serve theirs on the management network,
// the controller on its API port (TLS, the lab admin's certificate). Traffic must move the rule's
// kernel counters by what was sent, probes must fill the RTT histogram, and a fault on the primary
// must show as a failover on the agent and as pushes and acknowledgements on the controller.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as http2 from "node:http2";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labAgentMetricsUrl, LAB_CONTROLLER_URL, readAgentStatus } from "../lab/control-plane.js";
import { labOperatorCredentials, LAB_CA_CERT, LAB_PKI_DIR } from "../lab/pki.js";
import { CONTROLLER_ENDPOINT } from "../lab/endpoint.js";
import { prometheusMissing, promtoolProblems, startPrometheus } from "../testing/prometheus-fixture.js";
import { readFileSync } from "node:fs";
import { labDown, labExists } from "../lab/index.js";
import { healFault, injectFault } from "../lab/faults.js";
import { startLabSink, startLabTraffic } from "../demo/lab-streams.js";
import { parseMetricsText, sumOf, type ParsedMetrics } from "../metrics/text-format.js";
import { until } from "../testing/until.js";
import { run, CLI, H2, LAB_SKIP, EXAMPLE, VIDEO_INTENT } from "../testing/lab-e2e.js";

const skip = LAB_SKIP;
const PRIMARY = "r1>r2>r3>r4";
const LAB_HOSTS = 2; // examples/demo/topology.yaml: h1 and h2

const INTENTS = `intents:
${VIDEO_INTENT}`;

/** An agent's exposition as text. */
function scrapeAgentText(host: string): Promise<string> {
  const url = labAgentMetricsUrl(host);
  if (!url) throw new Error("no lab");
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          if (res.statusCode !== 200) return reject(new Error(`${url}: ${res.statusCode} ${text}`));
          if (!/^text\/plain; version=0\.0\.4/.test(String(res.headers["content-type"]))) return reject(new Error(`${url}: content-type ${res.headers["content-type"]}`));
          resolve(text);
        });
      })
      .on("error", reject);
  });
}

async function scrapeAgent(host: string): Promise<ParsedMetrics> {
  return parseMetricsText(await scrapeAgentText(host));
}

async function scrapeController(): Promise<ParsedMetrics> {
  return parseMetricsText(await scrapeControllerText());
}

async function scrapeControllerText(): Promise<string> {
  const { ca, cert, key } = await labOperatorCredentials();
  return new Promise((resolve, reject) => {
    const session = http2.connect(LAB_CONTROLLER_URL, { ca, cert: cert!, key: key! });
    session.on("error", reject);
    const req = session.request({ ":path": "/metrics" });
    let status = 0;
    let text = "";
    req.on("response", (h) => (status = Number(h[":status"])));
    req.setEncoding("utf8");
    req.on("data", (c: string) => (text += c));
    req.on("end", () => {
      session.close();
      if (status !== 200) return reject(new Error(`controller /metrics: ${status} ${text}`));
      resolve(text);
    });
    req.on("error", reject);
    req.end();
  });
}

const video = { rule: "video#0", intent: "video" };

describe("/metrics in the lab", { skip, concurrency: false }, () => {
  let dir: string;

  before(async () => {
    if (skip) return;
    if (labExists()) await labDown();
    dir = mkdtempSync(join(tmpdir(), "cairn-metrics-"));
    writeFileSync(join(dir, "intents.yaml"), INTENTS);
    await run(process.execPath, [CLI, "lab", "up", EXAMPLE("topology.yaml"), "--intents", join(dir, "intents.yaml")], { timeout: 120_000 });
    await until("video's paths probed and up", () => readAgentStatus("h1")?.paths.filter((p) => p.usedBy.some((u) => u.key === "video#0") && p.state === "up").length === 4, 10_000);
  });

  after(async () => {
    if (skip) return;
    await labDown();
    rmSync(dir, { recursive: true, force: true });
  });

  test("traffic moves the agent's per-rule packet and byte counters by what was sent; probes fill the RTT histogram", async (t) => {
    const before = await scrapeAgent("h1");
    assert.equal(sumOf(before, "cairn_controller_connected"), 1);
    assert.equal(sumOf(before, "cairn_path_state", { path: PRIMARY, state: "up" }), 1, "the primary is probed and up");
    const sink = await startLabSink({ node: "h2", port: 5050, graceMs: 300 });
    const size = 200;
    const sent = (await startLabTraffic({ node: "h1", app: "video", to: H2, port: 5050, count: 1000, rate: 2000, size }).done).sent;
    const received = (await sink.report).received;
    const afterTraffic = await scrapeAgent("h1");
    const packets = sumOf(afterTraffic, "cairn_rule_packets_total", video) - sumOf(before, "cairn_rule_packets_total", video);
    const bytes = sumOf(afterTraffic, "cairn_rule_bytes_total", video) - sumOf(before, "cairn_rule_bytes_total", video);
    t.diagnostic(`sent ${sent}, received ${received}; the kernel counted ${packets} packets, ${bytes} bytes`);
    assert.equal(sent, 1000);
    assert.equal(packets, sent, "every datagram of the stream steered, and nothing else counted for the rule");
    // Each packet as the datapath sees it at tc egress: Ethernet, IPv6 and UDP headers around the payload.
    assert.ok(bytes >= sent * (size + 48) && bytes <= sent * (size + 48 + 14), `bytes ${bytes} for ${sent} datagrams of ${size} payload bytes`);
    assert.equal(sumOf(afterTraffic, "cairn_rule_unsteered_packets_total", video) - sumOf(before, "cairn_rule_unsteered_packets_total", video), 0);
    const rtts = sumOf(afterTraffic, "cairn_probe_rtt_seconds_count", { path: PRIMARY });
    assert.ok(rtts > sumOf(before, "cairn_probe_rtt_seconds_count", { path: PRIMARY }) && rtts > 10, `probe RTT samples on ${PRIMARY}: ${rtts}`);
    assert.ok(sumOf(afterTraffic, "cairn_probe_rtt_seconds_sum", { path: PRIMARY }) / rtts < 0.05, "a lab round trip is well under 50 ms");
    assert.ok(sumOf(afterTraffic, "cairn_probes_received_total", { path: PRIMARY }) > 0);
  });

  test("the controller: every lab agent connected; a fault on the primary fails h1 over (agent) and is re-steered with pushes acknowledged (controller)", async (t) => {
    const c0 = await scrapeController();
    assert.equal(sumOf(c0, "cairn_connected_agents"), LAB_HOSTS);
    assert.equal(sumOf(c0, "cairn_hosts"), LAB_HOSTS);
    // Video's primary and backup, one report each however many datapath streams probe them.
    assert.ok(sumOf(c0, "cairn_paths", { state: "up" }) >= 2 && sumOf(c0, "cairn_paths", { state: "down" }) === 0, `h1's reported paths are up: ${JSON.stringify(c0.samples.filter((s) => s.name === "cairn_paths"))}`);
    const a0 = await scrapeAgent("h1");

    const sink = await startLabSink({ node: "h2", port: 5060, graceMs: 300 });
    const sender = startLabTraffic({ node: "h1", app: "video", to: H2, port: 5060, count: 3000, rate: 1000 });
    try {
      await new Promise((r) => setTimeout(r, 500));
      await injectFault({ kind: "drop", target: "r2-r3", direction: "r2-r3" });
      await until("the controller re-steered h1 and h1 acknowledged it", async () => {
        const c = await scrapeController();
        return sumOf(c, "cairn_push_acks_total") > sumOf(c0, "cairn_push_acks_total") && sumOf(c, "cairn_marked_elements", { kind: "link", state: "down" }) >= 1;
      }, 10_000);
      await sender.done;
      await sink.report;
      const a1 = await scrapeAgent("h1");
      const c1 = await scrapeController();
      const delta = (p: ParsedMetrics, q: ParsedMetrics, name: string, labels: Record<string, string> = {}) => sumOf(q, name, labels) - sumOf(p, name, labels);
      t.diagnostic(
        `agent: failovers +${delta(a0, a1, "cairn_failovers_total")}, failbacks +${delta(a0, a1, "cairn_failbacks_total")}, backup packets +${delta(a0, a1, "cairn_rule_backup_packets_total", video)}, updates +${delta(a0, a1, "cairn_updates_applied_total")}; ` +
          `controller: pushes +${delta(c0, c1, "cairn_pushes_total")}, acks +${delta(c0, c1, "cairn_push_acks_total")}, path-state events +${delta(c0, c1, "cairn_events_total", { type: "path-state" })}`,
      );
      assert.ok(delta(a0, a1, "cairn_failovers_total") >= 1, "h1 moved video from its primary to its backup");
      assert.ok(delta(a0, a1, "cairn_rule_backup_packets_total", video) > 0, "and the kernel sent video packets on the backup");
      assert.ok(delta(a0, a1, "cairn_updates_applied_total") >= 1, "h1 applied the controller's new paths");
      assert.ok(delta(c0, c1, "cairn_pushes_total") >= 1);
      assert.ok(delta(c0, c1, "cairn_push_acks_total") >= 1);
      assert.ok(delta(c0, c1, "cairn_push_ack_latency_seconds_count") >= 1);
      assert.ok(delta(c0, c1, "cairn_events_total", { type: "path-state" }) >= 1, "h1 reported the primary's state change");
      assert.ok(delta(c0, c1, "cairn_recompute_duration_seconds_count", { trigger: "liveliness" }) >= 1, "the localised fault recomputed video's paths");
    } finally {
      sender.stop();
      await sender.done.catch(() => {});
      await healFault("r2-r3", { waitMs: 10_000 });
    }
  });

  test("a real Prometheus scrapes the controller (TLS, a viewer's token) and every agent; promtool finds nothing to fix", { skip: prometheusMissing() ?? false }, async (t) => {
    // Cairn's own families: prom-client's default nodejs_active_*_total gauges break the _total
    // convention themselves (promtool says so), and are the library's names, kept as its users know them.
    const ours = (text: string) => text.split("\n").filter((l) => /^(# (HELP|TYPE) )?cairn_/.test(l)).join("\n") + "\n";
    for (const [what, text] of [["controller", await scrapeControllerText()], ["agent h1", await scrapeAgentText("h1")]] as const) {
      assert.ok(ours(text).length > 1_000, `the ${what} exposes cairn_ metrics`);
      assert.equal(await promtoolProblems(ours(text)), "", `promtool check metrics on the ${what}'s cairn_ metrics`);
    }
    const issued = await run(process.execPath, [CLI, "certs", "token", LAB_PKI_DIR, "--name", "prometheus", "--role", "viewer", "--json"]);
    const token = (JSON.parse(issued.stdout) as { token: string }).token;
    const agents = ["h1", "h2"].map((h) => new URL(labAgentMetricsUrl(h)!).host);
    const prometheus = await startPrometheus([
      { name: "cairn-controller", scheme: "https", targets: [CONTROLLER_ENDPOINT], ca: readFileSync(LAB_CA_CERT, "utf8"), token },
      { name: "cairn-agent", targets: agents },
    ]);
    t.after(() => prometheus.close());
    // Prometheus finds its targets some seconds after it starts, then scrapes every second.
    const targets = await until("Prometheus to scrape every target successfully", async () => {
      const all = await prometheus.targets();
      return all.length === 3 && all.every((x) => x.health === "up") ? all : null;
    }, 30_000).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(await prometheus.targets())}\n${prometheus.output()}`);
    });
    t.diagnostic(targets.map((x) => `${x.job} ${x.instance} ${x.health}`).join("; "));
    const value = async (expr: string) => (await prometheus.query(expr)).map((r) => r.value);
    assert.deepEqual(await value('cairn_connected_agents{job="cairn-controller"}'), [LAB_HOSTS]);
    assert.deepEqual(await value('count(cairn_controller_connected{job="cairn-agent"} == 1)'), [LAB_HOSTS], "every agent is connected to the controller");
    assert.deepEqual(await value('count(cairn_rule_packets_total{job="cairn-agent",rule="video#0"})'), [1], "h1's video rule, and only there");
  });
});
