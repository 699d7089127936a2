/**
 * The transmission envelope TDiep (reference §5.1): `TDiep{TTChung{PBan, MNGui, MNNhan, MLTDiep, MTDiep,
 * MTDTChieu?, MST?, SLuong?}, DLieu{payload…}, CKSNNT?}`.
 *
 * - Party codes (MNGui, MNNhan): `TCT` (tax authority), `V`+MST (T-VAN), `K`+MST (taxpayer connecting
 *   directly), or a plain MST between a vendor and its T-VAN (QĐ 1271 Part IV); MST without "-", 10 or 13
 *   digits.
 * - Message id (MTDiep): the sender's code followed by 32 uppercase hex digits (a UUIDv4 without dashes),
 *   at most 46 characters. MTDTChieu is the id of the message answered.
 * - CKSNNT (message 206): the taxpayer's signature over DLieu, kept as raw XML.
 *
 * The writer never declares a namespace on TDiep or DLieu: the signed documents inside are verified with
 * inclusive canonicalization, which would pull any namespace declared on an ancestor into the signed bytes.
 * Payloads are inserted as they are (byte-exact), so their signatures survive.
 */
import { isMessageId as isAnyMessageId, isSenderCode } from "../domain/codes.ts";
import { defineCodes, makeProblem, type Problem, type Result } from "../domain/problem.ts";
import { type MessageTypeCode, type MessageTypeInfo, messageTypeInfo, parseMessageType } from "./messages.ts";
import {
  child,
  childText,
  localName,
  type ParsedXml,
  parseXml,
  type XmlElement,
  type XmlLimits,
  XmlWriter,
} from "./xml.ts";

export const envelopeCodes = defineCodes({
  ENVELOPE_NOT_MESSAGE: {
    vi: "Tài liệu không phải thông điệp (phần tử gốc là <{found}>, cần <TDiep>)",
    en: "The document is not a message (root element <{found}>, expected <TDiep>)",
  },
  ENVELOPE_FIELD_MISSING: {
    vi: "Thông điệp thiếu trường bắt buộc {field}",
    en: "The message lacks the required field {field}",
  },
  ENVELOPE_FIELD_TOO_LONG: {
    vi: "Trường {field} dài {length} ký tự, tối đa {max}",
    en: "The field {field} is {length} characters long; at most {max} are allowed",
  },
  ENVELOPE_BAD_PARTY_CODE: {
    vi: 'Mã nơi gửi/nhận "{value}" không hợp lệ (TCT, V+MST, K+MST hoặc MST, không có dấu "-")',
    en: 'The party code "{value}" is not valid (TCT, V+tax code, K+tax code or a tax code, without "-")',
  },
  ENVELOPE_BAD_MESSAGE_ID: {
    vi: 'Mã thông điệp {field} "{value}" không hợp lệ (mã nơi gửi + 32 ký tự hexa viết hoa)',
    en: 'The message id {field} "{value}" is not valid (sender code + 32 uppercase hex digits)',
  },
  ENVELOPE_ID_SENDER_MISMATCH: {
    vi: 'Mã thông điệp "{value}" không bắt đầu bằng mã nơi gửi "{sender}"',
    en: 'The message id "{value}" does not start with the sender code "{sender}"',
  },
  ENVELOPE_UNKNOWN_TYPE: {
    vi: 'Mã loại thông điệp "{value}" không có trong danh mục',
    en: 'The message type "{value}" is not in the catalogue',
  },
  ENVELOPE_BAD_TAX_CODE: {
    vi: 'Mã số thuế "{value}" không đúng định dạng (10 chữ số, hoặc 10 chữ số và mã chi nhánh 3 chữ số)',
    en: 'The tax code "{value}" is not well formed (10 digits, or 10 digits and a 3-digit branch code)',
  },
  ENVELOPE_BAD_COUNT: {
    vi: 'Số lượng "{value}" không hợp lệ (số nguyên dương, tối đa 7 chữ số)',
    en: 'The count "{value}" is not valid (a positive whole number of at most 7 digits)',
  },
  ENVELOPE_COUNT_MISMATCH: {
    vi: "Số lượng khai báo là {count} nhưng DLieu chứa {items} dữ liệu",
    en: "The count says {count} but DLieu holds {items} items",
  },
  ENVELOPE_NO_PAYLOAD: {
    vi: "Thông điệp không có dữ liệu trong DLieu",
    en: "The message has nothing in DLieu",
  },
  ENVELOPE_WRONG_PAYLOAD: {
    vi: "Thông điệp loại {type} phải chứa <{expected}>, không phải <{found}>",
    en: "A message of type {type} must carry <{expected}>, not <{found}>",
  },
  ENVELOPE_TOO_MANY_PAYLOADS: {
    vi: "Thông điệp loại {type} chỉ chứa một dữ liệu, có {items}",
    en: "A message of type {type} carries one item; this one has {items}",
  },
});

type EnvelopeCode = keyof typeof envelopeCodes & string;

/** The header TTChung, with English names. */
export interface MessageHeader {
  /** [PBan] format version (≤6). */
  version: string;
  /** [MNGui] sender code (≤14). */
  sender: string;
  /** [MNNhan] receiver code (≤14). */
  receiver: string;
  /** [MLTDiep] message type. */
  type: MessageTypeCode;
  /** [MTDiep] message id: sender code + 32 uppercase hex (≤46). */
  messageId: string;
  /** [MTDTChieu] id of the message this one answers (≤46). */
  replyTo?: string;
  /** [MST] tax code of the taxpayer the data belongs to (≤14, may carry "-xxx"). */
  taxCode?: string;
  /** [SLuong] number of items in DLieu (≤7 digits). */
  count?: number;
}

/** A message read from XML. */
export interface Message {
  header: MessageHeader;
  /** The elements inside DLieu, in order; `parsed.source.slice(p.start, p.end)` is each one as written. */
  payloads: XmlElement[];
  /** [CKSNNT] content as raw XML (the taxpayer's message signature, 206), byte-exact. */
  taxpayerSignature?: string;
  /** The TDiep element. */
  element: XmlElement;
  parsed: ParsedXml;
}

/** What could be read from a message, even a broken one (for answering with 999/−1 and its error list). */
export interface MessageInspection {
  header: Partial<MessageHeader>;
  /** MLTDiep as written (also when it is not a known type). */
  typeText?: string;
  payloads: XmlElement[];
  taxpayerSignature?: string;
  problems: Problem[];
  element?: XmlElement;
  parsed?: ParsedXml;
}

const MAX = { PBan: 6, MNGui: 14, MNNhan: 14, MLTDiep: 3, MTDiep: 46, MTDTChieu: 46, MST: 14, SLuong: 7 };

const HEX32 = /^[0-9A-F]{32}$/;
const HEX32_ANY_CASE = /^[0-9a-fA-F]{32}$/;
const TAX_CODE = /^\d{10}(?:-?\d{3})?$/;
const COUNT = /^\d{1,7}$/;
const XML_DECLARATION = /^\uFEFF?\s*<\?xml[^?]*\?>\s*/;

/** True for `TCT`, `V`/`K` + 10 or 13 digits, or 10 or 13 digits. */
export function isPartyCode(s: string): boolean {
  return isSenderCode(s);
}

/** True for a well-formed message id of any sender (party code + 32 uppercase hex). */
export function isMessageId(s: string): boolean {
  return s.length <= MAX.MTDiep && isAnyMessageId(s);
}

/**
 * A new message id for `sender`: the sender code and a UUIDv4 as 32 uppercase hex digits. `randomHex` must
 * return 32 random hex digits (e.g. `() => randomBytes(16).toString("hex")` from node:crypto); the version
 * and variant digits are set here. Throws a RangeError for a bad sender or random source (bugs).
 */
export function newMessageId(sender: string, randomHex: () => string): string {
  if (!isSenderCode(sender)) throw new RangeError(`not a party code: ${JSON.stringify(sender)}`);
  const hex = randomHex();
  if (!HEX32_ANY_CASE.test(hex)) throw new RangeError("randomHex must return 32 hex digits");
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${sender}${hex.slice(0, 12)}4${hex.slice(13, 16)}${variant}${hex.slice(17)}`.toUpperCase();
}

// ---------------------------------------------------------------------------------------------------------
// Reading

/**
 * Reads a TDiep message: the header (checked field by field, all problems collected) and the DLieu items
 * (checked against the message type: element name, one or many, SLuong). Never throws for bad input.
 */
export function readMessage(
  input: string | Uint8Array | ParsedXml,
  limits?: Partial<XmlLimits>,
): Result<Message> {
  const m = inspectMessage(input, limits);
  if (m.problems.length > 0 || !m.element || !m.parsed) return { ok: false, problems: m.problems };
  const message: Message = {
    header: m.header as MessageHeader,
    payloads: m.payloads,
    element: m.element,
    parsed: m.parsed,
  };
  if (m.taxpayerSignature !== undefined) message.taxpayerSignature = m.taxpayerSignature;
  return { ok: true, value: message };
}

/** Like readMessage, but returns whatever could be read together with the problems. */
export function inspectMessage(
  input: string | Uint8Array | ParsedXml,
  limits?: Partial<XmlLimits>,
): MessageInspection {
  let parsed: ParsedXml;
  if (typeof input === "string" || input instanceof Uint8Array) {
    const r = parseXml(input, limits);
    if (!r.ok) return { header: {}, payloads: [], problems: r.problems };
    parsed = r.value;
  } else parsed = input;
  return inspectMessageElement(parsed.root, parsed, `/${parsed.root.name}`);
}

/**
 * Reads one TDiep element of a parsed document (e.g. inside a T-VAN lookup reply); `path` is the element's
 * path, used as the prefix of problem paths.
 */
export function inspectMessageElement(el: XmlElement, parsed: ParsedXml, path: string): MessageInspection {
  const problems: Problem[] = [];
  const add = (code: EnvelopeCode, at: string, params?: Record<string, string>) => {
    problems.push(makeProblem(envelopeCodes, code, at, params));
  };
  const out: MessageInspection = { header: {}, payloads: [], problems, element: el, parsed };
  if (localName(el.name) !== "TDiep") {
    add("ENVELOPE_NOT_MESSAGE", path, { found: el.name });
    return out;
  }
  const tt = child(el, "TTChung");
  const hp = `${path}/TTChung`;
  if (!tt) add("ENVELOPE_FIELD_MISSING", hp, { field: "TTChung" });
  const h = out.header;

  const text = (name: keyof typeof MAX, required: boolean): string | undefined => {
    if (!tt) return undefined;
    const t = childText(tt, name);
    if (t === undefined) {
      if (required) add("ENVELOPE_FIELD_MISSING", `${hp}/${name}`, { field: name });
      return undefined;
    }
    return t;
  };

  const version = text("PBan", true);
  const sender = text("MNGui", true);
  const receiver = text("MNNhan", true);
  const typeText = text("MLTDiep", true);
  const messageId = text("MTDiep", true);
  const replyTo = text("MTDTChieu", false);
  const taxCode = text("MST", false);
  const countText = text("SLuong", false);

  if (version !== undefined) h.version = version;
  if (sender !== undefined) h.sender = sender;
  if (receiver !== undefined) h.receiver = receiver;
  if (messageId !== undefined) h.messageId = messageId;
  if (replyTo !== undefined) h.replyTo = replyTo;
  if (taxCode !== undefined) h.taxCode = taxCode;
  let info: MessageTypeInfo | undefined;
  if (typeText !== undefined) {
    out.typeText = typeText;
    const type = parseMessageType(typeText);
    if (type === undefined) add("ENVELOPE_UNKNOWN_TYPE", `${hp}/MLTDiep`, { value: typeText });
    else {
      h.type = type;
      info = messageTypeInfo(type);
    }
  }
  if (countText !== undefined) {
    if (COUNT.test(countText) && countText !== "0".repeat(countText.length)) h.count = Number(countText);
    else add("ENVELOPE_BAD_COUNT", `${hp}/SLuong`, { value: countText });
  }
  problems.push(...headerProblems(h, hp, info, countText !== undefined));

  // DLieu and the items in it.
  const dlieu = child(el, "DLieu");
  if (!dlieu) add("ENVELOPE_FIELD_MISSING", `${path}/DLieu`, { field: "DLieu" });
  else {
    out.payloads = dlieu.children;
    checkPayloads(out, info, path, add);
  }
  const cks = child(el, "CKSNNT");
  if (cks) out.taxpayerSignature = innerSource(cks, parsed.source);
  return out;
}

/** Checks the DLieu items of the message at `messagePath` against its header and type. */
function checkPayloads(
  m: MessageInspection,
  info: MessageTypeInfo | undefined,
  messagePath: string,
  add: (code: EnvelopeCode, at: string, params?: Record<string, string>) => void,
): void {
  const items = m.payloads;
  const path = `${messagePath}/DLieu`;
  if (items.length === 0) {
    add("ENVELOPE_NO_PAYLOAD", path);
    return;
  }
  if (m.header.count !== undefined && m.header.count !== items.length) {
    add("ENVELOPE_COUNT_MISMATCH", `${messagePath}/TTChung/SLuong`, {
      count: String(m.header.count),
      items: String(items.length),
    });
  }
  if (!info) return;
  if (!info.many && items.length > 1) {
    add("ENVELOPE_TOO_MANY_PAYLOADS", path, { type: String(info.code), items: String(items.length) });
  }
  if (info.payload === undefined) return;
  const counts = new Map<string, number>();
  for (const item of items) {
    const name = localName(item.name);
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    if (name !== info.payload) {
      add("ENVELOPE_WRONG_PAYLOAD", `${path}/${item.name}[${n}]`, {
        type: String(info.code),
        expected: info.payload,
        found: item.name,
      });
    }
  }
}

/** Children of an element as written in the source (whitespace between them dropped). */
function innerSource(el: XmlElement, source: string): string {
  let out = "";
  for (const c of el.children) out += source.slice(c.start, c.end);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Header rules

/**
 * Checks a header: lengths, party codes, the message id against the sender, MST shape, SLuong, and the
 * fields the message type requires. `path` is the TTChung path used in problems.
 */
export function validateHeader(header: MessageHeader, path = "/TDiep/TTChung"): Problem[] {
  return headerProblems(header, path, messageTypeInfo(header.type), header.count !== undefined);
}

/** `countWritten`: SLuong was present (so a bad value is reported once, not also as missing). */
function headerProblems(
  h: Partial<MessageHeader>,
  path: string,
  info: MessageTypeInfo | undefined,
  countWritten: boolean,
): Problem[] {
  const problems: Problem[] = [];
  const add = (code: EnvelopeCode, field: string, params: Record<string, string>) => {
    problems.push(makeProblem(envelopeCodes, code, `${path}/${field}`, params));
  };
  const fits = (field: keyof typeof MAX, value: string): boolean => {
    if (value.length <= MAX[field]) return true;
    add("ENVELOPE_FIELD_TOO_LONG", field, { field, length: String(value.length), max: String(MAX[field]) });
    return false;
  };
  if (h.version !== undefined) fits("PBan", h.version);
  if (h.sender !== undefined && fits("MNGui", h.sender) && !isSenderCode(h.sender)) {
    add("ENVELOPE_BAD_PARTY_CODE", "MNGui", { value: h.sender });
  }
  if (h.receiver !== undefined && fits("MNNhan", h.receiver) && !isSenderCode(h.receiver)) {
    add("ENVELOPE_BAD_PARTY_CODE", "MNNhan", { value: h.receiver });
  }
  if (h.messageId !== undefined && fits("MTDiep", h.messageId)) {
    const id = h.messageId;
    if (!isAnyMessageId(id)) add("ENVELOPE_BAD_MESSAGE_ID", "MTDiep", { field: "MTDiep", value: id });
    else if (h.sender !== undefined && isSenderCode(h.sender)) {
      if (!id.startsWith(h.sender) || !HEX32.test(id.slice(h.sender.length))) {
        add("ENVELOPE_ID_SENDER_MISMATCH", "MTDiep", { value: id, sender: h.sender });
      }
    }
  }
  if (h.replyTo !== undefined && fits("MTDTChieu", h.replyTo) && !isAnyMessageId(h.replyTo)) {
    add("ENVELOPE_BAD_MESSAGE_ID", "MTDTChieu", { field: "MTDTChieu", value: h.replyTo });
  }
  if (h.taxCode !== undefined && fits("MST", h.taxCode) && !TAX_CODE.test(h.taxCode)) {
    add("ENVELOPE_BAD_TAX_CODE", "MST", { value: h.taxCode });
  }
  if (
    h.count !== undefined &&
    (!Number.isSafeInteger(h.count) || h.count < 1 || String(h.count).length > MAX.SLuong)
  ) {
    add("ENVELOPE_BAD_COUNT", "SLuong", { value: String(h.count) });
  }
  if (info) {
    if (info.replyTo === "required" && h.replyTo === undefined) {
      add("ENVELOPE_FIELD_MISSING", "MTDTChieu", { field: "MTDTChieu" });
    }
    if (info.taxCode === "required" && h.taxCode === undefined) {
      add("ENVELOPE_FIELD_MISSING", "MST", { field: "MST" });
    }
    if (info.count === "required" && !countWritten) {
      add("ENVELOPE_FIELD_MISSING", "SLuong", { field: "SLuong" });
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Writing

export interface WriteMessageOptions {
  /** [CKSNNT] the taxpayer's message signature (206), raw XML written as it is. */
  taxpayerSignature?: string;
}

/**
 * Writes a TDiep around payloads given as XML text (each a whole element, e.g. a signed HDon, inserted
 * byte-exact; a leading XML declaration is dropped). The header is written as given: check it with
 * `validateHeader` first. No namespace is declared on TDiep or DLieu.
 */
export function writeMessage(
  header: MessageHeader,
  payloadXml: readonly string[] | string,
  options: WriteMessageOptions = {},
): string {
  const w = new XmlWriter();
  w.start("TDiep");
  writeHeader(w, header);
  w.start("DLieu");
  const items = typeof payloadXml === "string" ? [payloadXml] : payloadXml;
  for (const item of items) w.raw(stripDeclaration(item));
  w.end();
  if (options.taxpayerSignature !== undefined) w.start("CKSNNT").raw(options.taxpayerSignature).end();
  w.end();
  return w.toString();
}

/** Writes `<TTChung>` of a message (order: PBan, MNGui, MNNhan, MLTDiep, MTDiep, MTDTChieu, MST, SLuong). */
export function writeHeader(w: XmlWriter, h: MessageHeader): void {
  w.start("TTChung")
    .leaf("PBan", h.version)
    .leaf("MNGui", h.sender)
    .leaf("MNNhan", h.receiver)
    .leaf("MLTDiep", String(h.type))
    .leaf("MTDiep", h.messageId)
    .leaf("MTDTChieu", h.replyTo)
    .leaf("MST", h.taxCode)
    .leaf("SLuong", h.count === undefined ? undefined : String(h.count))
    .end();
}

function stripDeclaration(xml: string): string {
  const m = XML_DECLARATION.exec(xml);
  const s = m ? xml.slice(m[0].length) : xml;
  return s.trimEnd();
}

/** The XML text of payload `index` of a message, exactly as it was written. */
export function payloadXml(message: Message, index: number): string {
  const p = message.payloads[index];
  if (!p) throw new RangeError(`no payload ${index}`);
  return message.parsed.source.slice(p.start, p.end);
}
