/**
 * The `EmailSender` port: hands one finished message to a mail system and says what it answered. The SMTP
 * adapter is `smtp.ts`; `MemoryEmailSender` keeps messages in memory for tests of code that only queues.
 *
 * A sender never retries by itself: the durable queue (email-queue.ts) decides when to try again, and logs
 * every try with the server's answer.
 */

export interface EmailAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/** A message ready to send. Every try of one queued e-mail sends the same `messageId`. */
export interface OutgoingEmail {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  readonly attachments: readonly EmailAttachment[];
  /** RFC 5322 Message-ID, with its angle brackets. */
  readonly messageId: string;
  /** The Date header. */
  readonly date: Date;
}

/**
 * What the mail system answered. `code` is the SMTP reply code when there was one (250, 451, 550…);
 * `permanent` failures (5xx) are not tried again.
 */
export type SendOutcome =
  | { readonly ok: true; readonly response: string; readonly code?: number }
  | { readonly ok: false; readonly permanent: boolean; readonly response: string; readonly code?: number };

export interface EmailSender {
  send(email: OutgoingEmail): Promise<SendOutcome>;
  /** Releases connections. */
  close?(): Promise<void>;
}

/** Keeps every message; answers with `next` outcomes first (then success). For tests. */
export class MemoryEmailSender implements EmailSender {
  readonly sent: OutgoingEmail[] = [];
  readonly next: SendOutcome[] = [];

  async send(email: OutgoingEmail): Promise<SendOutcome> {
    const outcome = this.next.shift() ?? { ok: true, response: "250 queued in memory", code: 250 };
    if (outcome.ok) this.sent.push(email);
    return outcome;
  }
}

// A deliberately plain check: one @, no spaces, quotes or angle brackets, a dotted domain. It keeps out
// what could break a header (CR, LF, commas) rather than judging every address RFC 5321 allows.
const ADDRESS_RE =
  /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** True for a plain mailbox address (`name@example.vn`), as hddt accepts them. */
export function isEmailAddress(address: string): boolean {
  return address.length <= 254 && ADDRESS_RE.test(address);
}

/** True for an absolute http(s) URL without credentials. */
export function isHttpUrl(text: string): boolean {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return false;
  }
  return (u.protocol === "http:" || u.protocol === "https:") && u.username === "" && u.password === "";
}
