/**
 * The SMTP adapter of the `EmailSender` port, on nodemailer. One connection per message unless `pool` is
 * set (a broadcast to many customers is worth a pool).
 *
 * Answers are classified for the queue: a 5xx reply to the envelope or the message is permanent (the
 * mailbox or the message is refused; trying again will not help); a 4xx reply, a timeout, a broken
 * connection, and a refused login or TLS (our configuration, to be fixed) are temporary. A server that
 * takes the message for some recipients and refuses others counts as sent; the refused ones are named in
 * the logged answer.
 */
import nodemailer, { type Mail } from "nodemailer";
import type { EmailSender, OutgoingEmail, SendOutcome } from "./email.ts";

export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  /** The From address, e.g. `"Hóa đơn điện tử" <hoadon@example.vn>`. */
  readonly from: string;
  /**
   * `implicit`: TLS from the first byte (port 465). `starttls`: STARTTLS required. `opportunistic`
   * (default): STARTTLS when the server offers it. `none`: never (loopback and tests only).
   */
  readonly tls?: "implicit" | "starttls" | "opportunistic" | "none";
  /** Accept a server certificate that does not verify (test servers only). Default false. */
  readonly allowUntrustedCertificate?: boolean;
  readonly auth?: { readonly user: string; readonly pass: string };
  /** Name given in EHLO. Default: the machine's host name. */
  readonly clientName?: string;
  /** Connection, greeting and socket timeouts. Default 30 s. */
  readonly timeoutMs?: number;
  /** Keep up to this many connections open and reuse them. Default: none (a connection per message). */
  readonly pool?: number;
}

interface SmtpError {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

// Errors of our own envelope or configuration: no retry fixes them.
const PERMANENT_CODES = new Set(["EENVELOPE", "ECONFIG", "EMAXRECIPIENTS"]);

export class SmtpEmailSender implements EmailSender {
  readonly #transport: Mail;
  readonly #from: string;

  constructor(config: SmtpConfig) {
    const mode = config.tls ?? "opportunistic";
    const timeout = config.timeoutMs ?? 30_000;
    const options = {
      host: config.host,
      port: config.port,
      secure: mode === "implicit",
      requireTLS: mode === "starttls",
      ignoreTLS: mode === "none",
      ...(config.auth ? { auth: { user: config.auth.user, pass: config.auth.pass } } : {}),
      ...(config.clientName ? { name: config.clientName } : {}),
      tls: { rejectUnauthorized: !config.allowUntrustedCertificate },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      disableFileAccess: true,
      disableUrlAccess: true,
    };
    this.#transport = config.pool
      ? nodemailer.createTransport({ ...options, pool: true, maxConnections: config.pool })
      : nodemailer.createTransport(options);
    this.#from = config.from;
  }

  async send(email: OutgoingEmail): Promise<SendOutcome> {
    try {
      const info = await this.#transport.sendMail({
        from: this.#from,
        to: [...email.to],
        subject: email.subject,
        text: email.text,
        ...(email.html === undefined ? {} : { html: email.html }),
        attachments: email.attachments.map((a) => ({
          filename: a.filename,
          contentType: a.contentType,
          content: a.content,
        })),
        messageId: email.messageId,
        date: email.date,
      });
      const response = String(info.response ?? "");
      const rejected = (info.rejected ?? []).map(String);
      const code = Number.parseInt(response.slice(0, 3), 10);
      return {
        ok: true,
        response: rejected.length > 0 ? `${response} (refused: ${rejected.join(", ")})` : response,
        ...(Number.isFinite(code) ? { code } : {}),
      };
    } catch (error) {
      const e = error as SmtpError;
      const code = typeof e.responseCode === "number" ? e.responseCode : undefined;
      // Only a 5xx answer about this message (its sender, recipients or content) is final; a 5xx to our
      // login or TLS is a configuration problem, and the queue should hold the mail until it is fixed.
      const aboutMessage = /^(MAIL|RCPT|DATA)/i.test(e.command ?? "") || e.code === "EENVELOPE";
      const permanent = code !== undefined ? code >= 500 && aboutMessage : PERMANENT_CODES.has(e.code ?? "");
      const response = e.response ?? `${e.code ?? "ERROR"}: ${e.message ?? String(error)}`;
      return {
        ok: false,
        permanent,
        response: e.command ? `${e.command}: ${response}` : response,
        ...(code === undefined ? {} : { code }),
      };
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
