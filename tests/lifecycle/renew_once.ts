/**
 * One renewal pass with the real adapter, for namespaced tests:
 * `renew_once.ts <registry url> <dir with ca.crt, cert.crt, cert.key>`; prints the result as JSON.
 */
import { parseNodeCertificate } from "../../lib/pki/certificate.ts";
import { RegistryClient } from "../../lib/registry/client.ts";
import { dirRenewal } from "./renew_dir.ts";

const [url, dir] = Deno.args;
const caPem = await Deno.readTextFile(`${dir}/ca.crt`);
const key = await Deno.readTextFile(`${dir}/cert.key`);
const prefix = parseNodeCertificate(await Deno.readTextFile(`${dir}/cert.crt`)).prefix;
const registry = new RegistryClient({ url, session: { ca: caPem, key, prefix }, timeoutMs: 5000 });
const result = await dirRenewal(dir, registry)();
console.log(JSON.stringify(result));
