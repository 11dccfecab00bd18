// The web UI of an open controller (`cairn controller --insecure` on a laptop): a real Chromium, which
// speaks HTTP/1.1 to a cleartext listener, loads it and follows its events; when the controller
// restarts (its events numbered from 1 again), the page's timeline starts over with the new one's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { createOperatorClient } from "../api/client.js";
import { applyIntentsText } from "../api/apply-file.js";
import { freePort } from "../controller/replicas/etcd-fixture.js";
import { startController, type ControllerHandle } from "../controller/server.js";
import { INTENTS_V2, testIntents, testTopology } from "../controller/testing.js";

const CHROMIUM = "/usr/bin/chromium";
const skip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (Debian package chromium; scripts/setup.sh installs it)`;

test("an open controller's UI in a real browser over HTTP/1.1; after a restart the timeline is the new controller's", { skip }, async (t) => {
  const port = await freePort();
  const topology = testTopology();
  const start = () => startController({ topology, intents: testIntents(topology), listen: [{ host: "::1", port }], log: () => {}, pathWorkers: 0 });
  let controller: ControllerHandle | undefined = await start();
  t.after(() => controller?.close());
  const url = controller.urls[0]!;
  const browser = await chromium.launch({ executablePath: CHROMIUM, chromiumSandbox: false });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const login = await (async () => {
    const c = createOperatorClient(url);
    return c.createUiLogin().finally(() => c.close());
  })();
  await page.goto(new URL(login.loginPath, url).toString());
  await page.waitForSelector("body[data-ready=true]", { state: "attached", timeout: 15_000 });
  assert.match((await page.textContent("#whoami")) ?? "", /admin/);
  const seqs = () => page.$$eval("#events-table tr[data-seq]", (rows) => rows.map((r) => Number(r.getAttribute("data-seq"))));

  // An apply on the first controller: its events reach the page.
  const op = createOperatorClient(url);
  await applyIntentsText(op, INTENTS_V2, "v2.yaml").finally(() => op.close());
  await page.waitForFunction(() => document.querySelector('#events-table tr[data-type="intents"]') !== null, undefined, { timeout: 5_000 });
  const before = await seqs();
  assert.ok(before.length >= 2, `events shown: ${before.join(",")}`);

  await controller.close();
  await page.waitForFunction(() => document.querySelector("#connection")?.getAttribute("data-state") === "reconnecting", undefined, { timeout: 10_000 });
  controller = await start();
  // The new controller has no events yet: its watch past the page's last one is refused, and the page starts over.
  await page.waitForFunction(() => document.querySelector("#connection")?.getAttribute("data-state") === "live", undefined, { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelectorAll("#events-table tr[data-seq]").length === 0, undefined, { timeout: 10_000 });
  const again = createOperatorClient(url);
  await applyIntentsText(again, INTENTS_V2, "v2.yaml").finally(() => again.close());
  await page.waitForFunction(() => document.querySelector('#events-table tr[data-type="intents"]') !== null, undefined, { timeout: 5_000 });
  const after = await seqs();
  assert.deepEqual(after, [...after].sort((x, y) => y - x), "newest first");
  assert.ok(after.length >= 1 && after.length <= before.length, `only the new controller's events: ${after.join(",")} (the first's: ${before.join(",")})`);
});
