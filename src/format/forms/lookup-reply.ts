/**
 * A T-VAN's answer to "look up message by MTDiep" (reference §5.7): `KetQuaTraCuu{MaGD?, MaKetQua,
 * MoTaKetQua?, DuLieu{TDiep*}}`, every reply the tax authority sent for one message (999, then 102, 103…).
 * This wrapper is the T-VAN's own, not the tax authority's format; its element names and order are those of
 * real production replies (2022). hddt's T-VAN answers lookups with the same wrapper.
 *
 * `decodeReply` turns the payload of a reply message into its model: 999/−1/−2 (receipt.ts) and the
 * registration notices 102, 103, 105 (registration.ts).
 */
import { defineCodes, makeProblem, type Problem, type Result } from "../../domain/problem.ts";
import { inspectMessageElement, type Message } from "../envelope.ts";
import { childrenNamed, childText, type ParsedXml, parseXml, XmlWriter } from "../xml.ts";
import { FormReader } from "./common.ts";
import { readErrorReply, readTechnicalReceipt, type TechnicalReceipt } from "./receipt.ts";
import {
  type CodeRequirementNotice,
  type RegistrationDecision,
  type RegistrationReceipt,
  readCodeRequirementNotice,
  readRegistrationDecision,
  readRegistrationReceipt,
} from "./registration.ts";

export const lookupReplyCodes = defineCodes({
  LOOKUP_UNSUPPORTED_TYPE: {
    vi: "Không giải mã được dữ liệu của thông điệp loại {type} trong kết quả tra cứu",
    en: "The payload of a type {type} message in a lookup reply cannot be decoded here",
  },
});

/** The lookup reply, with its messages kept as XML text (byte-exact, signatures intact). */
export interface LookupReply {
  /** [MaGD] transaction id of the lookup (the T-VAN's). */
  transactionId?: string;
  /** [MaKetQua] result code ("0": the tax authority has answered). */
  resultCode: string;
  /** [MoTaKetQua] result description. */
  description?: string;
  /** [DuLieu/TDiep] the reply messages, each as written. */
  messages: string[];
}

export interface ReadLookupReply {
  reply: LookupReply;
  /** The same messages, read (header checked, payloads located). */
  messages: Message[];
}

/** Reads a KetQuaTraCuu document and every TDiep in it; problems in a message carry its path. */
export function readLookupReply(input: string | Uint8Array | ParsedXml): Result<ReadLookupReply> {
  let parsed: ParsedXml;
  if (typeof input === "string" || input instanceof Uint8Array) {
    const r = parseXml(input);
    if (!r.ok) return r;
    parsed = r.value;
  } else parsed = input;
  const el = parsed.root;
  const r = new FormReader(parsed.source);
  r.root(el, "KetQuaTraCuu");
  if (r.problems.length > 0) return { ok: false, problems: r.problems };
  const reply: LookupReply = { resultCode: r.str(el, "/KetQuaTraCuu", "MaKetQua"), messages: [] };
  const transactionId = childText(el, "MaGD");
  if (transactionId !== undefined) reply.transactionId = transactionId;
  const description = childText(el, "MoTaKetQua");
  if (description !== undefined) reply.description = description;

  const problems: Problem[] = r.problems;
  const messages: Message[] = [];
  const items = childrenNamed(childrenNamed(el, "DuLieu")[0], "TDiep");
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const m = inspectMessageElement(item, parsed, `/KetQuaTraCuu/DuLieu/TDiep[${i + 1}]`);
    reply.messages.push(parsed.source.slice(item.start, item.end));
    if (m.problems.length > 0) {
      problems.push(...m.problems);
      continue;
    }
    const message: Message = {
      header: m.header as Message["header"],
      payloads: m.payloads,
      element: item,
      parsed,
    };
    if (m.taxpayerSignature !== undefined) message.taxpayerSignature = m.taxpayerSignature;
    messages.push(message);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { reply, messages } };
}

/** Writes a KetQuaTraCuu document (order: MaGD, MaKetQua, MoTaKetQua, DuLieu). */
export function writeLookupReply(x: LookupReply): string {
  const w = new XmlWriter();
  w.start("KetQuaTraCuu")
    .leaf("MaGD", x.transactionId)
    .leaf("MaKetQua", x.resultCode)
    .leaf("MoTaKetQua", x.description)
    .start("DuLieu");
  for (const m of x.messages) w.raw(m);
  return w.end().end().toString();
}

/** The decoded payload of a reply message. */
export type DecodedReply =
  | { type: 999; receipt: TechnicalReceipt }
  | { type: -1 | -2; receipt: TechnicalReceipt }
  | { type: 102; notice: RegistrationReceipt }
  | { type: 103; notice: RegistrationDecision }
  | { type: 105; notice: CodeRequirementNotice };

/**
 * Decodes the (single) payload of a reply message of type 999, −1, −2, 102, 103 or 105. `path` is the
 * message's path, put in front of problem paths (default "/TDiep").
 */
export function decodeReply(message: Message, path = "/TDiep"): Result<DecodedReply> {
  const el = message.payloads[0];
  const type = message.header.type;
  if (el) {
    const options = { source: message.parsed.source, path: `${path}/DLieu/${el.name}` };
    switch (type) {
      case 999:
        return wrap(readTechnicalReceipt(el, options), (receipt) => ({ type, receipt }));
      case -1:
      case -2:
        return wrap(readErrorReply(el, options), (receipt) => ({ type, receipt }));
      case 102:
        return wrap(readRegistrationReceipt(el, options), (notice) => ({ type, notice }));
      case 103:
        return wrap(readRegistrationDecision(el, options), (notice) => ({ type, notice }));
      case 105:
        return wrap(readCodeRequirementNotice(el, options), (notice) => ({ type, notice }));
    }
  }
  const problem = makeProblem(lookupReplyCodes, "LOOKUP_UNSUPPORTED_TYPE", `${path}/DLieu`, {
    type: String(type),
  });
  return { ok: false, problems: [problem] };
}

function wrap<T>(r: Result<T>, f: (value: T) => DecodedReply): Result<DecodedReply> {
  return r.ok ? { ok: true, value: f(r.value) } : r;
}
