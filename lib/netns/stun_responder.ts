/**
 * A minimal STUN binding server (RFC 5389: Binding Success Response with XOR-MAPPED-ADDRESS)
 * standing in for the Internet's STUN servers in a closed test network. miniupnpd 2.3 needs
 * one: its external address in 198.18.0.0/15 is "reserved", so it only enables port
 * forwarding after STUN shows it is reachable without filtering (`ext_perform_stun=yes`).
 * Run inside a namespace: `deno run -A stun_responder.ts <listen IPv4> <port>`; prints
 * "listening" when ready and one line per request.
 */
import { Buffer } from "node:buffer";
import dgram from "node:dgram";

const [host, portText] = Deno.args;
const sock = dgram.createSocket("udp4");
sock.on("message", (msg, rinfo) => {
  // Binding Request, magic cookie 0x2112A442
  if (msg.length < 20 || msg.readUInt16BE(0) !== 0x0001 || msg.readUInt32BE(4) !== 0x2112a442) {
    console.log(`ignored ${msg.length} bytes from ${rinfo.address}:${rinfo.port}`);
    return;
  }
  const res = Buffer.alloc(32);
  res.writeUInt16BE(0x0101, 0); // Binding Success Response
  res.writeUInt16BE(12, 2); // one 12-byte attribute
  msg.copy(res, 4, 4, 20); // cookie + transaction id
  res.writeUInt16BE(0x0020, 20); // XOR-MAPPED-ADDRESS
  res.writeUInt16BE(8, 22);
  res.writeUInt16BE(0x0001, 24); // IPv4
  res.writeUInt16BE(rinfo.port ^ 0x2112, 26);
  const ip = rinfo.address.split(".").map(Number);
  const cookie = [0x21, 0x12, 0xa4, 0x42];
  ip.forEach((b, i) => res.writeUInt8(b ^ cookie[i], 28 + i));
  sock.send(res, rinfo.port, rinfo.address);
  console.log(`answered ${rinfo.address}:${rinfo.port}`);
});
sock.bind(Number(portText), host, () => console.log("listening"));
