// End to end: the lab's DNS server, queried from a host namespace with node's own resolver.
// Needs root, FRR (Debian's frr package) and dnsmasq (dnsmasq-base).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { DNS_HOSTS_FILE, DNS_TTL_S, dnsmasqArgv, listDnsRecords, removeDnsRecords, runningDnsServer, setDnsRecords } from "./dns.js";
import { DNS_ADDRESS, LAB_DNS_SERVER } from "./endpoint.js";
import { labExecArgv, labExecCapture } from "./exec.js";
import { labDown, labUp } from "./lab.js";
import { processAlive } from "./procs.js";
import { labSpecSkip, squareTopology } from "./testing.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const cli = (...args: string[]) => promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 30_000 });

/**
 * A node program for a host namespace: resolves argv[1] (AAAA or A, argv[2]) at the lab's server with
 * node's dns.Resolver, every 50 ms, printing each distinct answer as a JSON line; stops once an answer
 * holds argv[3] (or after 10 s). Prints {code} for errors such as ENOTFOUND.
 */
const RESOLVE_LOOP = `
const { Resolver } = require("node:dns").promises;
const [name, type, until] = process.argv.slice(1);
const r = new Resolver({ timeout: 500, tries: 2 });
r.setServers([${JSON.stringify(LAB_DNS_SERVER)}]);
(async () => {
  let last = "";
  for (const end = Date.now() + 10000; Date.now() < end; await new Promise((ok) => setTimeout(ok, 50))) {
    let answer;
    try { answer = { records: await (type === "A" ? r.resolve4(name, { ttl: true }) : r.resolve6(name, { ttl: true })) }; }
    catch (e) { answer = { code: e.code }; }
    const line = JSON.stringify(answer);
    if (line !== last) console.log(JSON.stringify({ at: Date.now(), ...answer }));
    last = line;
    if (!until || (answer.records ?? []).some((x) => x.address === until) || answer.code === until) return;
  }
})();`;

interface Answer {
  at: number;
  records?: Array<{ address: string; ttl: number }>;
  code?: string;
}

/** One lookup from a host namespace. */
async function resolveIn(node: string, name: string, type: "AAAA" | "A"): Promise<Answer> {
  const r = await labExecCapture(node, { command: [process.execPath, "-e", RESOLVE_LOOP, name, type] });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n")[0]!) as Answer;
}

test("dnsmasq reads no system file, has no upstream, listens only on the lab's address, answers with the short TTL", () => {
  const argv = dnsmasqArgv();
  for (const flag of ["--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", `--addn-hosts=${DNS_HOSTS_FILE}`, `--local-ttl=${DNS_TTL_S}`, "--local=/#/", `--listen-address=${DNS_ADDRESS}`, "--bind-interfaces"]) {
    assert.ok(argv.includes(flag), `${flag} in ${argv.join(" ")}`);
  }
  assert.ok(!argv.some((a) => a.startsWith("--server")), "no upstream server");
  assert.ok(DNS_TTL_S >= 1 && DNS_TTL_S <= 2);
});

describe("lab DNS server", { skip: labSpecSkip(), concurrency: false }, () => {
  before(async () => {
    await labUp(squareTopology());
  });

  after(async () => {
    await labDown().catch((err: unknown) => console.error("cleanup failed:", err));
  });

  test("a host resolves AAAA and A records with the short TTL; nothing else is served", async () => {
    assert.deepEqual(listDnsRecords(), []);
    await setDnsRecords("Video.Lab", ["2001:db8:4::10", "10.0.4.10"]);
    assert.deepEqual(listDnsRecords(), [{ name: "video.lab", addresses: ["2001:db8:4::10", "10.0.4.10"] }]);
    assert.deepEqual((await resolveIn("h1", "video.lab", "AAAA")).records, [{ address: "2001:db8:4::10", ttl: DNS_TTL_S }]);
    assert.deepEqual((await resolveIn("h1", "video.lab", "A")).records, [{ address: "10.0.4.10", ttl: DNS_TTL_S }]);
    assert.deepEqual((await resolveIn("h2", "VIDEO.lab", "AAAA")).records, [{ address: "2001:db8:4::10", ttl: DNS_TTL_S }]);
    // No /etc/hosts, no upstream: unknown names are answered at once with NXDOMAIN.
    assert.equal((await resolveIn("h1", "localhost", "A")).code, "ENOTFOUND");
    assert.equal((await resolveIn("h1", "example.com", "AAAA")).code, "ENOTFOUND");
  });

  test("a changed record is seen by a running resolver once the TTL has passed", async (t) => {
    await setDnsRecords("web.lab", ["2001:db8:4::10"]);
    const argv = labExecArgv("h1", { command: [process.execPath, "-e", RESOLVE_LOOP, "web.lab", "AAAA", "2001:db8:4::20"] });
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const answers: Answer[] = [];
      let buffered = "";
      const firstAnswer = new Promise<void>((resolve) => {
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
          buffered += d;
          const lines = buffered.split("\n");
          buffered = lines.pop()!;
          answers.push(...lines.map((l) => JSON.parse(l) as Answer));
          if (answers.length) resolve();
        });
      });
      const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
      await firstAnswer;
      assert.deepEqual(answers[0]!.records, [{ address: "2001:db8:4::10", ttl: DNS_TTL_S }]);
      const changedAt = Date.now();
      await setDnsRecords("web.lab", ["2001:db8:4::20"]);
      assert.equal(await exited, 0);
      const seen = answers.find((a) => a.records?.some((r) => r.address === "2001:db8:4::20"));
      assert.ok(seen, `the new address was never seen: ${JSON.stringify(answers)}`);
      assert.deepEqual(seen.records, [{ address: "2001:db8:4::20", ttl: DNS_TTL_S }]);
      t.diagnostic(`the running resolver saw the new address ${seen.at - changedAt} ms after the change (TTL ${DNS_TTL_S} s)`);
      assert.ok(seen.at - changedAt <= DNS_TTL_S * 1000 + 500, `seen ${seen.at - changedAt} ms after the change`);
    } finally {
      child.kill();
    }
  });

  test("records are removed, and bad names and addresses are refused", async () => {
    await removeDnsRecords("web.lab");
    assert.equal((await resolveIn("h1", "web.lab", "AAAA")).code, "ENOTFOUND");
    await assert.rejects(removeDnsRecords("web.lab"), /no DNS record named web\.lab/);
    await assert.rejects(setDnsRecords("bad_name", ["10.0.0.1"]), /"bad_name" is not a valid DNS name/);
    await assert.rejects(setDnsRecords("ok.lab", ["10.0.0.300"]), /"10\.0\.0\.300" is not an IPv6 or IPv4 address/);
    await assert.rejects(setDnsRecords("ok.lab", []), /no address for ok\.lab/);
    assert.deepEqual(listDnsRecords().map((r) => r.name), ["video.lab"]);
  });

  test("cairn lab dns set / list / rm", async () => {
    const set = JSON.parse((await cli("lab", "dns", "set", "API.lab", "2001:db8:1::10", "10.0.1.10", "--json")).stdout) as unknown;
    assert.deepEqual(set, { name: "api.lab", addresses: ["2001:db8:1::10", "10.0.1.10"] });
    const list = JSON.parse((await cli("lab", "dns", "list", "--json")).stdout) as unknown;
    assert.deepEqual(list, [{ name: "api.lab", addresses: ["2001:db8:1::10", "10.0.1.10"] }, { name: "video.lab", addresses: ["2001:db8:4::10", "10.0.4.10"] }]);
    assert.match((await cli("lab", "dns", "list")).stdout, /^api\.lab\s+2001:db8:1::10 10\.0\.1\.10$/m);
    assert.deepEqual((await resolveIn("h2", "api.lab", "A")).records, [{ address: "10.0.1.10", ttl: DNS_TTL_S }]);
    await cli("lab", "dns", "rm", "api.lab");
    await assert.rejects(cli("lab", "dns", "set", "api.lab", "nope"), (e: { code?: number; stderr?: string }) => e.code === 2 && /"nope" is not an IPv6 or IPv4 address/.test(e.stderr ?? ""));
    await assert.rejects(cli("lab", "dns", "rm", "api.lab"), (e: { code?: number; stderr?: string }) => e.code === 1 && /no DNS record named api\.lab/.test(e.stderr ?? ""));
  });

  test("dnsmasq is a recorded lab process; lab down stops it and removes its hosts file", async () => {
    const server = runningDnsServer();
    assert.ok(server?.pid, "dnsmasq is recorded and running");
    await labDown();
    assert.equal(processAlive(server.pid, server.startTime), false);
    assert.equal(existsSync(DNS_HOSTS_FILE), false);
  });
});
