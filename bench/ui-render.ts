// The web UI on a large topology: `npm run bench -- ui-render`. A controller (TLS, as served) on
// Kentucky Datalink (Kdl, 726 routers and 822 links after the import; CAIRN_BENCH_UI_GRAPH for
// another zoo graph, Abilene under CAIRN_BENCH_SMOKE=1) with a few hosts and intents, Debian's
// Chromium headless (playwright-core). Measured per layout: the time from navigation to the graph
// drawn (the app's `cairn:graph-drawn` mark) and to every view filled, and the longest main-thread
// task (PerformanceObserver 'longtask') until then. The UI's geographic layout (the routers'
// coordinates, preset) against the baseline in the same run: the same graph laid out by force
// (cose, `?layout=force`).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { SMOKE, zoo } from "./common.js";
import { generateFleet, intentsYaml, topologyYaml } from "../src/fleet/generate.js";
import { initAuthority, issueCertificate, credentialPaths } from "../src/certs/index.js";
import { createOperatorClient } from "../src/api/client.js";
import { packageFile } from "../src/package-files.js";
import { readFile } from "node:fs/promises";

const GRAPH = process.env.CAIRN_BENCH_UI_GRAPH ?? (SMOKE ? "Abilene" : "Kdl");
const PORT = 50_000 + (process.pid % 10_000);
const URL_BASE = `https://[::1]:${PORT}`;
const RUNS = SMOKE ? 1 : 3;

interface Render {
  drawnMs: number;
  readyMs: number;
  longestTaskMs: number;
}

const dir = mkdtempSync(join(tmpdir(), "cairn-bench-ui-"));
const fleet = generateFleet(await zoo(GRAPH), { hosts: 20, rules: 20, attach: "round-robin", seed: 1 });
writeFileSync(join(dir, "topology.yaml"), topologyYaml(fleet.topology));
writeFileSync(join(dir, "intents.yaml"), intentsYaml(fleet.intents));
const pki = join(dir, "pki");
await initAuthority(pki, { addresses: ["::1"] });
await issueCertificate(pki, { kind: "operator", name: "bench", role: "admin" });
const own = credentialPaths(pki, "operator", "bench");
const credentials = { ca: await readFile(credentialPaths(pki, "ca").cert, "utf8"), cert: await readFile(own.cert, "utf8"), key: await readFile(own.key, "utf8") };

const controller = spawn(process.execPath, [packageFile("dist/cli/main.js"), "controller", "--tls-dir", pki, "--topology", join(dir, "topology.yaml"), "--intents", join(dir, "intents.yaml"), "--listen", `[::1]:${PORT}`], { stdio: ["ignore", "ignore", "pipe"] });
let browser: Browser | undefined;
try {
  await new Promise<void>((resolve, reject) => {
    controller.stderr.on("data", (d: Buffer) => d.toString().includes("listening on") && resolve());
    controller.on("exit", (code) => reject(new Error(`the controller exited (${code})`)));
  });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", chromiumSandbox: false });
  const render = async (layout: "geographic" | "force"): Promise<Render> => {
    const client = createOperatorClient(URL_BASE, { credentials });
    const login = await client.createUiLogin().finally(() => client.close());
    const context = await browser!.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1500, height: 900 } });
    const page = await context.newPage();
    await page.goto(URL_BASE + login.loginPath);
    await page.waitForSelector("body[data-ready=true]", { state: "attached", timeout: 120_000 });
    await page.addInitScript(() => {
      const w = window as unknown as { longestTaskMs: number };
      w.longestTaskMs = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longestTaskMs = Math.max(w.longestTaskMs, e.duration);
      }).observe({ type: "longtask", buffered: true });
    });
    await page.goto(`${URL_BASE}/ui/${layout === "force" ? "?layout=force" : ""}`);
    await page.waitForSelector("body[data-ready=true]", { state: "attached", timeout: 120_000 });
    const r = await page.evaluate(() => ({
      drawnMs: performance.getEntriesByName("cairn:graph-drawn")[0]!.startTime,
      readyMs: performance.now(),
      longestTaskMs: (window as unknown as { longestTaskMs: number }).longestTaskMs,
      shown: document.getElementById("graph")!.dataset.layout,
    }));
    if (r.shown !== layout) throw new Error(`asked for the ${layout} layout, the page drew ${r.shown}`);
    await context.close();
    return r;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const measure = async (layout: "geographic" | "force") => {
    const runs: Render[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await render(layout));
    return { drawnMs: median(runs.map((r) => r.drawnMs)), readyMs: median(runs.map((r) => r.readyMs)), longestTaskMs: median(runs.map((r) => r.longestTaskMs)) };
  };
  const t = fleet.topology;
  console.log(`ui-render: the web UI on ${GRAPH} (${t.routers.length} routers, ${t.links.length} links, ${t.hosts.length} hosts), Chromium headless, median of ${RUNS}`);
  const geo = await measure("geographic");
  const force = await measure("force");
  for (const [label, m] of [["geographic (the UI's)", geo], ["force layout (baseline)", force]] as const) {
    console.log(`  ${label.padEnd(26)} graph drawn ${m.drawnMs.toFixed(0).padStart(6)} ms after navigation, every view filled ${m.readyMs.toFixed(0).padStart(6)} ms, longest main-thread task ${m.longestTaskMs.toFixed(0).padStart(5)} ms`);
  }
  console.log(`  graph drawn: ${(force.drawnMs / geo.drawnMs).toFixed(1)}x faster than the baseline; longest task ${(force.longestTaskMs / Math.max(geo.longestTaskMs, 1)).toFixed(1)}x shorter`);
} finally {
  await browser?.close();
  controller.kill();
  rmSync(dir, { recursive: true, force: true });
}
