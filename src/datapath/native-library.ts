// Loads a shared library through koffi. The dynamic loader's own message does not even name the file
// ("Failed to load shared library: cannot open shared object file"), so a host without it gets one
// that names the library and the Debian package that provides it.
import koffi from "koffi";

export type NativeLibrary = ReturnType<typeof koffi.load>;

export function loadNativeLibrary(soname: string, debianPackage: string): NativeLibrary {
  try {
    return koffi.load(soname);
  } catch (e) {
    throw new Error(`cannot load ${soname} (${(e as Error).message}): install it, on Debian with \`apt-get install ${debianPackage}\``, { cause: e });
  }
}
