/**
 * Sends raw UDP datagrams from inside a test namespace:
 *   deno run -A udp_send.ts <bind IPv6> <dest IPv6> <port> <file>
 * `file` holds one datagram per line, hex-encoded (an empty line is an empty datagram).
 * Every datagram is sent twice in a row (the second copy is a replay).
 */
import dgram from "node:dgram";

const [bind, dest, port, file] = Deno.args;
const lines = (await Deno.readTextFile(file)).split("\n");
if (lines.at(-1) === "") lines.pop();
const sock = dgram.createSocket("udp6");
await new Promise<void>((resolve) => sock.bind(0, bind, resolve));
for (const hex of lines) {
  const bytes = new Uint8Array(hex.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
  for (let copy = 0; copy < 2; copy++) {
    await new Promise<void>((resolve, reject) =>
      sock.send(bytes, Number(port), dest, (e) => (e ? reject(e) : resolve()))
    );
  }
}
sock.close();
console.log(`sent ${lines.length} datagrams twice`);
