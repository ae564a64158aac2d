/**
 * The shipped service files, exercised for real where this machine allows: systemd units
 * checked by `systemd-analyze verify` and their ExecStart wrapper run by sh; the logrotate file
 * run by logrotate against live processes (a node stand-in and a child named babeld, which must
 * receive SIGUSR1 / SIGUSR2); the OpenWrt init script's UCI → re6stnet.conf mapping run by sh
 * with a double of OpenWrt's shell library (see fixtures/uci_functions.sh).
 */
import { strict as assert } from "node:assert";
import { readEmbeddedText } from "../../lib/embedded.ts";
import { parseArgs } from "../../lib/config/cli.ts";
import { nodeSchema } from "../../lib/config/node_options.ts";

const decoder = new TextDecoder();

async function run(cmd: string, args: string[], opts: Deno.CommandOptions = {}) {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", ...opts })
    .output();
  return { code: out.code, out: decoder.decode(out.stdout), err: decoder.decode(out.stderr) };
}

/** `[Section] key=value` lines of a unit file, as "Section.key" → values. */
function unitSettings(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let section = "";
  for (const line of text.split("\n")) {
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) section = s[1];
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (kv) m.set(`${section}.${kv[1]}`, [...(m.get(`${section}.${kv[1]}`) ?? []), kv[2]]);
  }
  return m;
}

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "re6st-services-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (
  const [unit, role, conf] of [
    ["re6st-node.service", "node", "re6stnet.conf"],
    ["re6st-registry.service", "registry", "re6st-registry.conf"],
  ]
) {
  Deno.test(`${unit}: systemd accepts it; restart and condition settings`, async () => {
    const text = await readEmbeddedText(`systemd/${unit}`);
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(`${dir}/${unit}`, text);
      const r = await run("systemd-analyze", ["verify", `${dir}/${unit}`]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err.trim(), "", "no warnings");
    });
    const s = unitSettings(text);
    assert.deepEqual(s.get("Unit.ConditionPathExists"), [`/etc/re6stnet/${conf}`]);
    assert.deepEqual(s.get("Unit.StartLimitIntervalSec"), ["0"]);
    assert.deepEqual(s.get("Service.WorkingDirectory"), ["/etc/re6stnet"]);
    assert.deepEqual(s.get("Service.Restart"), ["on-failure"]);
    assert.deepEqual(s.get("Service.RestartSec"), ["30"]);
    assert.deepEqual(s.get("Install.WantedBy"), ["multi-user.target"]);
    const exec = s.get("Service.ExecStart")![0];
    assert.ok(!exec.includes("$"), "systemd would expand $ itself");
    assert.match(
      exec,
      new RegExp(`exec /usr/local/bin/re6st ${role} @${conf.replace(".", "\\.")}'$`),
    );
  });

  Deno.test(`${unit}: the ExecStart wrapper exports GEOIP2_MMDB only when the database is readable`, async () => {
    const exec =
      unitSettings(await readEmbeddedText(`systemd/${unit}`)).get("Service.ExecStart")![0];
    await withTempDir(async (dir) => {
      // Point the wrapper at a temp /etc/re6stnet and a re6st stand-in that reports what it got.
      const fake = `${dir}/re6st`;
      await Deno.writeTextFile(
        fake,
        `#!/bin/sh\necho "args=$* geo=\${GEOIP2_MMDB:-unset} cwd=$(pwd)"\n`,
      );
      await Deno.chmod(fake, 0o755);
      const command = exec.replace(/^\/bin\/sh -c '/, "").replace(/'$/, "")
        .replaceAll("/etc/re6stnet", dir).replaceAll("/usr/local/bin/re6st", fake);
      const without = await run("/bin/sh", ["-c", command], {
        cwd: dir,
        env: { PATH: "/usr/bin:/bin" },
      });
      assert.equal(without.out.trim(), `args=${role} @${conf} geo=unset cwd=${dir}`);
      await Deno.writeTextFile(`${dir}/GeoLite2-Country.mmdb`, "db");
      const withDb = await run("/bin/sh", ["-c", command], { cwd: dir });
      assert.equal(
        withDb.out.trim(),
        `args=${role} @${conf} geo=${dir}/GeoLite2-Country.mmdb cwd=${dir}`,
      );
    });
  });
}

/** Polls `path` until it contains `text` (bounded). */
async function waitForText(path: string, text: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const got = await Deno.readTextFile(path).catch(() => "");
    if (got.includes(text)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path}: no '${text}' within ${ms} ms`);
}

Deno.test("logrotate file: weekly/52/compress; rotation signals the node (USR1) and its babeld (USR2)", async () => {
  const conf = await readEmbeddedText("logrotate/re6st");
  for (const d of ["weekly", "rotate 52", "compress", "delaycompress", "missingok", "notifempty"]) {
    assert.match(conf, new RegExp(`^\\t${d}$`, "m"));
  }
  await withTempDir(async (dir) => {
    const pids: number[] = [];
    try {
      await Deno.mkdir(`${dir}/log`);
      // A child literally named babeld, and a node stand-in that starts it and logs signals.
      await Deno.writeTextFile(
        `${dir}/babeld`,
        `#!/bin/sh\ntrap 'echo USR2 >> ${dir}/babeld.signals' USR2\necho $$ > ${dir}/babeld.pid\n` +
          `while :; do sleep 0.05; done\n`,
      );
      await Deno.writeTextFile(
        `${dir}/node`,
        `#!/bin/sh\ntrap 'echo USR1 >> ${dir}/node.signals' USR1\n${dir}/babeld &\n` +
          `while :; do sleep 0.05; done\n`,
      );
      await Deno.chmod(`${dir}/babeld`, 0o755);
      await Deno.chmod(`${dir}/node`, 0o755);
      const node = new Deno.Command(`${dir}/node`, { stdout: "null", stderr: "null" }).spawn();
      pids.push(node.pid);
      await waitForText(`${dir}/babeld.pid`, "\n");
      pids.push(Number(await Deno.readTextFile(`${dir}/babeld.pid`)));
      await Deno.writeTextFile(`${dir}/node.pid`, `${node.pid}\n`);

      // Same file, with paths moved into the temp dir and a unit name systemd cannot know,
      // so the pidfile fallback is what finds the node.
      const local = conf.replaceAll("/var/log/re6stnet", `${dir}/log`)
        .replaceAll("/var/run/re6st-node.pid", `${dir}/node.pid`)
        .replaceAll("re6st-node.service", "re6st-test-unknown-unit.service");
      await Deno.writeTextFile(`${dir}/logrotate.conf`, local);
      const rotate = () => run("logrotate", ["-f", "-s", `${dir}/state`, `${dir}/logrotate.conf`]);

      await Deno.writeTextFile(`${dir}/log/re6stnet.log`, "first\n");
      await Deno.writeTextFile(`${dir}/log/babeld.log`, "first\n");
      let r = await rotate();
      assert.equal(r.code, 0, r.err);
      await waitForText(`${dir}/node.signals`, "USR1");
      await waitForText(`${dir}/babeld.signals`, "USR2");
      assert.equal(
        await Deno.readTextFile(`${dir}/log/re6stnet.log.1`),
        "first\n",
        "delaycompress",
      );

      await Deno.writeTextFile(`${dir}/log/re6stnet.log`, "second\n");
      r = await rotate();
      assert.equal(r.code, 0, r.err);
      await Deno.stat(`${dir}/log/re6stnet.log.2.gz`);
      assert.equal(await Deno.readTextFile(`${dir}/log/re6stnet.log.1`), "second\n");
      await waitForText(`${dir}/node.signals`, "USR1\nUSR1");
    } finally {
      for (const pid of pids) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* already gone */ }
      }
    }
  });
});

const FUNCTIONS = new URL("fixtures/uci_functions.sh", import.meta.url).pathname;
const INIT = new URL("../../embedded/openwrt/re6st.init", import.meta.url).pathname;

/** Sources the init script with the OpenWrt library double and calls start_service. */
async function startService(dir: string, uci: string) {
  await Deno.mkdir(`${dir}/config`, { recursive: true });
  await Deno.mkdir(`${dir}/etc`, { recursive: true });
  await Deno.writeTextFile(`${dir}/config/re6st`, uci);
  const script =
    `. ${FUNCTIONS}; . ${INIT}; CONF_DIR=${dir}/etc; GENERATED=${dir}/run/re6stnet.conf; ` +
    `start_service`;
  const r = await run("sh", ["-c", script], {
    env: { UCI_DIR: `${dir}/config`, PROCD_LOG: `${dir}/procd.log`, PATH: "/usr/bin:/bin" },
  });
  assert.equal(r.code, 0, r.err);
  return {
    conf: await Deno.readTextFile(`${dir}/run/re6stnet.conf`).catch(() => undefined),
    procd: await Deno.readTextFile(`${dir}/procd.log`).catch(() => ""),
  };
}

Deno.test("OpenWrt init: UCI options become re6stnet.conf lines; procd instance respawns forever", async () => {
  await withTempDir(async (dir) => {
    const uci = [
      "config node 'node'",
      "\toption enabled '1'",
      "\toption registry 'http://198.18.0.1/'",
      "\toption main_interface 'br-lan'",
      `\toption up "echo it's up"`,
      "\toption client_count '4'",
      "\toption gateway '1'",
      "\toption ovpnlog '0'",
      "\tlist interface 'br-lan'",
      "\tlist pp '1194 tcp'",
      "\tlist pp '1195 udp6'",
      "\tlist daemon 'sleep 1000'",
      "\tlist disable_proto 'none'",
      "\tlist O '--verb'",
      "\tlist O '3'",
      "",
    ].join("\n");
    await Deno.mkdir(`${dir}/etc`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/etc/re6stnet.conf`,
      "ca ca.crt\ncert cert.crt\nkey cert.key\n",
    );
    const { conf, procd } = await startService(dir, uci);
    assert.equal(
      conf,
      [
        `@${dir}/etc/re6stnet.conf`,
        "registry http://198.18.0.1/",
        "main-interface br-lan",
        "client-count 4",
        `up 'echo it'\\''s up'`,
        "gateway",
        "interface br-lan",
        "daemon 'sleep 1000'",
        "pp 1194 tcp",
        "pp 1195 udp6",
        "disable-proto none",
        "O'--verb'",
        "O'3'",
        "",
      ].join("\n"),
    );
    // The node's own option parser reads the generated file as intended.
    const parsed = parseArgs(nodeSchema, [`@${dir}/run/re6stnet.conf`]);
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.stderr);
    const o = parsed.options;
    assert.equal(o.registry, "http://198.18.0.1/");
    assert.equal(o.ca, "ca.crt");
    assert.equal(o.mainInterface, "br-lan");
    assert.equal(o.clientCount, 4);
    assert.equal(o.up, "echo it's up");
    assert.ok(o.gateway && !o.ovpnlog);
    assert.deepEqual(o.interfaces, ["br-lan"]);
    assert.deepEqual(o.daemons, ["sleep 1000"]);
    assert.deepEqual(o.pp, [{ port: 1194, proto: "tcp" }, { port: 1195, proto: "udp6" }]);
    assert.deepEqual(o.disabledProtos, []);
    assert.deepEqual(o.openvpnArgs, ["--verb", "3"]);

    const params = procd.split("\n");
    assert.equal(params[0], "open");
    assert.ok(params.includes("param [respawn] [3600] [30] [0]"));
    assert.ok(params.includes("param [pidfile] [/var/run/re6st-node.pid]"));
    const command = params.find((p) => p.startsWith("param [command]"))!;
    assert.match(command, /\[\/bin\/sh\] \[-c\] \[cd .*\/etc && \{ test -r GeoLite2-Country\.mmdb/);
    assert.match(command, /exec \/usr\/local\/bin\/re6st node @.*\/run\/re6stnet\.conf; \}\]$/);
    assert.equal(params.at(-2), "close");
  });
});

Deno.test("OpenWrt init: a disabled node starts nothing", async () => {
  await withTempDir(async (dir) => {
    const { conf, procd } = await startService(dir, "config node 'node'\n\toption enabled '0'\n");
    assert.equal(conf, undefined);
    assert.equal(procd, "");
  });
});

Deno.test("OpenWrt sysupgrade keep file lists the node identity and settings", async () => {
  const keep = (await readEmbeddedText("openwrt/re6st.keep")).split("\n").filter((l) =>
    l && !l.startsWith("#")
  );
  assert.deepEqual(keep, ["/etc/re6stnet/", "/etc/config/re6st", "/var/lib/re6stnet/cache.db"]);
});
