import assert from "node:assert/strict";
import {
  clientArgs,
  clientInterface,
  clientModeArgs,
  type CommonOptions,
  isProtocol,
  PROTOCOLS,
  remoteFromEndpoint,
  serverArgs,
  serverInterface,
} from "../../lib/node/openvpn/args.ts";

const base: CommonOptions = {
  dev: "re6stnet1",
  ca: "/s/ca.crt",
  cert: "/s/cert.crt",
  key: "/s/cert.key",
  encrypt: false,
  upHook: "/run/re6st/ovpn-up",
  path: "/usr/sbin:/usr/bin",
};

/** Value following `opt` in `args` (one or more words). */
function after(args: string[], opt: string, n = 1): string[] | undefined {
  const i = args.indexOf(opt);
  return i < 0 ? undefined : args.slice(i + 1, i + 1 + n);
}

function client(extra: Partial<Parameters<typeof clientArgs>[0]> = {}) {
  return clientArgs({
    ...base,
    remote: { ip: "198.18.0.1", port: 1194, proto: "tcp" },
    peerCn: "2/16",
    timeout: 60,
    routeUpHook: "/run/re6st/ovpn-route-up",
    ...extra,
  });
}

function server(extra: Partial<Parameters<typeof serverArgs>[0]> = {}) {
  return serverArgs({
    ...base,
    dev: "re6stnet-tcp",
    proto: "tcp",
    port: 1194,
    dh: "/s/dh.pem",
    maxClients: 10,
    timeout: 60,
    management: "/run/re6st/re6stnet-tcp.mgmt",
    ...extra,
  });
}

Deno.test("interface names follow §10.1", () => {
  assert.equal(serverInterface("udp6"), "re6stnet-udp6");
  assert.equal(clientInterface(3), "re6stnet3");
  assert.deepEqual(PROTOCOLS, ["udp", "udp6", "tcp", "tcp6"]);
  assert.ok(isProtocol("tcp6"));
  assert.ok(!isProtocol("udp4"));
});

Deno.test("common options (§12.1): TAP, persist, hooks, PATH, credentials", () => {
  const a = client();
  assert.deepEqual(a.slice(0, 13), [
    "--dev-type",
    "tap",
    "--dev",
    "re6stnet1",
    "--persist-tun",
    "--persist-key",
    "--script-security",
    "2",
    "--up",
    "/run/re6st/ovpn-up",
    "--setenv",
    "PATH",
    "/usr/sbin:/usr/bin",
  ]);
  assert.deepEqual(after(a, "--ca"), ["/s/ca.crt"]);
  assert.deepEqual(after(a, "--cert"), ["/s/cert.crt"]);
  assert.deepEqual(after(a, "--key"), ["/s/cert.key"]);
  assert.equal(after(a, "--log-append"), undefined);
  assert.equal(after(a, "--ifconfig"), undefined);
});

Deno.test("user -O args come after role options, then ifconfig and log-append (§12.1, §5.5)", () => {
  const a = client({
    extra: ["--verb", "4"],
    ipv4: { address: "198.19.3.1", netmask: "255.255.255.0" },
    logDir: "/var/log/re6stnet",
  });
  assert.ok(a.indexOf("--verb") > a.indexOf("--route-up"));
  assert.ok(a.indexOf("--verb") > a.indexOf("--key"));
  assert.deepEqual(after(a, "--ifconfig", 2), ["198.19.3.1", "255.255.255.0"]);
  assert.deepEqual(after(a, "--log-append"), ["/var/log/re6stnet/re6stnet1.log"]);
});

Deno.test("statement 66: encrypt false ⇒ --cipher none --data-ciphers none; true ⇒ defaults", () => {
  for (const a of [client(), server()]) {
    assert.deepEqual(after(a, "--cipher"), ["none"]);
    assert.deepEqual(after(a, "--data-ciphers"), ["none"]);
  }
  for (const a of [client({ encrypt: true }), server({ encrypt: true })]) {
    assert.equal(after(a, "--cipher"), undefined);
    assert.equal(after(a, "--data-ciphers"), undefined);
    assert.ok(!a.includes("--ncp-disable"));
  }
});

Deno.test("statement 64: client tunnels verify the peer CN and exit on any failure", () => {
  const a = client();
  assert.deepEqual(after(a, "--verify-x509-name", 2), ["2/16", "name"]);
  assert.ok(a.includes("--nobind") && a.includes("--client") && a.includes("--tls-exit"));
  assert.deepEqual(after(a, "--resolv-retry"), ["0"]);
  assert.deepEqual(after(a, "--connect-retry-max"), ["3"]);
  assert.deepEqual(after(a, "--remap-usr1"), ["SIGTERM"]);
  assert.deepEqual(after(a, "--ping-exit"), ["60"]);
  assert.deepEqual(after(a, "--route-up"), ["/run/re6st/ovpn-route-up"]);
  assert.ok(!a.includes("--ping-restart"));
});

Deno.test("client remote and MTU per protocol", () => {
  const cases = [
    ["udp", "udp4", ["--tun-mtu", "1407", "--mtu-disc", "yes"]],
    ["udp6", "udp6", ["--tun-mtu", "1425", "--mtu-disc", "yes"]],
    ["tcp", "tcp-client", []],
    ["tcp6", "tcp6-client", []],
  ] as const;
  for (const [proto, word, mtu] of cases) {
    const a = client({ remote: { ip: "2001:db8::1", port: 326, proto } });
    assert.deepEqual(after(a, "--remote", 3), ["2001:db8::1", "326", word]);
    assert.equal(a.filter((w) => w === "--remote").length, 1);
    assert.deepEqual(after(a, "--tun-mtu", 3), mtu.length ? mtu.slice(1) : undefined);
    assert.ok(!a.includes("--link-mtu"));
  }
});

Deno.test("server options per protocol (§12.2)", () => {
  const cases = [
    ["udp", "udp4", "1407"],
    ["udp6", "udp6", "1425"],
    ["tcp", "tcp-server", undefined],
    ["tcp6", "tcp6-server", undefined],
  ] as const;
  for (const [proto, word, mtu] of cases) {
    const a = server({ proto, dev: serverInterface(proto), port: 1195 });
    assert.ok(a.includes("--tls-server"));
    assert.deepEqual(after(a, "--mode"), ["server"]);
    assert.deepEqual(after(a, "--proto"), [word]);
    assert.deepEqual(after(a, "--port"), ["1195"]);
    assert.deepEqual(after(a, "--dh"), ["/s/dh.pem"]);
    assert.deepEqual(after(a, "--max-clients"), ["10"]);
    assert.deepEqual(after(a, "--ping-exit"), ["60"]);
    assert.deepEqual(after(a, "--tun-mtu"), mtu && [mtu]);
    assert.deepEqual(after(a, "--mtu-disc"), mtu && ["yes"]);
    assert.deepEqual(after(a, "--management", 2), ["/run/re6st/re6stnet-tcp.mgmt", "unix"]);
    for (const o of ["--management-client", "--management-client-auth"]) assert.ok(a.includes(o));
    assert.ok(a.includes("--auth-user-pass-optional"));
    assert.ok(!a.includes("--server") && !a.includes("--client-connect"));
    assert.ok(!a.includes("--verify-x509-name") && !a.includes("--route-up"));
  }
});

Deno.test("--client mode: every remote, ping-restart, no CN check, one MTU class", () => {
  const a = clientModeArgs({
    ...base,
    remotes: [
      { ip: "198.18.0.1", port: 1194, proto: "tcp" },
      { ip: "2001:db8::1", port: 1194, proto: "tcp6" },
    ],
    timeout: 60,
    routeUpHook: "/h",
  });
  assert.equal(a.filter((w) => w === "--remote").length, 2);
  assert.deepEqual(after(a, "--ping-restart"), ["60"]);
  assert.ok(!a.includes("--ping-exit") && !a.includes("--verify-x509-name"));
  assert.throws(
    () =>
      clientModeArgs({
        ...base,
        remotes: [
          { ip: "198.18.0.1", port: 1194, proto: "udp" },
          { ip: "198.18.0.1", port: 1194, proto: "tcp" },
        ],
        timeout: 60,
        routeUpHook: "/h",
      }),
    /MTU class/,
  );
  assert.throws(() => clientModeArgs({ ...base, remotes: [], timeout: 60, routeUpHook: "/h" }));
});

Deno.test("bad numbers are refused, not passed to OpenVPN", () => {
  assert.throws(() => server({ port: 0 }), /port/);
  assert.throws(() => server({ port: 70000 }), /port/);
  assert.throws(() => server({ maxClients: 1.5 }), /max clients/);
  assert.throws(() => client({ timeout: -1 }), /timeout/);
});

Deno.test("untrusted peer addresses never become OpenVPN options", () => {
  for (const ip of ["--up", "-x", "198.18.0.1 --up", "host.example", "", "1.2.3.4\n"]) {
    assert.throws(() => client({ remote: { ip, port: 1194, proto: "tcp" } }), /not an IP/);
    assert.equal(remoteFromEndpoint({ ip, port: 1194, proto: "tcp" }), undefined);
  }
  assert.throws(() => client({ peerCn: "--tls-exit" }), /not a node CN/);
  assert.equal(remoteFromEndpoint({ ip: "198.18.0.1", port: 1194, proto: "sctp" }), undefined);
  assert.equal(remoteFromEndpoint({ ip: "198.18.0.1", port: 0, proto: "tcp" }), undefined);
  assert.deepEqual(remoteFromEndpoint({ ip: "198.18.0.1", port: 1194, proto: "udp4" }), {
    ip: "198.18.0.1",
    port: 1194,
    proto: "udp",
  });
  assert.deepEqual(
    remoteFromEndpoint({ ip: "2001:db8::1", port: 326, proto: "tcp6", country: "FR" }),
    {
      ip: "2001:db8::1",
      port: 326,
      proto: "tcp6",
    },
  );
});
