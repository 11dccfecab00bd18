// The web UI in Debian's Chromium (headless, playwright-core) against the real lab over TLS: the
// one-time login link as admin and as viewer, the topology, a lab fault on the steered primary
// seen in the page within 2 s, the events of the failover, a viewer's refused apply, the what-if.
// Screenshots of every step go to test-artifacts/ui/.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { loadTopology } from "../config/load.js";
import type { Topology } from "../core/model.js";
import { issueCertificate } from "../certs/index.js";
import { LAB_CONTROLLER_URL } from "../lab/endpoint.js";
import { healFault } from "../lab/faults.js";
import { labDown, labExists } from "../lab/index.js";
import { labOperatorClient, LAB_PKI_DIR } from "../lab/pki.js";
import { readAgentStatus } from "../lab/control-plane.js";
import { until } from "../testing/until.js";
import { CLI, EXAMPLE, LAB_SKIP, ROOT, run, VIDEO_INTENT } from "../testing/lab-e2e.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "test-artifacts/ui");
const VIEWER = "ui-viewer";
const PRIMARY = "r1>r2>r3>r4";
const FAULTY_LINK = "r2-r3";
const INTENTS = `intents:
${VIDEO_INTENT}  - name: bulk
    match: { hosts: [h1], app: bulk, to: h2, protocol: udp }
    objective: igp
    constraints: { avoidNodes: [r2, r3, r7] }
`;

describe("the web UI against the lab", { skip: LAB_SKIP, concurrency: false }, () => {
  let dir: string;
  let topology: Topology;
  let browser: Browser;
  let admin: Page;

  /** A page logged in through a one-time link made by `operator`, once the app has read everything. */
  async function loggedIn(operator: string): Promise<Page> {
    const client = await labOperatorClient(operator);
    const login = await client.createUiLogin().finally(() => client.close());
    // The lab's CA is the lab's own: this test's context alone skips checking it.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1500, height: 900 } });
    const page = await context.newPage();
    page.on("console", (m) => m.type() === "error" && console.error(`[${operator} page] ${m.text()}`));
    await page.goto(new URL(login.loginPath, LAB_CONTROLLER_URL).toString());
    await page.waitForSelector("body[data-ready=true]", { state: "attached", timeout: 15_000 });
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  const tab = (page: Page, name: string) => page.click(`#tab-${name}`);

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    topology = await loadTopology(EXAMPLE("topology.yaml"));
    if (labExists()) await labDown();
    dir = mkdtempSync(join(tmpdir(), "cairn-ui-"));
    writeFileSync(join(dir, "intents.yaml"), INTENTS);
    await run(process.execPath, [CLI, "lab", "up", EXAMPLE("topology.yaml"), "--intents", join(dir, "intents.yaml")], { timeout: 120_000 });
    await until("video's primary and backup probed and up", () => (readAgentStatus("h1")?.paths.filter((p) => p.usedBy.some((u) => u.key === "video#0") && p.state === "up").length ?? 0) >= 2, 15_000);
    await issueCertificate(LAB_PKI_DIR, { kind: "operator", name: VIEWER, role: "viewer" }, { days: 1 });
    browser = await chromium.launch({ executablePath: CHROMIUM, chromiumSandbox: false });
  });

  after(async () => {
    await browser?.close();
    await healFault({ all: true }).catch(() => {});
    if (labExists()) await labDown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the one-time link logs the browser in over TLS as the admin who made it", async () => {
    admin = await loggedIn("lab-admin");
    assert.match(admin.url(), /^https:\/\/\[fd00:ca:fe::1\]:50051\/ui\/$/);
    assert.match(await admin.textContent("#whoami") ?? "", /lab-admin \(admin, by session\)/);
    await shot(admin, "01-login-admin");
  });

  test("the topology shows every router and link, drawn and in the tables", async () => {
    assert.equal(await admin.getAttribute("#graph", "data-routers"), String(topology.routers.length));
    assert.equal(await admin.getAttribute("#graph", "data-links"), String(topology.links.length));
    await tab(admin, "links");
    const links = await admin.$$eval("#panel-links tr[data-link]", (rows) => rows.map((r) => `${r.getAttribute("data-link")}=${r.getAttribute("data-state")}`));
    assert.deepEqual(links, topology.links.map((l) => `${l.id}=up`));
    const routers = await admin.$$eval("#panel-links tr[data-node]", (rows) => rows.map((r) => r.getAttribute("data-node")));
    for (const r of topology.routers) assert.ok(routers.includes(r.name), `router ${r.name} in the nodes table`);
    await shot(admin, "02-topology-links");
  });

  test("a lab fault on video's primary (the Lab tab's button): the link's state and the active path change in the page within 2 s", async () => {
    await tab(admin, "paths");
    await admin.selectOption("#paths-select", "intent:video");
    const activeRouters = () => admin.getAttribute("#paths-detail tr[data-active=true]", "data-routers");
    await until("video active on its primary in the page", async () => (await activeRouters()) === PRIMARY, 10_000);
    await shot(admin, "03-paths-before-fault");
    await tab(admin, "lab");
    await admin.selectOption("#lab-target", FAULTY_LINK);
    await admin.selectOption("#lab-kind", "down");
    const clicked = Date.now();
    await admin.click("#lab-inject");
    await admin.waitForFunction(
      ({ link, primary }) => {
        const state = document.querySelector(`#panel-links tr[data-link="${link}"]`)?.getAttribute("data-state");
        const active = document.querySelector("#paths-detail tr[data-active=true]")?.getAttribute("data-routers");
        return state !== "up" && state !== undefined && active !== undefined && active !== null && active !== primary;
      },
      { link: FAULTY_LINK, primary: PRIMARY },
      { timeout: 5_000, polling: 10 },
    );
    const tookMs = Date.now() - clicked;
    const state = await admin.getAttribute(`#panel-links tr[data-link="${FAULTY_LINK}"]`, "data-state");
    const active = await activeRouters();
    console.log(`# fault ${FAULTY_LINK} down (Lab button) -> page shows link ${state}, video active on ${active}: ${tookMs} ms`);
    assert.match(await admin.textContent("#lab-message") ?? "", /injected/);
    await shot(admin, "04-lab-fault-injected");
    await tab(admin, "paths");
    await shot(admin, "05-paths-after-fault");
    assert.ok(tookMs < 2000, `the page showed the fault within 2 s of the click: ${tookMs} ms`);
  });

  test("the events timeline shows the failover: the report, the localisation, the mark, the push and its acknowledgement", async () => {
    await tab(admin, "events");
    const seen = async () => admin.$$eval("#events-table tbody tr", (rows) => rows.map((r) => `${r.getAttribute("data-type")} ${r.children[3]?.textContent ?? ""}`));
    await until("the failover's events in the timeline", async () => {
      const rows = await seen();
      return ["path-state h1", `overlay link ${FAULTY_LINK}`, "push h1", "ack h1"].every((p) => rows.some((r) => r.startsWith(p)))
        && rows.some((r) => r.startsWith("localisation") && r.includes(FAULTY_LINK));
    }, 10_000);
    await shot(admin, "06-events-failover");
  });

  test("the Lab tab's heal brings the link back", async () => {
    await tab(admin, "lab");
    await admin.selectOption("#lab-target", FAULTY_LINK);
    await admin.click("#lab-heal");
    await admin.waitForFunction(() => /healed/.test(document.querySelector("#lab-message")?.textContent ?? ""), undefined, { timeout: 15_000 });
    await admin.waitForFunction((link) => document.querySelector(`#panel-links tr[data-link="${link}"]`)?.getAttribute("data-state") === "up", FAULTY_LINK, { timeout: 20_000 });
    await shot(admin, "07-lab-healed");
  });

  test("the what-if form draws a path on the graph and applies nothing", async () => {
    const { revision } = await (async () => {
      const c = await labOperatorClient();
      return c.listIntents().finally(() => c.close());
    })();
    // The fault's marks clear after their hold-down: until then the what-if (which avoids what is down now) would route round them.
    await admin.waitForFunction(() => document.querySelectorAll('#panel-links tr[data-state="down"]').length === 0, undefined, { timeout: 20_000 });
    await tab(admin, "whatif");
    assert.equal(await admin.isChecked("#whatif-avoid-down"), true, "the what-if avoids what is down now unless told otherwise");
    await admin.fill("#whatif-from", "h1");
    await admin.fill("#whatif-to", "h2");
    await admin.selectOption("#whatif-objective", "igp");
    await admin.fill("#whatif-avoid-node", "r7");
    await admin.selectOption("#whatif-protection", "link");
    await admin.click("#whatif-submit");
    const primary = await admin.getAttribute("#whatif-result tr[data-role=primary]", "data-routers");
    assert.ok(primary && primary.startsWith("r1>") && primary.endsWith(">r4") && !primary.includes("r7"), `a primary from r1 to r4 avoiding r7: ${primary}`);
    assert.match(await admin.getAttribute("#graph", "data-marked") ?? "", new RegExp(`^primary \\(active\\): ${primary}`));
    await shot(admin, "08-what-if");
    const c = await labOperatorClient();
    assert.equal((await c.listIntents().finally(() => c.close())).revision, revision, "nothing applied");

    // A router drained now: the same question routes round it, and says so; unchecked, it is the declared topology's answer.
    await run(process.execPath, [CLI, "topology", "drain", "r5", "--reason", "ui what-if test"], { timeout: 30_000 });
    try {
      await admin.waitForFunction(() => document.querySelector('#panel-links tr[data-node="r5"]')?.getAttribute("data-state") === "drained", undefined, { timeout: 5_000 });
      await admin.selectOption("#whatif-protection", "none");
      await admin.click("#whatif-submit");
      await admin.waitForFunction(() => /--avoid-node r5/.test(document.querySelector("#whatif-result code")?.textContent ?? ""), undefined, { timeout: 5_000 });
      assert.equal(await admin.getAttribute("#whatif-result tr[data-role=primary]", "data-routers"), PRIMARY, "avoiding r7 and the drained r5 leaves r2 and r3");
      await admin.uncheck("#whatif-avoid-down");
      await admin.click("#whatif-submit");
      await admin.waitForFunction(() => !/--avoid-node r5/.test(document.querySelector("#whatif-result code")?.textContent ?? ""), undefined, { timeout: 5_000 });
    } finally {
      await run(process.execPath, [CLI, "topology", "undrain", "r5"], { timeout: 30_000 });
    }
  });

  test("the intents editor shows a mistake at its file:line:col and dry-runs a change (admin)", async () => {
    await tab(admin, "intents");
    const text = await admin.inputValue("#intents-text");
    await admin.fill("#intents-text", text.replace("objective: igp", "objective: fastest"));
    await admin.waitForSelector("#intents-problems li", { timeout: 5_000 });
    assert.match(await admin.textContent("#intents-problems") ?? "", /^web-ui\.yaml:\d+:\d+: intents\[1\]\.objective/);
    await shot(admin, "09-intents-error");
    await admin.fill("#intents-text", text.replace("objective: igp", "objective: hops"));
    await admin.click("#intents-dry-run");
    await admin.waitForFunction(() => /dry run of web-ui\.yaml/.test(document.querySelector("#intents-outcome")?.textContent ?? ""), undefined, { timeout: 5_000 });
    assert.match(await admin.textContent("#intents-outcome") ?? "", /changed.*bulk|bulk/);
    await shot(admin, "10-intents-dry-run");
  });

  test("a viewer sees everything, cannot apply (the control is disabled, and the controller refuses)", async () => {
    const viewer = await loggedIn(VIEWER);
    try {
      assert.match(await viewer.textContent("#whoami") ?? "", new RegExp(`${VIEWER} \\(viewer, by session\\)`));
      await tab(viewer, "intents");
      assert.equal(await viewer.isDisabled("#intents-apply"), true);
      assert.equal(await viewer.isDisabled("#lab-inject"), true);
      // Enabled by hand, as a curious viewer might: the controller refuses and the page says why.
      await viewer.$eval("#intents-apply", (b) => ((b as HTMLButtonElement).disabled = false));
      await viewer.click("#intents-apply");
      await viewer.waitForFunction(() => /Refused by the controller/.test(document.querySelector("#intents-outcome")?.textContent ?? ""), undefined, { timeout: 5_000 });
      assert.match(await viewer.textContent("#intents-outcome") ?? "", /PERMISSION_DENIED/);
      await shot(viewer, "11-viewer-refused");

      // The certificate that made the session revoked: the live feed ends within seconds and the page says what to do.
      await run(process.execPath, [CLI, "certs", "revoke", LAB_PKI_DIR, "--operator", VIEWER], { timeout: 30_000 });
      await viewer.waitForFunction(() => document.querySelector("#connection")?.getAttribute("data-state") === "logged out", undefined, { timeout: 10_000 });
      assert.match(await viewer.textContent("#connection") ?? "", /logged out: .*revoked.*run `cairn ui`/);
      await shot(viewer, "12-viewer-logged-out");
    } finally {
      await viewer.context().close();
    }
  });
});
