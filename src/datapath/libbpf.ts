// Typed koffi bindings to the parts of libbpf.so.1 (libbpf >= 1.0 semantics) the datapath uses.
// int-returning calls return -errno; pointer-returning calls return NULL and set errno.
// Every failure becomes a NativeError naming the libbpf function.
import { endianness } from "node:os";
import koffi from "koffi";
import { NativeError, closeFd, lastErrno } from "./libc.js";
import { loadNativeLibrary } from "./native-library.js";

declare const brand: unique symbol;
export type BpfObject = { readonly [brand]: "bpf_object" };
export type BpfProgram = { readonly [brand]: "bpf_program" };
export type BpfMap = { readonly [brand]: "bpf_map" };
export type BpfLink = { readonly [brand]: "bpf_link" };

const lib = loadNativeLibrary("libbpf.so.1", "libbpf1");
const libc = koffi.load("libc.so.6");

koffi.pointer("bpf_object", koffi.opaque());
koffi.pointer("bpf_program", koffi.opaque());
koffi.pointer("bpf_map", koffi.opaque());
koffi.pointer("bpf_link", koffi.opaque());

const f = {
  objectOpenFile: lib.func("bpf_object *bpf_object__open_file(const char *path, const void *opts)"),
  objectLoad: lib.func("int bpf_object__load(bpf_object *obj)"),
  objectClose: lib.func("void bpf_object__close(bpf_object *obj)"),
  findProgram: lib.func("bpf_program *bpf_object__find_program_by_name(const bpf_object *obj, const char *name)"),
  programFd: lib.func("int bpf_program__fd(const bpf_program *prog)"),
  findMap: lib.func("bpf_map *bpf_object__find_map_by_name(const bpf_object *obj, const char *name)"),
  mapFd: lib.func("int bpf_map__fd(const bpf_map *map)"),
  mapSetPinPath: lib.func("int bpf_map__set_pin_path(bpf_map *map, const char *path)"),
  mapPin: lib.func("int bpf_map__pin(bpf_map *map, const char *path)"),
  mapIsPinned: lib.func("bool bpf_map__is_pinned(const bpf_map *map)"),
  objGet: lib.func("int bpf_obj_get(const char *pathname)"),
  objPin: lib.func("int bpf_obj_pin(int fd, const char *pathname)"),
  mapUpdateElem: lib.func("int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)"),
  mapLookupElem: lib.func("int bpf_map_lookup_elem(int fd, const void *key, void *value)"),
  mapDeleteElem: lib.func("int bpf_map_delete_elem(int fd, const void *key)"),
  mapGetNextKey: lib.func("int bpf_map_get_next_key(int fd, const void *key, void *next_key)"),
  tcHookCreate: lib.func("int bpf_tc_hook_create(void *hook)"),
  tcHookDestroy: lib.func("int bpf_tc_hook_destroy(void *hook)"),
  tcAttach: lib.func("int bpf_tc_attach(const void *hook, void *opts)"),
  tcDetach: lib.func("int bpf_tc_detach(const void *hook, const void *opts)"),
  tcQuery: lib.func("int bpf_tc_query(const void *hook, void *opts)"),
  progTestRunOpts: lib.func("int bpf_prog_test_run_opts(int prog_fd, void *opts)"),
  numPossibleCpus: lib.func("int libbpf_num_possible_cpus(void)"),
  mapSetMaxEntries: lib.func("int bpf_map__set_max_entries(bpf_map *map, uint32_t max_entries)"),
  linkCreate: lib.func("int bpf_link_create(int prog_fd, int target_fd, int attach_type, const void *opts)"),
  linkUpdate: lib.func("int bpf_link_update(int link_fd, int new_prog_fd, const void *opts)"),
  linkDetach: lib.func("int bpf_link_detach(int link_fd)"),
  objGetInfoByFd: lib.func("int bpf_obj_get_info_by_fd(int bpf_fd, _Inout_ uint8_t *info, _Inout_ uint32_t *info_len)"),
  progGetFdById: lib.func("int bpf_prog_get_fd_by_id(uint32_t id)"),
  programAttach: lib.func("bpf_link *bpf_program__attach(const bpf_program *prog)"),
  linkDestroy: lib.func("int bpf_link__destroy(bpf_link *link)"),
  progQuery: lib.func("int bpf_prog_query(int target_fd, int type, uint32_t query_flags, _Out_ uint32_t *attach_flags, _Out_ uint32_t *prog_ids, _Inout_ uint32_t *prog_cnt)"),
};

// libbpf's messages (verifier log included) are collected and attached to the next error
// instead of going to stderr.
const LIBBPF_DEBUG = 2;
const MAX_LOG_LINES = 60;
const vsnprintf = libc.func("int vsnprintf(_Out_ uint8_t *buf, size_t size, void *fmt, void *ap)");
const PrintFn = koffi.proto("int cairn_libbpf_print_fn(int level, void *fmt, void *ap)");
const setPrint = lib.func("void *libbpf_set_print(cairn_libbpf_print_fn *fn)");
let logLines: string[] = [];
const printBuf = Buffer.alloc(4096);
setPrint(
  koffi.register((level: number, fmt: unknown, ap: unknown): number => {
    if (level >= LIBBPF_DEBUG) return 0;
    const n = Number(vsnprintf(printBuf, printBuf.length, fmt, ap));
    const text = printBuf.toString("utf8", 0, Math.max(0, Math.min(n, printBuf.length - 1)));
    logLines.push(...text.split("\n").filter((l) => l.trim() !== ""));
    if (logLines.length > MAX_LOG_LINES) logLines = logLines.slice(-MAX_LOG_LINES);
    return 0;
  }, koffi.pointer(PrintFn)),
);

function takeLog(): string {
  const text = logLines.join("\n");
  logLines = [];
  return text;
}

function fail(fn: string, errno: number, detail?: string): never {
  const log = takeLog();
  const err = new NativeError(fn, errno, detail);
  if (log) err.message += `\nlibbpf log:\n${log}`;
  throw err;
}

/** Checks an int result of a libbpf call; returns it when >= 0. */
function check(fn: string, ret: unknown, detail?: string): number {
  const n = Number(ret);
  if (n < 0) fail(fn, -n, detail);
  return n;
}

function checkPtr<T>(fn: string, ptr: unknown, detail?: string): T {
  if (ptr === null || ptr === undefined || ptr === 0n) fail(fn, lastErrno() || 2, detail);
  return ptr as T;
}

export function openObjectFile(path: string): BpfObject {
  takeLog();
  return checkPtr<BpfObject>("bpf_object__open_file", f.objectOpenFile(path, null), path);
}

export function loadObject(obj: BpfObject): void {
  takeLog();
  check("bpf_object__load", f.objectLoad(obj));
  takeLog();
}

export function closeObject(obj: BpfObject): void {
  f.objectClose(obj);
}

export function findProgram(obj: BpfObject, name: string): BpfProgram {
  return checkPtr<BpfProgram>("bpf_object__find_program_by_name", f.findProgram(obj, name), name);
}

export function programFd(prog: BpfProgram): number {
  return check("bpf_program__fd", f.programFd(prog));
}

export function findMap(obj: BpfObject, name: string): BpfMap {
  return checkPtr<BpfMap>("bpf_object__find_map_by_name", f.findMap(obj, name), name);
}

export function mapFd(map: BpfMap): number {
  return check("bpf_map__fd", f.mapFd(map));
}

/** Before load: reuse the map pinned at path if compatible, else create it and pin it there. */
export function mapSetPinPath(map: BpfMap, path: string): void {
  check("bpf_map__set_pin_path", f.mapSetPinPath(map, path), path);
}

export function mapPin(map: BpfMap, path: string): void {
  check("bpf_map__pin", f.mapPin(map, path), path);
}

export function mapIsPinned(map: BpfMap): boolean {
  return Boolean(f.mapIsPinned(map));
}

/** Opens a pinned object; the caller owns (and must close) the returned fd. */
export function objGet(path: string): number {
  return check("bpf_obj_get", f.objGet(path), path);
}

export function objPin(fd: number, path: string): void {
  check("bpf_obj_pin", f.objPin(fd, path), path);
}

export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;

export function mapUpdate(fd: number, key: Uint8Array, value: Uint8Array, flags = BPF_ANY): void {
  check("bpf_map_update_elem", f.mapUpdateElem(fd, key, value, flags));
}

/** The value for key, or null when there is none. */
export function mapLookup(fd: number, key: Uint8Array, valueSize: number): Uint8Array | null {
  const value = new Uint8Array(valueSize);
  const ret = Number(f.mapLookupElem(fd, key, value));
  if (ret === -2) return null; // ENOENT
  check("bpf_map_lookup_elem", ret);
  return value;
}

/** Deletes key; false when it was not there. */
export function mapDelete(fd: number, key: Uint8Array): boolean {
  const ret = Number(f.mapDeleteElem(fd, key));
  if (ret === -2) return false;
  check("bpf_map_delete_elem", ret);
  return true;
}

/** All keys of a map (a snapshot; callers must tolerate concurrent changes). */
export function mapKeys(fd: number, keySize: number): Uint8Array[] {
  const keys: Uint8Array[] = [];
  let prev: Uint8Array | null = null;
  for (;;) {
    const next = new Uint8Array(keySize);
    const ret = Number(f.mapGetNextKey(fd, prev, next));
    if (ret === -2) return keys; // ENOENT: no more keys
    check("bpf_map_get_next_key", ret);
    keys.push(next);
    prev = next;
  }
}

/** Before load: the map's size (pinned maps keep theirs; see mapInfo). */
export function mapSetMaxEntries(map: BpfMap, maxEntries: number): void {
  check("bpf_map__set_max_entries", f.mapSetMaxEntries(map, maxEntries));
}

/** bpf_map_info of a map fd (the fields Cairn checks). */
export function mapInfo(fd: number): { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number; name: string } {
  const info = Buffer.alloc(88);
  const len = [info.length];
  check("bpf_obj_get_info_by_fd", f.objGetInfoByFd(fd, info, len), "map");
  const v = new DataView(info.buffer, info.byteOffset, info.length);
  return {
    type: v.getUint32(0, LE),
    keySize: v.getUint32(8, LE),
    valueSize: v.getUint32(12, LE),
    maxEntries: v.getUint32(16, LE),
    flags: v.getUint32(20, LE),
    name: info.toString("utf8", 24, 40).replace(/\0.*$/s, ""),
  };
}

/** The name of a loaded program, by id; null when there is no such program. */
export function programName(id: number): string | null {
  const fd = Number(f.progGetFdById(id));
  if (fd < 0) return null;
  try {
    const info = Buffer.alloc(232);
    const len = [info.length];
    check("bpf_obj_get_info_by_fd", f.objGetInfoByFd(fd, info, len), "program");
    return info.toString("utf8", 64, 80).replace(/\0.*$/s, "");
  } finally {
    closeFd(fd);
  }
}

/** bpf_link_info of a link fd: its type, program and, for tcx links, interface and attach type. */
export function linkInfo(fd: number): { type: number; id: number; progId: number; ifindex: number; attachType: number } {
  const info = Buffer.alloc(64);
  const len = [info.length];
  check("bpf_obj_get_info_by_fd", f.objGetInfoByFd(fd, info, len), "link");
  const v = new DataView(info.buffer, info.byteOffset, info.length);
  return { type: v.getUint32(0, LE), id: v.getUint32(4, LE), progId: v.getUint32(8, LE), ifindex: v.getUint32(16, LE), attachType: v.getUint32(20, LE) };
}

export const BPF_TCX_INGRESS = 46;
export const BPF_TCX_EGRESS = 47;
export const BPF_LINK_TYPE_TCX = 11;

/** Attaches prog as a tcx link (kernel 6.6+), after the programs already there; returns the link fd. */
export function tcxAttach(progFd: number, ifindex: number, attachType: number): number {
  return check("bpf_link_create", f.linkCreate(progFd, ifindex, attachType, null), `tcx ifindex ${ifindex}`);
}

/** Ids of the programs attached at a tcx hook of an interface, in the order they run. */
export function tcxPrograms(ifindex: number, attachType: number): number[] {
  const ids = new Uint32Array(64);
  const count = [ids.length];
  const flags = [0];
  check("bpf_prog_query", f.progQuery(ifindex, attachType, 0, flags, ids, count), `tcx ifindex ${ifindex}`);
  return [...ids.subarray(0, count[0])];
}

/** Replaces a link's program atomically: no packet sees neither. */
export function linkUpdate(linkFd: number, progFd: number): void {
  check("bpf_link_update", f.linkUpdate(linkFd, progFd, null));
}

/**
 * Attaches a program where its SEC() says (a tracepoint, a kprobe...): a link owned by this
 * process, gone with bpf_link__destroy or when the process exits.
 */
export function programAttach(prog: BpfProgram, what?: string): BpfLink {
  takeLog();
  return checkPtr<BpfLink>("bpf_program__attach", f.programAttach(prog), what);
}

/** Detaches and frees a link made by programAttach. */
export function linkDestroy(link: BpfLink): void {
  check("bpf_link__destroy", f.linkDestroy(link));
}

export function linkDetach(linkFd: number): void {
  check("bpf_link_detach", f.linkDetach(linkFd));
}

export function numPossibleCpus(): number {
  return check("libbpf_num_possible_cpus", f.numPossibleCpus());
}

// ---- tc (struct layouts from libbpf.h; both end in `size_t :0`, i.e. padded to 8) ----

export const BPF_TC_INGRESS = 1;
export const BPF_TC_EGRESS = 2;
const BPF_TC_F_REPLACE = 1;
const TC_HOOK_SIZE = 24; // sz, ifindex, attach_point, parent
const TC_OPTS_SIZE = 32; // sz, prog_fd, flags, prog_id, handle, priority

const LE = endianness() === "LE";

function tcHook(ifindex: number, attachPoint: number): Buffer {
  const b = Buffer.alloc(TC_HOOK_SIZE);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  v.setBigUint64(0, BigInt(TC_HOOK_SIZE), LE);
  v.setInt32(8, ifindex, LE);
  v.setInt32(12, attachPoint, LE);
  return b;
}

export interface TcFilter {
  handle: number;
  priority: number;
}

function tcOpts(filter: TcFilter, progFd = 0, flags = 0): { buf: Buffer; view: DataView } {
  const buf = Buffer.alloc(TC_OPTS_SIZE);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  view.setBigUint64(0, BigInt(TC_OPTS_SIZE), LE);
  view.setInt32(8, progFd, LE);
  view.setUint32(12, flags, LE);
  view.setUint32(20, filter.handle, LE);
  view.setUint32(24, filter.priority, LE);
  return { buf, view };
}

/** Creates the clsact qdisc; false when it already existed. */
export function tcHookCreate(ifindex: number, attachPoint: number): boolean {
  const ret = Number(f.tcHookCreate(tcHook(ifindex, attachPoint)));
  if (ret === -17) return false; // EEXIST
  check("bpf_tc_hook_create", ret, `ifindex ${ifindex}`);
  return true;
}

/** With INGRESS|EGRESS removes the clsact qdisc; with one point, flushes every filter there. */
export function tcHookDestroy(ifindex: number, attachPoint: number): void {
  check("bpf_tc_hook_destroy", f.tcHookDestroy(tcHook(ifindex, attachPoint)), `ifindex ${ifindex}`);
}

/** Attaches (or atomically replaces) a direct-action cls_bpf filter; returns the program id. */
export function tcAttach(ifindex: number, attachPoint: number, progFd: number, filter: TcFilter): number {
  const { buf, view } = tcOpts(filter, progFd, BPF_TC_F_REPLACE);
  check("bpf_tc_attach", f.tcAttach(tcHook(ifindex, attachPoint), buf), `ifindex ${ifindex}`);
  return view.getUint32(16, LE);
}

export function tcDetach(ifindex: number, attachPoint: number, filter: TcFilter): void {
  check("bpf_tc_detach", f.tcDetach(tcHook(ifindex, attachPoint), tcOpts(filter).buf), `ifindex ${ifindex}`);
}

/** Id of the program attached as filter, or null when there is no such filter (or no clsact). */
export function tcQuery(ifindex: number, attachPoint: number, filter: TcFilter): number | null {
  const { buf, view } = tcOpts(filter);
  const ret = Number(f.tcQuery(tcHook(ifindex, attachPoint), buf));
  if (ret === -2 || ret === -22) return null; // ENOENT: no filter; EINVAL: no clsact qdisc
  check("bpf_tc_query", ret, `ifindex ${ifindex}`);
  return view.getUint32(16, LE);
}

// ---- BPF_PROG_TEST_RUN ----

const TEST_RUN_OPTS_SIZE = 80;

export interface TestRunInput {
  data: Uint8Array;
  /** Room for the output packet; defaults to input length + 512. */
  dataOutSize?: number;
  ctx?: Uint8Array;
  repeat?: number;
}

export interface TestRunResult {
  retval: number;
  data: Uint8Array;
  ctx: Uint8Array | null;
  durationNs: number;
}

export function progTestRun(progFd: number, input: TestRunInput): TestRunResult {
  const outSize = input.dataOutSize ?? input.data.length + 512;
  const ctxSize = input.ctx?.length ?? 0;
  // The kernel writes through pointers inside the opts struct, so these live in native memory.
  const dataIn = koffi.alloc("uint8_t", input.data.length);
  const dataOut = koffi.alloc("uint8_t", outSize);
  const ctxIn = ctxSize ? koffi.alloc("uint8_t", ctxSize) : null;
  const ctxOut = ctxSize ? koffi.alloc("uint8_t", ctxSize) : null;
  try {
    new Uint8Array(koffi.view(dataIn, input.data.length)).set(input.data);
    if (ctxIn && input.ctx) new Uint8Array(koffi.view(ctxIn, ctxSize)).set(input.ctx);
    const opts = Buffer.alloc(TEST_RUN_OPTS_SIZE);
    const v = new DataView(opts.buffer, opts.byteOffset, opts.length);
    v.setBigUint64(0, BigInt(TEST_RUN_OPTS_SIZE), LE);
    v.setBigUint64(8, koffi.address(dataIn), LE);
    v.setBigUint64(16, koffi.address(dataOut), LE);
    v.setUint32(24, input.data.length, LE);
    v.setUint32(28, outSize, LE);
    if (ctxIn && ctxOut) {
      v.setBigUint64(32, koffi.address(ctxIn), LE);
      v.setBigUint64(40, koffi.address(ctxOut), LE);
      v.setUint32(48, ctxSize, LE);
      v.setUint32(52, ctxSize, LE);
    }
    v.setInt32(60, input.repeat ?? 1, LE);
    check("bpf_prog_test_run_opts", f.progTestRunOpts(progFd, opts));
    const outLen = v.getUint32(28, LE);
    return {
      retval: v.getUint32(56, LE),
      data: Uint8Array.from(new Uint8Array(koffi.view(dataOut, outLen))),
      ctx: ctxOut ? Uint8Array.from(new Uint8Array(koffi.view(ctxOut, v.getUint32(52, LE)))) : null,
      durationNs: v.getUint32(64, LE),
    };
  } finally {
    for (const p of [dataIn, dataOut, ctxIn, ctxOut]) if (p !== null) koffi.free(p);
  }
}
