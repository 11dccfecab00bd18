// The few libc calls the datapath needs that node does not offer. They act on the
// calling process's network namespace, unlike /sys/class/net, which shows the
// namespace sysfs was mounted in.
import { constants, endianness } from "node:os";
import koffi from "koffi";

const libc = koffi.load("libc.so.6");

const strerror_ = libc.func("const char *strerror(int errnum)");
const close_ = libc.func("int close(int fd)");
const ifNameToIndex_ = libc.func("unsigned int if_nametoindex(const char *ifname)");
const mount_ = libc.func(
  "int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)",
);
const socket_ = libc.func("int socket(int domain, int type, int protocol)");
const ioctl_ = libc.func("int ioctl(int fd, unsigned long request, ...)");

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

/** A failed native call: `fn` is the C function, `errno` the positive error number. */
export class NativeError extends Error {
  readonly code: string;

  constructor(
    readonly fn: string,
    readonly errno: number,
    detail?: string,
  ) {
    super(`${fn}${detail ? ` (${detail})` : ""}: ${strerror(errno)}`);
    this.name = "NativeError";
    this.code = errnoNames.get(errno) ?? `E${errno}`;
  }
}

export function strerror(errno: number): string {
  return String(strerror_(errno));
}

/** errno of the last native call on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

export function closeFd(fd: number): void {
  if (fd >= 0) close_(fd);
}

/** Interface index in this process's network namespace; null when there is no such interface. */
export function ifNameToIndex(name: string): number | null {
  const index = Number(ifNameToIndex_(name));
  return index === 0 ? null : index;
}

export function mountBpffs(target: string): void {
  if (Number(mount_("bpf", target, "bpf", 0, null)) !== 0) {
    throw new NativeError("mount", lastErrno(), `bpf on ${target}`);
  }
}

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCGIFHWADDR = 0x8927;
const SIOCGIFMTU = 0x8921;
const IFREQ_SIZE = 40;
const IFNAMSIZ = 16;

export const ARPHRD_ETHER = 1;

function ifreq(name: string, request: number, what: string): Buffer {
  if (Buffer.byteLength(name) >= IFNAMSIZ) throw new Error(`interface name too long: ${name}`);
  const fd = Number(socket_(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd < 0) throw new NativeError("socket", lastErrno());
  try {
    const ifr = Buffer.alloc(IFREQ_SIZE);
    ifr.write(name, 0, "utf8");
    if (Number(ioctl_(fd, request, "void *", ifr)) !== 0) throw new NativeError("ioctl", lastErrno(), `${what} ${name}`);
    return ifr;
  } finally {
    closeFd(fd);
  }
}

/** MTU of an interface in this network namespace. */
export function interfaceMtu(name: string): number {
  const ifr = ifreq(name, SIOCGIFMTU, "SIOCGIFMTU");
  return endianness() === "LE" ? ifr.readInt32LE(IFNAMSIZ) : ifr.readInt32BE(IFNAMSIZ);
}

/** ARPHRD_* link type of an interface in this network namespace. */
export function linkType(name: string): number {
  const ifr = ifreq(name, SIOCGIFHWADDR, "SIOCGIFHWADDR");
  // struct ifreq: char ifr_name[16]; struct sockaddr ifr_hwaddr { sa_family_t sa_family; ... }
  return endianness() === "LE" ? ifr.readUInt16LE(IFNAMSIZ) : ifr.readUInt16BE(IFNAMSIZ);
}
