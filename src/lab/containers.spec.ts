// End to end: containers behind a host reach the network through it, and replies find their way back.
// Needs root, FRR (Debian's frr package) and ping (iputils-ping).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { sendAndTrace } from "../demo/path-proof.js";
import { addContainer, listContainers } from "./containers.js";
import { readInterfaceCounters } from "./counters.js";
import { labExecArgv, labExecCapture } from "./exec.js";
import { labDown, labUp } from "./lab.js";
import { listNamespaces, readRoutes6 } from "./netns.js";
import { isLabNamespace, nsName } from "./paths.js";
import { labStatus } from "./status.js";
import { labSpecSkip, ping, squareTopology } from "./testing.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const cli = (...args: string[]) => promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 30_000 });
const square = squareTopology();
const order = square.routers.map((r) => r.name);
const H2 = { v6: "2001:db8:4::10", v4: "10.0.4.10" };

/** A UDP echo server (both families) for a lab node: prints "ready", echoes every datagram, exits after 20 s. */
const ECHO_SERVER = `
const dgram = require("node:dgram");
const port = Number(process.argv[1]);
let bound = 0;
for (const [type, addr] of [["udp6", "::"], ["udp4", "0.0.0.0"]]) {
  const s = dgram.createSocket({ type, ipv6Only: type === "udp6" });
  s.on("message", (m, from) => s.send(m, from.port, from.address));
  s.bind(port, addr, () => { if (++bound === 2) console.log("ready"); });
}
setTimeout(() => process.exit(0), 20000);`;

/** A UDP echo client: sends argv[3] datagrams to argv[1]:argv[2], prints how many came back. */
const ECHO_CLIENT = `
const dgram = require("node:dgram");
const [to, port, count] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const s = dgram.createSocket(to.includes(":") ? "udp6" : "udp4");
let back = 0;
s.on("message", () => { if (++back === count) done(); });
const done = () => { console.log(back); s.close(); process.exit(0); };
let i = 0;
const timer = setInterval(() => { if (i++ < count) s.send(Buffer.from("x".repeat(100)), port, to); else clearInterval(timer); }, 5);
setTimeout(done, 5000);`;

describe("lab containers behind a host", { skip: labSpecSkip(), concurrency: false }, () => {
  before(async () => {
    await labUp(square);
  });

  after(async () => {
    await labDown().catch((err: unknown) => console.error("cleanup failed:", err));
  });

  test("addContainer gives the container addresses after the host's, in its subnets, and records it", async () => {
    const c = await addContainer("h1", "web");
    assert.deepEqual(c, { name: "web", host: "h1", namespace: "cairn-web", hostInterface: "c-web", address: "2001:db8:1::11", address4: "10.0.1.11" });
    assert.deepEqual(listContainers(), [c]);
    const r = await labExecCapture("web", { command: ["ip", "-brief", "addr", "show", "dev", "eth0"] });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2001:db8:1::11\/128/);
    assert.match(r.stdout, /10\.0\.1\.11\/32/);
    // No routing change on the routers: r1 still only has h1's subnet, nothing for the container.
    assert.ok(!(await readRoutes6(nsName("r1"))).some((rt) => rt.dst.startsWith("2001:db8:1::11")));
  });

  test("a process in the container reaches h2 over UDP; its packets leave the host's uplink and take the IGP path", async () => {
    for (const [family, to] of [["IPv6", H2.v6], ["IPv4", H2.v4]] as const) {
      const N = 300;
      const uplinkBefore = readInterfaceCounters("h1").eth0!.txPackets;
      const accessBefore = readInterfaceCounters("r1").h1!.rxPackets;
      const flow = await sendAndTrace(square, { fromNode: "web", toNode: "h2", toAddress: to, port: 7100, count: N, order });
      const uplink = readInterfaceCounters("h1").eth0!.txPackets - uplinkBefore;
      const access = readInterfaceCounters("r1").h1!.rxPackets - accessBefore;
      assert.equal(flow.received, N, `${family}: every datagram reached h2`);
      assert.deepEqual(flow.countedOn, ["r1", "r2", "r4"], `${family}: ${JSON.stringify(flow.deltas)}`);
      assert.ok(uplink >= N && access >= N, `${family}: h1's eth0 sent ${uplink}, r1's h1 interface received ${access}`);
    }
  });

  test("replies come back to the container: UDP echo and ping, both families", async () => {
    const port = "7200";
    const argv = labExecArgv("h2", { command: [process.execPath, "-e", ECHO_SERVER, port] });
    const server = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout.setEncoding("utf8").on("data", (d: string) => d.includes("ready") && resolve());
        server.on("close", () => reject(new Error("the echo server exited")));
      });
      for (const to of [H2.v6, H2.v4]) {
        const r = await labExecCapture("web", { command: [process.execPath, "-e", ECHO_CLIENT, to, port, "100"] });
        assert.equal(r.stdout.trim(), "100", `UDP echoes from ${to}: ${r.stdout}${r.stderr}`);
        assert.equal(await ping("web", to, 20), 20, `ping ${to}`);
      }
      // And the other way round: h2 reaches the container's own addresses.
      assert.equal(await ping("h2", "2001:db8:1::11", 5), 5);
      assert.equal(await ping("h2", "10.0.1.11", 5), 5);
    } finally {
      server.kill();
    }
  });

  test("containers are refused for unknown hosts, taken names and reserved names", async () => {
    await assert.rejects(addContainer("h9", "db"), /no host h9 in the lab \(containers sit behind hosts: h1, h2\)/);
    await assert.rejects(addContainer("r1", "db"), /no host r1 in the lab/);
    await assert.rejects(addContainer("h2", "web"), /container web already exists/);
    await assert.rejects(addContainer("h2", "r3"), /container name r3 is already a node of the topology/);
    await assert.rejects(addContainer("h2", "mgmt"), /reserved/);
    await assert.rejects(addContainer("h2", "t-x"), /reserved: namespaces cairn-t-\* belong to tests/);
    assert.deepEqual(listContainers().map((c) => c.name), ["web"]);
  });

  test("cairn lab container add, and lab status with containers, IPv4, MTUs and DNS", async () => {
    const added = JSON.parse((await cli("lab", "container", "add", "h2", "db", "--json")).stdout) as { address: string; address4: string };
    assert.deepEqual([added.address, added.address4], ["2001:db8:4::11", "10.0.4.11"]);
    assert.equal(await ping("db", H2.v6, 3), 3);
    const s = labStatus()!;
    assert.deepEqual(s.containers.map((c) => [c.name, c.host, c.exists]), [["web", "h1", true], ["db", "h2", true]]);
    assert.equal(s.nodes.find((n) => n.name === "h1")!.address4, "10.0.1.10/24");
    assert.ok(s.links.filter((l) => l.kind !== "mgmt").every((l) => l.mtu === 1500 && l.a.mtu === 1500 && l.b.mtu === 1500));
    assert.ok(s.dns.running);
    const text = (await cli("lab", "status")).stdout;
    assert.match(text, /^CONTAINER\s+HOST\s+NAMESPACE\s+ADDRESSES$/m);
    assert.match(text, /^db\s+h2\/c-db\s+cairn-db\s+2001:db8:4::11, 10\.0\.4\.11$/m);
    assert.match(text, /^r1-r2\s+core\s+r1\/r2\s+r2\/r1\s+1500\s+up$/m);
    assert.match(text, /^h1\s+host\s+cairn-h1\s+2001:db8:1::10\s+10\.0\.1\.10\/24\s+r1$/m);
    assert.match(text, /^DNS server \[fd00:ca:fe::53\]:53: running, TTL 1 s, 0 name\(s\)$/m);
  });

  test("lab down removes the containers' namespaces", async () => {
    await labDown();
    assert.deepEqual(listNamespaces().filter(isLabNamespace), []);
  });
});
