/**
 * `re6st node --test EXPR` (spec §1.5, §2.1): after the certificates are loaded, evaluate EXPR over
 * the parsed options and exit like Python's `sys.exit(value)` (see test_expr/evaluate.ts). Names
 * are re6stnet's option attributes (`client_count`, `max_clients`, `ip`, `registry`,
 * `main_interface`, `babel_args`, `openvpn_args`, …); options taken from the network parameters
 * when not given (`client_count`, `max_clients`) are None, since the expression is evaluated
 * before the parameters are fetched. A malformed expression or a type error: one line on
 * stderr, status 2.
 */
import type { NodeOptions } from "../config/node_options.ts";
import { parseCa } from "../pki/ca.ts";
import { parseNodeCertificate } from "../pki/certificate.ts";
import { ownCertificateCheckTime, verifyCertificate } from "../pki/verify.ts";
import { evaluate, exitOf, type Namespace, type PyValue } from "./test_expr/evaluate.ts";
import { ExpressionError, parseExpression } from "./test_expr/parse.ts";

const list = (items: readonly PyValue[]): PyValue => ({ kind: "list", items });
const opt = (v: string | undefined): PyValue => v ?? null;
const int = (v: number | undefined): PyValue => v === undefined ? null : BigInt(v);

/** The names a `--test` expression sees. */
export function testNamespace(o: NodeOptions): Namespace {
  return new Map<string, PyValue>([
    ["registry", o.registry],
    ["ca", o.ca],
    ["cert", o.cert],
    ["key", o.key],
    ["dh", opt(o.dh)],
    ["ip", list(o.ip)],
    ["log", o.log],
    ["run", o.run],
    ["state", o.state],
    ["verbose", BigInt(o.verbose)],
    ["interface", list(o.interfaces)],
    ["main_interface", o.mainInterface],
    ["multicast", o.multicast],
    ["up", opt(o.up)],
    ["daemon", list(o.daemons)],
    ["test", opt(o.test)],
    ["console", opt(o.console)],
    ["country", opt(o.country)],
    ["babel_args", list(o.babeldArgs)],
    ["openvpn_args", list(o.openvpnArgs)],
    ["gateway", o.gateway],
    ["ovpnlog", o.ovpnlog],
    ["pp", list(o.pp.map((p) => ({ kind: "tuple", items: [BigInt(p.port), p.proto] })))],
    ["client_count", int(o.clientCount)],
    ["max_clients", int(o.maxClients)],
    ["remote_gateway", list(o.remoteGateways)],
    ["disable_proto", list(o.disabledProtos)],
    ["client", o.client ? o.client.map((r) => `${r.host},${r.port},${r.proto}`).join(";") : null],
    ["neighbour", list(o.neighbours)],
  ]);
}

/** Evaluates `expr` over `o`: the exit status and what to print on stderr. */
export function evaluateTest(expr: string, o: NodeOptions): { status: number; stderr?: string } {
  try {
    return exitOf(evaluate(parseExpression(expr), testNamespace(o)));
  } catch (e) {
    if (!(e instanceof ExpressionError)) throw e;
    return { status: 2, stderr: `--test ${JSON.stringify(expr)}: ${e.message}` };
  }
}

/** Loads the certificates (as the daemon does first), then evaluates `--test`. */
export async function runTest(expr: string, o: NodeOptions): Promise<number> {
  try {
    const ca = parseCa(await Deno.readTextFile(o.ca));
    const cert = parseNodeCertificate(await Deno.readTextFile(o.cert));
    const check = verifyCertificate(cert, ca, {
      at: ownCertificateCheckTime(cert, ca, new Date()),
    });
    if (!check.ok) throw new Error(check.reason);
  } catch (e) {
    console.error(`our certificate is unusable: ${(e as Error).message}`);
    return 1;
  }
  const r = evaluateTest(expr, o);
  if (r.stderr !== undefined) console.error(r.stderr);
  return r.status;
}
