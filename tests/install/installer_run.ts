/** Running the one-line installer for real, and snapshots of what it left on disk. */

/** Exit status and output of an installer run. */
export interface InstallerResult {
  code: number;
  out: string;
  err: string;
}

/** `curl -fsSL BASE/install.sh | sh -s -- ARGS` (bash only for pipefail) with this environment. */
export async function runInstaller(
  base: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<InstallerResult> {
  const quoted = args.map((a) => `'${a}'`).join(" ");
  const out = await new Deno.Command("bash", {
    args: ["-o", "pipefail", "-c", `curl -fsSL ${base}/install.sh | sh -s -- ${quoted}`],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

/** Every path under `dir` with its kind, size, mode, modification time and inode, sorted. */
export async function snapshot(dir: string): Promise<string[]> {
  const rows: string[] = [];
  async function walk(d: string) {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      const st = await Deno.lstat(p);
      rows.push(
        `${p} ${st.isSymlink ? "link" : st.isDirectory ? "dir" : "file"} ${st.size} ` +
          `${st.mode?.toString(8)} ${st.mtime?.getTime()} ${st.ino}`,
      );
      if (st.isDirectory) await walk(p);
    }
  }
  await walk(dir);
  return rows.sort();
}
