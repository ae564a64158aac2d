/**
 * Token e-mails (spec §6): delivered over SMTP to `--mailhost host[:port]` (optional STARTTLS
 * and AUTH), or appended to an mbox file when the mailhost is an absolute path or an existing
 * file (debugging).
 */
import type { Mailhost } from "../config/registry_options.ts";

/** Subject of token e-mails. */
export const TOKEN_SUBJECT = "[re6stnet] Token Request";

/** Plain-text body of a token e-mail. */
export function tokenBody(token: string): string {
  return `Hello, your token to join re6st network is: ${token}\n`;
}

/** Something that delivers token e-mails. */
export interface Mailer {
  /** Sends `token` to `to`; rejects if delivery fails. */
  sendToken(to: string, token: string): Promise<void>;
}

/** How to reach the mail system. */
export interface MailSettings {
  /** SMTP server, or an mbox file to append to */
  mailhost: Mailhost;
  /** From/envelope sender: the CA subject's emailAddress, if any */
  sender?: string;
  user?: string;
  password?: string;
  starttls?: boolean;
  /** PEM trust anchors for the SMTP server's certificate (default: the system store) */
  tlsCa?: string;
}

/** RFC 5322 date for message headers. */
function rfc5322Date(d: Date): string {
  return d.toUTCString().replace("GMT", "+0000");
}

/** The message as appended to an mbox (with its `From ` separator line). */
export function mboxMessage(s: { sender?: string; to: string; token: string; now: Date }): string {
  const headers = [
    ...(s.sender ? [`From: ${s.sender}`] : []),
    `To: ${s.to}`,
    `Subject: ${TOKEN_SUBJECT}`,
    `Date: ${rfc5322Date(s.now)}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
  ];
  const asctime = s.now.toUTCString().replace(
    /^(\w+), (\d+) (\w+) (\d+) (\S+) GMT$/,
    "$1 $3 $2 $5 $4",
  );
  const body = tokenBody(s.token).replace(/^From /gm, ">From ");
  return `From ${s.sender || "MAILER-DAEMON"} ${asctime}\n${headers.join("\n")}\n\n${body}\n`;
}

/** Builds the mailer for the registry's mail settings. */
export function createMailer(settings: MailSettings, now: () => Date = () => new Date()): Mailer {
  const host = settings.mailhost;
  if (host.kind === "mbox") {
    return {
      async sendToken(to, token) {
        const text = mboxMessage({ sender: settings.sender, to, token, now: now() });
        await Deno.writeTextFile(host.path, text, { append: true, create: true });
      },
    };
  }
  // nodemailer is loaded on first use: it weighs ~20 MiB of RSS.
  let transport: Promise<{ sendMail(mail: Record<string, unknown>): Promise<unknown> }> | undefined;
  const connect = async () =>
    (await import("nodemailer")).default.createTransport({
      host: host.host,
      port: host.port,
      secure: false,
      ignoreTLS: !settings.starttls,
      requireTLS: settings.starttls ?? false,
      tls: settings.tlsCa ? { ca: settings.tlsCa } : undefined,
      auth: settings.user ? { user: settings.user, pass: settings.password ?? "" } : undefined,
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
    });
  return {
    async sendToken(to, token) {
      await (await (transport ??= connect())).sendMail({
        from: settings.sender,
        to,
        subject: TOKEN_SUBJECT,
        text: tokenBody(token),
        envelope: { from: settings.sender ?? "", to },
      });
    },
  };
}
