/**
 * A stand-in daemon for namespaced tests: runs the OpenVPN shell with one TCP server inside the
 * current namespace, prints `server <pid>` and waits to be killed.
 *   deno run -A openvpn_driver.ts RUN_DIR CA CERT KEY DH
 */
import { OpenvpnShell } from "../../lib/node/openvpn/tunnels.ts";

const [runDir, ca, cert, key, dh] = Deno.args;
const shell = await OpenvpnShell.start(
  { runDir, ca, cert, key, dh, encrypt: false, timeout: 60, maxClients: 4, logDir: runDir },
  { decide: () => true, disconnected: () => {}, event: (e) => console.log(`event ${e.type}`) },
);
const server = await shell.startServer("tcp", 1194);
console.log(`server ${server.process.pid}`);
await new Promise(() => {});
