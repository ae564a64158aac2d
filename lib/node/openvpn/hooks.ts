/**
 * The two tiny POSIX sh hooks OpenVPN runs (spec §12.1, §12.3), written into the daemon's run
 * directory at start (mode 0700) so a single compiled binary needs no files beside it.
 *
 * - `up`: brings the TAP up with the MTU OpenVPN computed (OpenVPN only does it with
 *   `--ifconfig`). Arguments from OpenVPN: `dev tun_mtu …`.
 * - `route-up` (client tunnels): writes one tab-separated line to the daemon's FIFO:
 *   `route-up <openvpn pid> <dev> <server CN> <server cert serial> <pushed external_ip>`.
 *   One `printf` of less than PIPE_BUF bytes is atomic, so concurrent hooks never interleave.
 *   `timeout` bounds the write should the daemon be gone.
 */

/** Paths of the installed hooks and of the FIFO the route-up hook writes to. */
export interface Hooks {
  up: string;
  routeUp: string;
  fifo: string;
}

/** Quotes `s` for a POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Text of the `up` hook. */
export function upHookScript(): string {
  return `#!/bin/sh
# re6st: bring the OpenVPN TAP interface up with OpenVPN's MTU.
exec ip link set dev "$1" up mtu "$2"
`;
}

/** Text of the `route-up` hook reporting to `fifo`. */
export function routeUpHookScript(fifo: string): string {
  return `#!/bin/sh
# re6st: report an established client tunnel to the daemon (one line on its FIFO).
exec timeout 5 sh -c 'printf "route-up\\t%s\\t%s\\t%s\\t%s\\t%s\\n" "$1" "$dev" "$common_name" \\
  "$tls_serial_0" "$OPENVPN_external_ip" >"$2"' route-up "$PPID" ${shellQuote(fifo)}
`;
}

/** Writes both hooks into `runDir` (created if needed) and returns their paths. */
export async function installHooks(runDir: string): Promise<Hooks> {
  await Deno.mkdir(runDir, { recursive: true, mode: 0o700 });
  await Deno.chmod(runDir, 0o700); // also when it already existed
  const hooks = {
    up: `${runDir}/ovpn-up`,
    routeUp: `${runDir}/ovpn-route-up`,
    fifo: `${runDir}/ovpn-events`,
  };
  await Deno.writeTextFile(hooks.up, upHookScript(), { mode: 0o700 });
  await Deno.writeTextFile(hooks.routeUp, routeUpHookScript(hooks.fifo), { mode: 0o700 });
  // writeTextFile keeps the mode of an existing file; make sure it is ours.
  await Deno.chmod(hooks.up, 0o700);
  await Deno.chmod(hooks.routeUp, 0o700);
  return hooks;
}
