/**
 * `embedded/install.sh` run for real by `sh`, fetched with curl from a local HTTP server that
 * serves it the way a registry does (`installScript`, `installerFile`) plus a small `re6st-<arch>`
 * artifact. The artifact is a shell script standing in for the compiled re6st binary, which
 * cannot be built on this machine (deno compile needs a download); it records its arguments
 * and, for `conf`, writes the files `re6st conf` writes. Everything lands under RE6ST_PREFIX.
 * A fake `uname` on PATH simulates other architectures; a `lib/ld-musl-*.so.1` under the prefix
 * simulates a musl system.
 */
import { strict as assert } from "node:assert";
import { installerFile, installScript } from "../../lib/install/installer.ts";
import { readEmbeddedText } from "../../lib/embedded.ts";
import { runInstaller, snapshot } from "./installer_run.ts";

const FAKE_RE6ST = `#!/bin/sh
# stand-in for the re6st binary: logs its arguments; "conf" writes what re6st conf writes
echo "$*" >> "\${RE6ST_TEST_LOG:?}"
if [ "$1" = conf ]; then
  echo CA > ca.crt; echo KEY > cert.key; echo CERT > cert.crt
  [ -f re6stnet.conf ] || printf 'registry %s\\nca ca.crt\\ncert cert.crt\\nkey cert.key\\n' "$3" > re6stnet.conf
fi
`;

interface Served {
  base: string;
  requests: string[];
  close(): Promise<void>;
}

function serve(fingerprint = ""): Served {
  const requests: string[] = [];
  let base = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const name = new URL(req.url).pathname.slice(1);
    requests.push(name);
    if (name === "install.sh") return new Response(await installScript(base, fingerprint));
    if (name === "re6st-x86_64" || name === "re6st-aarch64") {
      return new Response(FAKE_RE6ST + `# ${name}\n`);
    }
    const file = await installerFile(name);
    return file === undefined ? new Response("not found", { status: 404 }) : new Response(file);
  });
  base = `http://127.0.0.1:${server.addr.port}`;
  return { base, requests, close: () => server.shutdown() };
}

async function withSandbox(fn: (dir: string, s: Served) => Promise<void>, fingerprint = "") {
  const dir = await Deno.makeTempDir({ prefix: "re6st-install-" });
  const s = serve(fingerprint);
  try {
    await fn(dir, s);
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function baseEnv(dir: string, root: string): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH")!,
    RE6ST_PREFIX: root,
    RE6ST_TEST_LOG: `${dir}/re6st-calls.log`,
  };
}

/** A directory with a `uname` that reports `os` and `machine`, to put first on PATH. */
async function fakeUname(dir: string, os: string, machine: string): Promise<string> {
  const bin = `${dir}/fakebin-${machine}`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(
    `${bin}/uname`,
    `#!/bin/sh\ncase "$1" in -s) echo ${os} ;; -m) echo ${machine} ;; *) echo ${os} ;; esac\n`,
  );
  await Deno.chmod(`${bin}/uname`, 0o755);
  return bin;
}

Deno.test("install.sh passes sh -n and shellcheck, like every shipped script", async () => {
  for (const f of ["install.sh", "openwrt/re6st.init"]) {
    const path = new URL(`../../embedded/${f}`, import.meta.url).pathname;
    for (const [cmd, args] of [["sh", ["-n", path]], ["shellcheck", ["-s", "sh", path]]] as const) {
      const out = await new Deno.Command(cmd, { args: [...args], stderr: "piped", stdout: "piped" })
        .output();
      const msg = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, `${cmd} ${f}: ${msg}`);
    }
  }
});

Deno.test("install.sh (systemd): binary, registration, unit, logrotate; second run changes nothing", async () => {
  await withSandbox(async (dir, s) => {
    const root = `${dir}/root`;
    const env = { ...baseEnv(dir, root), RE6ST_INIT: "systemd" };
    const first = await runInstaller(s.base, env);
    assert.equal(first.code, 0, first.err + first.out);
    assert.match(first.out, /system: Linux x86_64 glibc, init: systemd/);
    assert.match(first.out, /openvpn and babeld: already installed/);

    const bin = `${root}/usr/local/bin/re6st`;
    assert.equal((await Deno.stat(bin)).mode! & 0o777, 0o755);
    assert.match(await Deno.readTextFile(bin), /# re6st-x86_64/);
    assert.ok(s.requests.includes("re6st-x86_64"));
    assert.equal(
      await Deno.readTextFile(`${root}/etc/systemd/system/re6st-node.service`),
      await readEmbeddedText("systemd/re6st-node.service"),
    );
    assert.equal(
      await Deno.readLink(`${root}/etc/systemd/system/multi-user.target.wants/re6st-node.service`),
      "/etc/systemd/system/re6st-node.service",
    );
    assert.equal(
      await Deno.readTextFile(`${root}/etc/logrotate.d/re6st`),
      await readEmbeddedText("logrotate/re6st"),
    );
    assert.match(
      await Deno.readTextFile(`${root}/etc/re6stnet/re6stnet.conf`),
      new RegExp(`^registry ${s.base}$`, "m"),
    );
    assert.equal(
      await Deno.readTextFile(`${dir}/re6st-calls.log`),
      `conf --registry ${s.base} --anonymous\n`,
    );

    const before = await snapshot(root);
    const second = await runInstaller(s.base, env);
    assert.equal(second.code, 0, second.err);
    assert.doesNotMatch(second.out, /: (installed|linked)$/m);
    assert.match(second.out, /node already registered/);
    assert.deepEqual(await snapshot(root), before);
    assert.equal((await Deno.readTextFile(`${dir}/re6st-calls.log`)).split("\n").length, 2);
  });
});

Deno.test("install.sh (procd): init script, UCI config, keep file, rc.d links; token and CA fingerprint passed on", async () => {
  await withSandbox(async (dir, s) => {
    const root = `${dir}/root`;
    const env = { ...baseEnv(dir, root), RE6ST_INIT: "procd" };
    const r = await runInstaller(s.base, env, ["--token", "T0K-en"]);
    assert.equal(r.code, 0, r.err + r.out);
    for (
      const [path, embedded] of [
        ["etc/init.d/re6st", "openwrt/re6st.init"],
        ["etc/config/re6st", "openwrt/re6st.config"],
        ["lib/upgrade/keep.d/re6st", "openwrt/re6st.keep"],
      ]
    ) {
      assert.equal(await Deno.readTextFile(`${root}/${path}`), await readEmbeddedText(embedded));
    }
    assert.equal((await Deno.stat(`${root}/etc/init.d/re6st`)).mode! & 0o777, 0o755);
    assert.equal(await Deno.readLink(`${root}/etc/rc.d/S99re6st`), "../init.d/re6st");
    assert.equal(await Deno.readLink(`${root}/etc/rc.d/K10re6st`), "../init.d/re6st");
    assert.equal(
      await Deno.readTextFile(`${dir}/re6st-calls.log`),
      `conf --registry ${s.base} --fingerprint sha256:00ff --token T0K-en\n`,
    );
    // An operator's edited UCI config survives a re-run.
    await Deno.writeTextFile(`${root}/etc/config/re6st`, "config node 'node'\n");
    const again = await runInstaller(s.base, env);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /etc\/config\/re6st: kept/);
    assert.equal(await Deno.readTextFile(`${root}/etc/config/re6st`), "config node 'node'\n");
  }, "sha256:00ff");
});

Deno.test("install.sh detects aarch64 and downloads its binary", async () => {
  await withSandbox(async (dir, s) => {
    const root = `${dir}/root`;
    const fake = await fakeUname(dir, "Linux", "aarch64");
    const env = {
      ...baseEnv(dir, root),
      RE6ST_INIT: "none",
      PATH: `${fake}:${Deno.env.get("PATH")}`,
    };
    const r = await runInstaller(s.base, env);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /system: Linux aarch64 glibc, init: none/);
    assert.match(r.out, /no supported init system found/);
    assert.match(await Deno.readTextFile(`${root}/usr/local/bin/re6st`), /# re6st-aarch64/);
  });
});

Deno.test("install.sh refuses unsupported systems clearly and installs nothing", async () => {
  await withSandbox(async (dir, s) => {
    const cases: [string, string, RegExp][] = [
      ["Linux", "mips", /unsupported architecture 'mips': there is no Deno runtime for MIPS/],
      ["Linux", "mipsel", /no Deno runtime for MIPS/],
      ["Linux", "armv7l", /'armv7l': 32-bit ARM has no Deno runtime/],
      ["Linux", "i686", /32-bit x86 has no Deno runtime/],
      ["Linux", "riscv64", /unsupported architecture 'riscv64' \(re6st needs x86_64 or aarch64\)/],
      ["Darwin", "arm64", /unsupported system 'Darwin': re6st runs on Linux only/],
    ];
    for (const [os, machine, re] of cases) {
      const root = `${dir}/root-${machine}`;
      const fake = await fakeUname(dir, os, machine);
      const env = { ...baseEnv(dir, root), PATH: `${fake}:${Deno.env.get("PATH")}` };
      const r = await runInstaller(s.base, env);
      assert.equal(r.code, 1, `${machine}: ${r.out}`);
      assert.match(r.err, re);
      await assert.rejects(Deno.stat(root), Deno.errors.NotFound);
    }
    // musl (Alpine, OpenWrt): the target root has the musl dynamic loader.
    const root = `${dir}/root-musl`;
    await Deno.mkdir(`${root}/lib`, { recursive: true });
    await Deno.writeTextFile(`${root}/lib/ld-musl-x86_64.so.1`, "");
    const r = await runInstaller(s.base, baseEnv(dir, root));
    assert.equal(r.code, 1);
    assert.match(r.err, /musl libc \(Alpine, OpenWrt…\) is not supported/);
    await assert.rejects(Deno.stat(`${root}/usr`), Deno.errors.NotFound);
    assert.ok(!s.requests.some((p) => p.startsWith("re6st-")), "no binary was downloaded");
  });
});

Deno.test("install.sh: bad arguments and a missing registry URL", async () => {
  await withSandbox(async (dir, s) => {
    const env = baseEnv(dir, `${dir}/root`);
    let r = await runInstaller(s.base, env, ["--anonymous", "--token", "x"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--anonymous excludes --token/);
    r = await runInstaller(s.base, env, ["--frobnicate"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /unknown argument '--frobnicate'/);
    // The file as shipped (no registry URL filled in) needs --registry.
    const path = new URL("../../embedded/install.sh", import.meta.url).pathname;
    const out = await new Deno.Command("sh", { args: [path], env, stderr: "piped" }).output();
    assert.equal(out.code, 1);
    assert.match(new TextDecoder().decode(out.stderr), /no registry URL: pass --registry URL/);
  });
});

Deno.test("install.sh installs missing packages with the system package manager (apt-get)", async () => {
  if (Deno.uid() !== 0) {
    console.log("skipping: apt-get needs root");
    return;
  }
  await withSandbox(async (dir, s) => {
    // Without /usr/sbin on PATH openvpn and babeld look missing, so the installer calls the
    // real apt-get, which finds them installed and changes nothing.
    const env = { ...baseEnv(dir, `${dir}/root`), RE6ST_INIT: "none", PATH: "/usr/bin:/bin" };
    const r = await runInstaller(s.base, env);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /installing openvpn and babeld with apt-get/);
  });
});

Deno.test("installScript fills in the registry URL and refuses unsafe ones", async () => {
  const text = await installScript("https://registry.example.org/re6st/");
  assert.match(text, /^REGISTRY=\$\{RE6ST_REGISTRY:-'https:\/\/registry\.example\.org\/re6st'\}$/m);
  await assert.rejects(installScript("ftp://x/"), /http or https/);
  await assert.rejects(installScript("not a url"), /invalid registry URL/);
  await assert.rejects(installScript("http://x/'; rm -rf /; '"), /unsafe/);
  await assert.rejects(installScript("http://x/", "sha256:zz'"), /invalid CA fingerprint/);
  assert.match(
    await installScript("http://x/", "sha256:0aF1"),
    /^FINGERPRINT=\$\{RE6ST_FINGERPRINT-'sha256:0aF1'\}$/m,
  );
  assert.match(await installScript("http://x/"), /^FINGERPRINT=\$\{RE6ST_FINGERPRINT-''\}$/m);
  assert.equal(await installerFile("../install.sh"), undefined);
  assert.equal(await installerFile("toString"), undefined);
});
