/**
 * Files shipped in `embedded/` (systemd units, init scripts, the installer…), read the same way
 * under `deno run` and in a binary built with `deno compile --include embedded`: the path is
 * resolved against this module's URL, which points into the compiled binary's virtual file
 * system when compiled, and into the checkout otherwise.
 */

/** The URL of `embedded/<name>`; `name` must be a plain relative path inside `embedded/`. */
export function embeddedUrl(name: string): URL {
  const parts = name.split("/");
  if (name === "" || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new Error(`invalid embedded file name '${name}'`);
  }
  return new URL(`../embedded/${parts.map(encodeURIComponent).join("/")}`, import.meta.url);
}

/** Reads `embedded/<name>` as UTF-8 text. */
export async function readEmbeddedText(name: string): Promise<string> {
  try {
    return await Deno.readTextFile(embeddedUrl(name));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`embedded file '${name}' not found`);
    throw e;
  }
}
