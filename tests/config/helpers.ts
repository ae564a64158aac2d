/** Helpers for config tests: real files in a temporary directory. */

/** Creates a temporary directory holding `files` (name → text); returns its path. */
export function tempFiles(files: Record<string, string>): string {
  const dir = Deno.makeTempDirSync({ prefix: "re6st-config-" });
  for (const [name, text] of Object.entries(files)) Deno.writeTextFileSync(`${dir}/${name}`, text);
  return dir;
}

/** Runs `fn` with `dir` as current directory, then restores it and removes `dir`. */
export function inDir<T>(dir: string, fn: () => T): T {
  const cwd = Deno.cwd();
  Deno.chdir(dir);
  try {
    return fn();
  } finally {
    Deno.chdir(cwd);
    Deno.removeSync(dir, { recursive: true });
  }
}
