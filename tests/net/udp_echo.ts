/**
 * Tiny UDP/IPv6 echo for namespaced tests ("ping" over link-local without iputils):
 *   serve ADDR%IF PORT                 echo every datagram back (bound to a link-local
 *                                      address, replies leave by that interface)
 *   ping ADDR%IF PORT COUNT MS PAYLOAD send COUNT datagrams every MS ms; print JSON counts
 */
import dgram from "node:dgram";

const [mode, ...rest] = Deno.args;
if (mode === "serve") {
  const sock = dgram.createSocket({ type: "udp6" });
  sock.on("message", (msg, r) => sock.send(msg, r.port, r.address));
  sock.bind(Number(rest[1]), rest[0], () => console.log("ready"));
} else if (mode === "ping") {
  const [addr, port, count, ms, payload] = rest;
  const sock = dgram.createSocket({ type: "udp6" });
  let received = 0;
  sock.on("message", (msg) => {
    if (msg.toString() === payload) received++;
  });
  for (let i = 0; i < Number(count); i++) {
    sock.send(payload, Number(port), addr);
    await new Promise((r) => setTimeout(r, Number(ms)));
  }
  await new Promise((r) => setTimeout(r, 300));
  console.log(JSON.stringify({ sent: Number(count), received }));
  sock.close();
} else {
  console.error("usage: udp_echo.ts serve ADDR%IF PORT | ping ADDR%IF PORT COUNT MS PAYLOAD");
  Deno.exit(2);
}
