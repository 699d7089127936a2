/** A real SMTP server and a real HTTP server on loopback for the notification tests, recording what arrives. */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerError } from "smtp-server";

export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  readonly raw: Buffer;
  /** The connection was TLS (STARTTLS) when the message came. */
  readonly secure: boolean;
  /** The user that logged in, if any. */
  readonly user: string | undefined;
}

export interface TestSmtpOptions {
  /** Offer STARTTLS (smtp-server's own self-signed certificate) and require login with these. */
  readonly login?: { readonly user: string; readonly pass: string };
}

/**
 * smtp-server on 127.0.0.1, any port. `refuse` holds reply codes to give the next messages (one per message,
 * at the end of DATA) instead of accepting them; `alwaysRefuse` refuses every message with that code.
 */
export class TestSmtpServer {
  readonly accepted: ReceivedMail[] = [];
  readonly refused: number[] = [];
  refuse: number[] = [];
  alwaysRefuse: number | undefined;
  port = 0;
  #server: SMTPServer;
  #counter = 0;

  constructor(options: TestSmtpOptions = {}) {
    const login = options.login;
    this.#server = new SMTPServer({
      logger: false,
      ...(login
        ? {
            authMethods: ["PLAIN", "LOGIN"],
            onAuth: (auth, _session, callback) => {
              if (auth.username === login.user && auth.password === login.pass)
                callback(null, { user: auth.username });
              else {
                const e: SMTPServerError = new Error("Invalid username or password");
                e.responseCode = 535;
                callback(e);
              }
            },
          }
        : { authOptional: true, disabledCommands: ["STARTTLS", "AUTH"] }),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const code = this.refuse.shift() ?? this.alwaysRefuse;
          if (code !== undefined) {
            this.refused.push(code);
            const e: SMTPServerError = new Error(code >= 500 ? "Mailbox unavailable" : "Try again later");
            e.responseCode = code;
            callback(e);
            return;
          }
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
          this.accepted.push({
            from,
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
            secure: session.secure,
            user: typeof session.user === "string" ? session.user : undefined,
          });
          callback(null, `Message queued as T${++this.#counter}`);
        });
      },
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(0, "127.0.0.1", () => resolve());
    });
    this.port = (this.#server.server.address() as AddressInfo).port;
    return this.port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

export interface ReceivedPost {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * An HTTP receiver on 127.0.0.1: records every POST and answers with the next of `answers` (default 200).
 * An answer of 0 never responds (a hung receiver, for timeouts).
 */
export class TestHttpReceiver {
  readonly posts: ReceivedPost[] = [];
  /** Next answers: a status, or a status with extra headers. */
  answers: (number | { readonly status: number; readonly headers: Record<string, string> })[] = [];
  alwaysAnswer = 200;
  port = 0;
  #server: Server;

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.posts.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        const answer = this.answers.shift() ?? this.alwaysAnswer;
        const status = typeof answer === "number" ? answer : answer.status;
        const extra = typeof answer === "number" ? {} : answer.headers;
        if (status === 0) return;
        res.writeHead(status, { "content-type": "text/plain", ...extra });
        res.end(status < 300 ? "ok" : `refused with ${status}`);
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/hddt`;
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", () => resolve()));
    this.port = (this.#server.address() as AddressInfo).port;
    return this.port;
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
