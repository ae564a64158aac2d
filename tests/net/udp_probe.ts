/**
 * Tiny UDP tool run inside test namespaces (`ip netns exec NS deno run -A udp_probe.ts …`):
 *   msearch <timeoutMs>        SSDP M-SEARCH for an IGD; prints the first answer, exit 1 if none
 *   listen <port>              prints `from <ip>:<port> <text>` for every datagram received
 *   send <ip> <port> <text>    sends one datagram
 */
import dgram from "node:dgram";

const [cmd, ...args] = Deno.args;

function msearch(timeoutMs: number): void {
  const sock = dgram.createSocket("udp4");
  const msg = [
    "M-SEARCH * HTTP/1.1",
    "HOST: 239.255.255.250:1900",
    'MAN: "ssdp:discover"',
    "MX: 1",
    "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1",
    "",
    "",
  ].join("\r\n");
  const timer = setTimeout(() => {
    console.log("no answer");
    Deno.exit(1);
  }, timeoutMs);
  sock.on("message", (data, rinfo) => {
    clearTimeout(timer);
    console.log(`answer from ${rinfo.address}:${rinfo.port}\n${data.toString()}`);
    Deno.exit(0);
  });
  sock.bind(0, () => sock.send(msg, 1900, "239.255.255.250"));
}

if (cmd === "msearch") {
  msearch(Number(args[0] ?? 3000));
} else if (cmd === "listen") {
  const sock = dgram.createSocket("udp4");
  sock.on("message", (data, rinfo) => {
    console.log(`from ${rinfo.address}:${rinfo.port} ${data.toString()}`);
  });
  sock.bind(Number(args[0]), () => console.log(`listening on ${args[0]}`));
} else if (cmd === "send") {
  const sock = dgram.createSocket("udp4");
  sock.send(args[2], Number(args[1]), args[0], () => sock.close());
} else {
  console.error("usage: udp_probe.ts msearch <ms> | listen <port> | send <ip> <port> <text>");
  Deno.exit(2);
}
