/**
 * TAP interfaces for OpenVPN, made with iproute2 (`ip tuntap add … mode tap`): persistent
 * devices that OpenVPN attaches to with `--persist-tun`. They are created lazily, reused by
 * successive tunnels and only deleted when the daemon exits (spec §10.1, §10.7).
 */

async function ip(prefix: readonly string[], args: string[]): Promise<Deno.CommandOutput> {
  const argv = [...prefix, "ip", ...args];
  return await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "null", stderr: "piped" })
    .output();
}

/** Creates TAP interface `name` unless it exists (e.g. left by a crashed run: then reused). */
export async function ensureTap(name: string, prefix: readonly string[] = []): Promise<void> {
  if ((await ip(prefix, ["link", "show", "dev", name])).success) return;
  const r = await ip(prefix, ["tuntap", "add", "dev", name, "mode", "tap"]);
  if (!r.success) {
    throw new Error(`cannot create TAP ${name}: ${new TextDecoder().decode(r.stderr).trim()}`);
  }
}

/** Deletes interface `name` (at daemon exit only); a missing interface is not an error. */
export async function deleteTap(name: string, prefix: readonly string[] = []): Promise<void> {
  await ip(prefix, ["link", "del", "dev", name]);
}
