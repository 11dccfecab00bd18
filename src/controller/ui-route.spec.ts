import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { uiFilePath, uiRoute } from "./ui-route.js";
import { ANONYMOUS } from "./principal.js";
import type { NodeRequest, NodeResponse } from "./request-guard.js";

async function serve(root: string, fn: (get: (path: string, method?: string) => Promise<Response>) => Promise<void>): Promise<void> {
  const route = uiRoute(root);
  const server = createServer((req, res) => void route.handle(req as NodeRequest, res as NodeResponse, { principal: ANONYMOUS, open: false }));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  try {
    await fn((path, method = "GET") => fetch(`http://127.0.0.1:${port}${path}`, { method, redirect: "manual" }));
  } finally {
    server.close();
  }
}

test("the UI's files: index.html for the app's paths, hashed assets immutable, strict headers, nothing outside dist-ui", async () => {
  const root = mkdtempSync(join(tmpdir(), "cairn-ui-route-"));
  try {
    mkdirSync(join(root, "assets"));
    writeFileSync(join(root, "index.html"), "<!doctype html>app");
    writeFileSync(join(root, "assets", "index-abc.js"), "console.log(1)");
    await serve(root, async (get) => {
      const home = await get("/");
      assert.equal(home.status, 302);
      assert.equal(home.headers.get("location"), "/ui/");
      const index = await get("/ui/");
      assert.equal(await index.text(), "<!doctype html>app");
      assert.equal(index.headers.get("cache-control"), "no-cache");
      assert.match(index.headers.get("content-security-policy") ?? "", /default-src 'self'.*frame-ancestors 'none'/);
      assert.equal(index.headers.get("x-content-type-options"), "nosniff");
      assert.equal(await (await get("/ui/paths")).text(), "<!doctype html>app", "an app path is the app");
      const asset = await get("/ui/assets/index-abc.js");
      assert.equal(asset.headers.get("content-type"), "text/javascript; charset=utf-8");
      assert.match(asset.headers.get("cache-control") ?? "", /immutable/);
      assert.equal((await get("/ui/assets/missing.js")).status, 404);
      assert.equal((await get("/ui/%2e%2e/package.json")).status, 404);
      assert.equal((await get("/ui/", "POST")).status, 405);
    });
    assert.equal(uiFilePath(root, "/ui/../x"), null);
    assert.equal(uiFilePath(root, "/ui/a%00b"), null);
    assert.equal(uiFilePath(root, "/ui/%E0%A4%A"), null);
    assert.equal(uiRoute(root).matches("/ui/login"), false, "the login link is another route's");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("without a build, /ui/ says how to make one (503)", async () => {
  const root = mkdtempSync(join(tmpdir(), "cairn-ui-route-"));
  try {
    await serve(root, async (get) => {
      const r = await get("/ui/");
      assert.equal(r.status, 503);
      assert.match(await r.text(), /npm run build:ui/);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
