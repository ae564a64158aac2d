import assert from "node:assert/strict";
import { parseArgs } from "../../lib/config/cli.ts";
import { nodeSchema } from "../../lib/config/node_options.ts";
import { registrySchema } from "../../lib/config/registry_options.ts";
import { nodeConfigText } from "../../lib/conf/config_text.ts";
import { VERSION } from "../../lib/version.ts";
import { inDir, tempFiles } from "./helpers.ts";

const BASE = "registry http://198.18.0.1/\nca ca.crt\ncert cert.crt\nkey cert.key\n";

function node(args: string[]) {
  const r = parseArgs(nodeSchema, args);
  if (!r.ok) throw new Error(`unexpected failure: ${r.stderr}`);
  return r.options;
}

function nodeError(args: string[]): string {
  const r = parseArgs(nodeSchema, args);
  assert.equal(r.ok, false);
  if (r.ok) throw new Error("unreachable");
  assert.equal(r.status, 2);
  assert.equal(r.stderr?.includes("\n"), false, "errors are one line");
  return r.stderr!;
}

Deno.test("statement 5: O--verb then O3 gives OpenVPN args --verb 3; pp line equals --pp; # lines skipped; @other.conf included", () => {
  const dir = tempFiles({
    "re6stnet.conf": "# a comment\n   # indented comment\n\n" + BASE +
      "O--verb\nO3\npp 1194 tcp\n@other.conf\n",
    "other.conf": "B-d\ni eth0\ngateway\n#ovpnlog\n",
  });
  inDir(dir, () => {
    const fromFile = node(["@re6stnet.conf"]);
    assert.deepEqual(fromFile.openvpnArgs, ["--verb", "3"]);
    assert.deepEqual(fromFile.pp, [{ port: 1194, proto: "tcp" }]);
    assert.deepEqual(fromFile.babeldArgs, ["-d"]);
    assert.deepEqual(fromFile.interfaces, ["eth0"]);
    assert.equal(fromFile.gateway, true);
    assert.equal(fromFile.ovpnlog, false);

    const direct = node([
      "--registry=http://198.18.0.1/",
      "--ca",
      "ca.crt",
      "--cert",
      "cert.crt",
      "--key",
      "cert.key",
      "-O--verb",
      "-O3",
      "--pp",
      "1194",
      "tcp",
      "-B-d",
      "-i",
      "eth0",
      "--gateway",
    ]);
    assert.deepEqual(direct, fromFile);
  });
});

Deno.test("config files: repeated lines append, last single value wins, command line mixes with files", () => {
  const dir = tempFiles({
    "a.conf": BASE + "ip 198.18.0.7\nip 2001:db8::7\nverbose 1\nverbose 3\n" +
      "daemon 'sleep 1000'\nup \"echo 'hi there'\"\n",
  });
  inDir(dir, () => {
    const o = node(["-v4", "@a.conf", "--ip", "2001:db8::8", "-mD"]);
    assert.deepEqual(o.ip, ["198.18.0.7", "2001:db8::7", "2001:db8::8"]);
    assert.equal(o.verbose, 3);
    assert.deepEqual(o.daemons, ["sleep 1000"]);
    assert.equal(o.up, "echo 'hi there'");
    assert.equal(o.multicast, true);
    assert.equal(o.mainInterface, "lo");
    assert.equal(o.state, "/var/lib/re6stnet");
  });
});

Deno.test("config files: nested includes are relative to the current directory", () => {
  const dir = tempFiles({ "top.conf": "@sub/mid.conf\n" });
  Deno.mkdirSync(`${dir}/sub`);
  Deno.writeTextFileSync(`${dir}/sub/mid.conf`, "  @sub/leaf.conf\n");
  Deno.writeTextFileSync(`${dir}/sub/leaf.conf`, BASE + "country fr\n");
  inDir(dir, () => assert.equal(node(["@top.conf"]).country, "FR"));
});

Deno.test("bad input: unknown option names file and line", () => {
  const dir = tempFiles({ "re6stnet.conf": BASE + "\n\nfoo bar\n" });
  inDir(dir, () => {
    assert.equal(nodeError(["@re6stnet.conf"]), "re6stnet.conf:7: unknown option 'foo'");
    assert.equal(nodeError(["--foo"]), "command line: unknown option '--foo'");
    assert.equal(nodeError(["-x"]), "command line: unknown option '-x'");
  });
});

Deno.test("bad input: a trailing '# comment' becomes arguments and is refused", () => {
  const dir = tempFiles({ "re6stnet.conf": BASE + "verbose 3 # more logs\n" });
  inDir(
    dir,
    () => assert.equal(nodeError(["@re6stnet.conf"]), "re6stnet.conf:5: unexpected argument '#'"),
  );
});

Deno.test("bad input: missing value names file and line", () => {
  const dir = tempFiles({ "re6stnet.conf": BASE + "pp 1194\n", "b.conf": "registry\n" });
  inDir(dir, () => {
    assert.equal(nodeError(["@re6stnet.conf"]), "re6stnet.conf:5: option 'pp' expects 2 values");
    assert.equal(nodeError(["@b.conf"]), "b.conf:1: option 'registry' expects a value");
    assert.equal(
      nodeError(["--registry", "--ca", "x"]),
      "command line: option '--registry' expects a value",
    );
  });
});

Deno.test("bad input: bad integer names file and line", () => {
  const dir = tempFiles({ "re6stnet.conf": BASE + "client-count ten\n", "t.conf": "table 1\n" });
  inDir(dir, () => {
    assert.equal(
      nodeError(["@re6stnet.conf"]),
      "re6stnet.conf:5: option 'client-count': invalid integer 'ten'",
    );
    assert.equal(nodeError(["@t.conf"]), "t.conf:1: option 'table': 1 is above the maximum 0");
  });
});

Deno.test("bad input: unterminated quote names file and line", () => {
  const dir = tempFiles({ "re6stnet.conf": BASE + "up 'echo hi\n" });
  inDir(
    dir,
    () => assert.equal(nodeError(["@re6stnet.conf"]), "re6stnet.conf:5: unterminated single quote"),
  );
});

Deno.test("bad input: missing include file names the including file and line", () => {
  const dir = tempFiles({ "re6stnet.conf": BASE + "@nothere.conf\n" });
  inDir(dir, () => {
    assert.equal(
      nodeError(["@re6stnet.conf"]),
      "re6stnet.conf:5: cannot read 'nothere.conf': no such file",
    );
    assert.equal(nodeError(["@gone.conf"]), "command line: cannot read 'gone.conf': no such file");
  });
});

Deno.test("bad input: include loop is detected and names the line", () => {
  const dir = tempFiles({ "a.conf": BASE + "@b.conf\n", "b.conf": "\n@a.conf\n" });
  inDir(
    dir,
    () => assert.equal(nodeError(["@a.conf"]), "b.conf:2: include loop: a.conf → b.conf → a.conf"),
  );
});

Deno.test("bad input: missing required option, bad values, positional argument", () => {
  assert.equal(nodeError(["--ca", "x"]), "missing required option --registry");
  const dir = tempFiles({ "r.conf": BASE.replace("http://198.18.0.1/", "ftp://x") });
  inDir(dir, () => {
    assert.equal(
      nodeError(["@r.conf"]),
      "r.conf:1: option 'registry': not an http(s) URL: 'ftp://x'",
    );
    assert.equal(nodeError(["stray"]), "command line: unexpected argument 'stray'");
    assert.equal(nodeError(["--gateway=yes"]), "command line: option '--gateway' takes no value");
  });
});

Deno.test("--help lists every option with defaults; --version prints the version", () => {
  const help = parseArgs(registrySchema, ["--help"]);
  assert.equal(help.ok, false);
  if (help.ok) return;
  assert.equal(help.status, 0);
  assert.match(help.stdout!, /usage: re6st registry \[options\] \[@config-file \.\.\.\]/);
  assert.match(help.stdout!, /--min-protocol N +minimum protocol.*\(default: 1\)/);
  assert.match(help.stdout!, /-4 ADDR +IPv4 bind address/);
  const nodeHelp = parseArgs(nodeSchema, ["-h"]);
  assert.match(
    nodeHelp.ok ? "" : nodeHelp.stdout!,
    /-O ARG +extra OpenVPN argument \(repeatable\)/,
  );
  const version = parseArgs(nodeSchema, ["-V"]);
  assert.equal(version.ok ? "" : version.stdout, VERSION);
});

Deno.test("the demo registry config of spec §2.4 and the re6stnet.conf written by conf parse", () => {
  const dir = tempFiles({
    "re6st-registry.conf": "ca ca.crt\nkey registry/ca.key\ndh dh2048.pem\nhello 4\n" +
      "client-count 2\ntunnel-refresh 100\nipv4 198.19.0.0/16 8\nprefix-length 13\n" +
      "community registry/community.conf\n",
    "re6stnet.conf": nodeConfigText("http://198.18.0.1/", "FR"),
  });
  inDir(dir, () => {
    const r = parseArgs(registrySchema, ["@re6st-registry.conf"]);
    assert.ok(r.ok);
    assert.equal(r.options.hello, 4);
    assert.equal(r.options.clientCount, 2);
    assert.equal(r.options.maxClients, 4);
    assert.equal(r.options.tunnelRefresh, 100);
    assert.deepEqual(r.options.ipv4, { network: "198.19.0.0/16", sublen: 8 });
    assert.equal(r.options.prefixLength, 13);
    assert.equal(r.options.community, "registry/community.conf");

    const n = node(["@re6stnet.conf"]);
    assert.equal(n.registry, "http://198.18.0.1/");
    assert.deepEqual([n.ca, n.cert, n.key, n.country], ["ca.crt", "cert.crt", "cert.key", "FR"]);
    assert.equal(n.verbose, 2, "#verbose 3 is a comment");
    assert.deepEqual(n.openvpnArgs, []);
  });
});
