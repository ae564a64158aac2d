/**
 * Atomic replacement of a file (spec §1.3): write `<file>.new` with the old file's mode and
 * owner, flush it to disk, then rename it over the file. Readers see either the old or the new
 * content, never a partial one.
 */

/** Replaces `path` by `text` atomically, keeping mode and owner/group of the existing file. */
export async function replaceFileAtomically(path: string, text: string): Promise<void> {
  let old: Deno.FileInfo | undefined;
  try {
    old = await Deno.stat(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const tmp = `${path}.new`;
  const mode = old?.mode != null ? old.mode & 0o7777 : 0o644;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true, mode });
  try {
    const data = new TextEncoder().encode(text);
    for (let done = 0; done < data.length;) done += await file.write(data.subarray(done));
    await file.syncData();
  } finally {
    file.close();
  }
  // `mode` applies only when the file is created: a stale `.new` from a crash keeps its own
  await Deno.chmod(tmp, mode);
  if (old?.uid != null && old.gid != null) {
    try {
      await Deno.chown(tmp, old.uid, old.gid);
    } catch (e) {
      // an unprivileged daemon can only keep its own uid; the file is then its own anyway
      if (!(e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable)) {
        throw e;
      }
    }
  }
  await Deno.rename(tmp, path);
}
