// --etcd and its TLS flags: bad values exit 2 with the reason, before anything starts.
import assert from "node:assert/strict";
import test from "node:test";
import { CliError } from "../../cli/errors.js";
import { controllerUrls } from "../../agent/main.js";
import { etcdStoreFromFlags, parseEtcdEndpoints } from "./etcd-flags.js";

const refused = (re: RegExp) => (e: unknown) => e instanceof CliError && e.exitCode === 2 && re.test(e.message);

test("--etcd takes repeated URLs and comma lists; anything else is refused with the reason", async () => {
  assert.deepEqual(parseEtcdEndpoints(["http://127.0.0.1:2379,http://[::1]:2381", " http://10.0.0.1:2379 "]), ["http://127.0.0.1:2379", "http://[::1]:2381", "http://10.0.0.1:2379"]);
  assert.deepEqual(parseEtcdEndpoints([]), []);
  assert.throws(() => parseEtcdEndpoints(["etcd1:2379"]), refused(/etcd client URLs are http:\/\/ or https:\/\//));
  assert.throws(() => parseEtcdEndpoints(["not a url"]), refused(/not a URL/));
  assert.throws(() => parseEtcdEndpoints(["http://127.0.0.1"]), refused(/give the port/));
  assert.throws(() => parseEtcdEndpoints(["http://127.0.0.1:2379/v3"]), refused(/no path/));
  assert.throws(() => parseEtcdEndpoints(["http://127.0.0.1:2379,https://127.0.0.1:2380"]), refused(/not both/));
  assert.throws(() => parseEtcdEndpoints([","]), refused(/no URL/));
  await assert.rejects(etcdStoreFromFlags({ etcd: ["https://127.0.0.1:2379"] }, () => {}), refused(/--etcd-ca/));
  await assert.rejects(etcdStoreFromFlags({ etcd: ["http://127.0.0.1:2379"], etcdCa: "/x" }, () => {}), refused(/need https/));
  await assert.rejects(etcdStoreFromFlags({ etcdCa: "/x" }, () => {}), refused(/go with --etcd/));
  await assert.rejects(etcdStoreFromFlags({ etcd: ["https://127.0.0.1:2379"], etcdCa: "/nonexistent/ca.crt" }, () => {}), refused(/--etcd-ca \/nonexistent\/ca.crt: no such file/));
  await assert.rejects(etcdStoreFromFlags({ etcd: ["https://127.0.0.1:2379"], etcdCa: "/x", etcdCert: "/y" }, () => {}), refused(/go together/));
  await assert.rejects(etcdStoreFromFlags({ etcd: ["http://127.0.0.1:2379"], etcdLeaseTtl: 0 }, () => {}), refused(/between 1 and 60/));
  assert.equal(await etcdStoreFromFlags({}, () => {}), null);
});

test("an agent's --controller takes several URLs (repeated, joined by commas), all of one scheme, none twice", () => {
  assert.deepEqual(controllerUrls("https://[::1]:50051,https://[::1]:50052"), { urls: ["https://[::1]:50051", "https://[::1]:50052"], https: true });
  assert.deepEqual(controllerUrls("http://[::1]:50051"), { urls: ["http://[::1]:50051"], https: false });
  assert.throws(() => controllerUrls("https://[::1]:50051,http://[::1]:50052"), refused(/not both/));
  assert.throws(() => controllerUrls("https://[::1]:50051, https://[::1]:50051"), refused(/given twice/));
  assert.throws(() => controllerUrls(",,"), refused(/no URL/));
  assert.throws(() => controllerUrls("https://[::1]:50051,ftp://x"), refused(/--controller ftp:\/\/x/));
});
