import assert from "node:assert/strict";
import { createMailer, TOKEN_SUBJECT, tokenBody } from "../../lib/registry/mail.ts";
import { isTokenShaped, makeToken } from "../../lib/registry/tokens.ts";
import { selfSignedArgs } from "../pki/fixtures.ts";
import { freePort, sh } from "./e2e_helpers.ts";

const SERVER = new URL("./fixtures/smtp_server.py", import.meta.url).pathname;

/** Starts the fixture SMTP server; resolves once it prints READY. */
async function smtpServer(args: string[]) {
  const port = freePort();
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-u", SERVER, String(port), ...args],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let out = "";
  const decoder = new TextDecoder();
  const reader = (async () => {
    for await (const c of child.stdout) out += decoder.decode(c);
  })();
  const deadline = Date.now() + 10_000;
  while (!out.includes("READY")) {
    if (Date.now() > deadline) throw new Error("SMTP server did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    output: () => out,
    async waitFor(s: string) {
      const end = Date.now() + 10_000;
      while (!out.includes(s)) {
        if (Date.now() > end) throw new Error(`no ${s} in SMTP output:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await reader;
    },
  };
}

Deno.test("statement 25: tokens are 8 distinct lowercase letters", () => {
  for (let i = 0; i < 200; i++) {
    const t = makeToken();
    assert.ok(isTokenShaped(t), t);
  }
  assert.equal(makeToken(() => 0), "abcdefgh");
  assert.equal(makeToken((n) => n - 1), "zyxwvuts");
  assert.equal(isTokenShaped("aabcdefg"), false);
});

Deno.test("statement 25: a token mail is delivered over real SMTP", async () => {
  const server = await smtpServer([]);
  try {
    const mailer = createMailer({
      mailhost: { kind: "smtp", host: "127.0.0.1", port: server.port },
      sender: "registry@example.com",
    });
    await mailer.sendToken("alice@example.com", "qwertyui");
    await server.waitFor("END");
    const out = server.output();
    assert.match(out, /MAIL FROM:registry@example.com RCPT:alice@example.com TLS:False/);
    assert.match(out, new RegExp(`Subject: ${TOKEN_SUBJECT.replace(/[[\]]/g, "\\$&")}`));
    assert.match(out, /From: registry@example.com/);
    assert.match(out, /To: alice@example.com/);
    assert.ok(out.includes(tokenBody("qwertyui").trim()));
  } finally {
    await server.stop();
  }
});

Deno.test("token mails use STARTTLS and AUTH when configured; a wrong password fails", async () => {
  const dir = await Deno.makeTempDir();
  await sh(
    "openssl",
    selfSignedArgs({
      newKey: "rsa:2048",
      keyOut: `${dir}/k.pem`,
      days: 1,
      subject: "/CN=127.0.0.1",
      extra: ["-addext", "subjectAltName=IP:127.0.0.1"],
      out: `${dir}/c.pem`,
    }),
  );
  const server = await smtpServer([`${dir}/c.pem`, `${dir}/k.pem`, "user", "secret"]);
  const tlsCa = await Deno.readTextFile(`${dir}/c.pem`);
  const send = (password: string) =>
    createMailer({
      mailhost: { kind: "smtp", host: "127.0.0.1", port: server.port },
      sender: "registry@example.com",
      user: "user",
      password,
      starttls: true,
      tlsCa,
    }).sendToken("bob@example.com", "asdfghjk");
  try {
    await send("secret");
    await server.waitFor("END");
    assert.match(server.output(), /RCPT:bob@example.com TLS:True AUTH:True/);
    assert.ok(server.output().includes("asdfghjk"));
    await assert.rejects(send("wrong"));
    // without trusting the server's certificate, nothing is sent in clear
    await assert.rejects(
      createMailer({
        mailhost: { kind: "smtp", host: "127.0.0.1", port: server.port },
        user: "user",
        password: "secret",
        starttls: true,
      }).sendToken("carol@example.com", "zxcvbnma"),
    );
    assert.ok(!server.output().includes("zxcvbnma"));
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("token mails appended to an mbox file parse with Python's mailbox module", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/mail.mbox`;
    const mailer = createMailer({
      mailhost: { kind: "mbox", path },
      sender: "registry@example.com",
    });
    await mailer.sendToken("a@example.com", "abcdefgh");
    await mailer.sendToken("b@example.com", "hgfedcba");
    const out = await sh("/usr/bin/python3", [
      "-c",
      `
import mailbox
for m in mailbox.mbox("${path}"):
    print(m["To"], m["From"], m["Subject"], m.get_payload().strip())`,
    ]);
    assert.equal(
      out,
      [
        "a@example.com registry@example.com [re6stnet] Token Request Hello, your token to join re6st network is: abcdefgh",
        "b@example.com registry@example.com [re6stnet] Token Request Hello, your token to join re6st network is: hgfedcba",
        "",
      ].join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
