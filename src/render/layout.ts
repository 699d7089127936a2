/**
 * The page of a Vietnamese invoice as a pdfmake definition: title by kind, symbols and number, the date as
 * "Ngày … tháng … năm …", the authority's code, seller and buyer, the lines (header repeated on each page),
 * totals per VAT rate, the total payable and its words, signature boxes, lookup code and address, a QR code
 * and "Trang x/y". The content follows Circular 32/2011 Art 6 and Decree 123 Art 10 (what an invoice shows);
 * numbers use the invoice's declared style (dots for thousands by default). Pure: no I/O.
 */

import { currencyInfo } from "../domain/currency.ts";
import type { Dec } from "../domain/decimal.ts";
import type { Invoice, InvoiceLine } from "../domain/invoice.ts";
import { formatNumber, type NumberStyle } from "../domain/numfmt.ts";
import { amountInWords } from "../domain/words.ts";
import { type ConversionPurpose, formatLocalTime } from "./conversion.ts";
import { type DocDefinition, FONT_FAMILY, qrCanvas } from "./engine.ts";
import { invoiceTitle, type LabelKey, type Language, label } from "./labels.ts";
import { invoiceQrPayload } from "./qr.ts";
import type { SignatureSummary } from "./signatures.ts";

/** What the renderer may add to the invoice model. */
export interface RenderExtras {
  /** The tax authority's code (MCCQT); default: the invoice's own. */
  readonly authorityCode?: string | undefined;
  /** The secret code a buyer looks the invoice up with. */
  readonly lookupCode?: string | undefined;
  /** The address of the lookup page. */
  readonly lookupUrl?: string | undefined;
  /** One box per signature (from `summariseSignatures`). */
  readonly signatures?: readonly SignatureSummary[] | undefined;
  /** The signed XML, attached to the PDF as its source (PDF/A-3 `AFRelationship /Source`). */
  readonly signedXml?: Uint8Array | string | undefined;
  /** Labels: Vietnamese (default) or Vietnamese with English in brackets. */
  readonly language?: Language | undefined;
  /** "vi" 1.234.567,89 (default) or "en" 1,234,567.89, as the invoice's issuance declared. */
  readonly numberStyle?: NumberStyle | undefined;
  /** Amount in words; default: the invoice's, else computed from the total payable. */
  readonly amountInWords?: string | undefined;
  /** Creation time written into the PDF's metadata (default: now); fixed in tests for identical output. */
  readonly producedAt?: Date | undefined;
}

/** The paper-conversion mark and signature lines (Circular 32/2011 Art 12.4). */
export interface ConversionMark {
  readonly purpose: ConversionPurpose;
  readonly converterName: string;
  readonly convertedAt: Date;
}

type Node = Record<string, unknown> | string;

const GREY = "#555555";
const LINE = "#999999";

/** Everything the layout functions share. */
class Page {
  readonly lang: Language;
  readonly style: NumberStyle;
  readonly minor: number;

  constructor(
    readonly invoice: Invoice,
    readonly extras: RenderExtras,
  ) {
    this.lang = extras.language ?? "vi";
    this.style = extras.numberStyle ?? "vi";
    this.minor = currencyInfo(invoice.header.currency)?.minorUnits ?? 2;
  }

  l(key: LabelKey): string {
    return label(key, this.lang);
  }

  /** A money amount: every decimal it has, at least the currency's minor units. */
  money(d: Dec | undefined): string {
    return d === undefined ? "" : formatNumber(d, { style: this.style, minDecimals: this.minor });
  }

  /** Quantities and prices: exactly as exact as written. */
  plain(d: Dec | undefined): string {
    return d === undefined ? "" : formatNumber(d, { style: this.style });
  }

  /** "Label: value" with the label in grey. */
  field(key: LabelKey, value: string | undefined, bold = false): Node[] {
    if (value === undefined || value.trim() === "") return [];
    return [
      {
        text: [
          { text: `${this.l(key)}: `, color: GREY },
          { text: value, bold },
        ],
        margin: [0, 1, 0, 1],
      },
    ];
  }
}

function dateLine(p: Page, date: string): string {
  const [y, m, d] = date.split("-");
  const en = p.lang === "en" ? " (Date)" : "";
  return `Ngày${en} ${d} tháng ${m} năm ${y}`;
}

function header(p: Page, conversion: ConversionMark | undefined): Node {
  const { invoice } = p;
  const h = invoice.header;
  const code = p.extras.authorityCode ?? invoice.authorityCode;
  const cashRegister = code?.startsWith("M") === true;
  const middle: Node[] = [
    { text: invoiceTitle(h.template, h.series, h.name, p.lang), style: "title" },
    {
      text: conversion ? p.l("conversionMark") : `(${p.l("display")})`,
      alignment: "center",
      bold: conversion !== undefined,
      fontSize: conversion ? 10 : 8,
      margin: [0, 2, 0, 2],
    },
    { text: dateLine(p, h.issueDate), alignment: "center", margin: [0, 2, 0, 2] },
  ];
  if (code)
    middle.push({
      text: [
        { text: `${p.l(cashRegister ? "cashRegisterCode" : "authorityCode")}: ` },
        { text: code, bold: true },
      ],
      alignment: "center",
      fontSize: 8,
    });
  return {
    columns: [
      { width: 80, canvas: qrCanvas(invoiceQrPayload(invoice, code), 80).canvas, margin: [0, 0, 0, 4] },
      { width: "*", stack: middle },
      {
        width: 130,
        stack: [
          ...p.field("template", h.template, true),
          ...p.field("series", h.series, true),
          ...p.field("number", h.number ?? "", true),
        ],
        margin: [8, 10, 0, 0],
      },
    ],
    columnGap: 6,
  };
}

function related(p: Page): Node[] {
  const r = p.invoice.header.related;
  if (!r) return [];
  const what = p.l(r.nature === 1 || r.nature === 3 ? "replaces" : "adjusts");
  const parts = [
    r.template ? `${p.l("template")} ${r.template}` : "",
    r.series ? `${p.l("series")} ${r.series}` : "",
    r.number ? `${p.l("number")} ${r.number}` : "",
    r.date ? `${p.l("of")} ${r.date.split("-").reverse().join("/")}` : "",
    r.listNumber ? `${p.l("relatedList")} ${r.listNumber}` : "",
  ].filter((s) => s !== "");
  const note = r.note ? ` — ${r.note}` : "";
  return [{ text: `${what} ${parts.join(", ")}${note}`, margin: [0, 4, 0, 0] }];
}

function parties(p: Page): Node[] {
  const { seller: s, buyer: b, header: h } = p.invoice;
  const bank = (account?: string, name?: string) =>
    account ? (name ? `${account} ${p.l("bank")} ${name}` : account) : undefined;
  const seller: Node[] = [
    ...p.field("seller", s.name, true),
    ...p.field("taxCode", s.taxCode, true),
    ...p.field("address", s.address),
    ...p.field("store", [s.storeCode, s.storeName].filter(Boolean).join(" — ")),
    ...p.field(
      "phone",
      [s.phone, s.fax ? `Fax: ${s.fax}` : "", s.email ? `Email: ${s.email}` : ""].filter(Boolean).join("   "),
    ),
    ...p.field("bankAccount", bank(s.bankAccount, s.bankName)),
    ...p.field("decision", [s.decisionNumber, s.decisionDate, s.decisionIssuer].filter(Boolean).join(", ")),
    ...p.field("dispatchOrder", s.dispatchOrder),
    ...p.field(
      "economicContract",
      [s.economicContractNumber, s.economicContractDate].filter(Boolean).join(", "),
    ),
    ...p.field("dispatcher", s.dispatcher),
    ...p.field("carrier", s.carrier),
    ...p.field("transportMeans", s.transportMeans),
    ...p.field("transportContract", s.transportContract),
  ];
  const exchange =
    h.currency !== "VND" && h.exchangeRate
      ? `${h.currency}   ${p.l("exchangeRate")}: ${p.plain(h.exchangeRate)}`
      : "";
  const buyer: Node[] = [
    ...p.field("buyerPerson", b.contactName ?? b.receiver),
    ...p.field("buyerUnit", b.name, true),
    ...p.field("taxCode", b.taxCode, true),
    ...p.field("budgetUnit", b.budgetUnitCode),
    ...p.field("citizenId", b.citizenId ?? b.idDocument),
    ...p.field("passport", b.passport),
    ...p.field("address", b.address),
    ...p.field("deliveryPlace", b.deliveryPlace),
    ...p.field("customerCode", b.customerCode),
    ...p.field("phone", b.phone),
    ...p.field("bankAccount", bank(b.bankAccount, b.bankName)),
    ...p.field("paymentMethod", h.paymentMethod),
    ...p.field("currency", exchange),
  ];
  const rule = { canvas: [{ type: "line", x1: 0, y1: 0, x2: 535, y2: 0, lineWidth: 0.5, lineColor: LINE }] };
  return [rule, { stack: seller, margin: [0, 4, 0, 4] }, rule, { stack: buyer, margin: [0, 4, 0, 6] }];
}

function rateText(code: string, p: Page): string {
  if (code === "KCT") return p.lang === "en" ? "KCT (exempt)" : "KCT";
  if (code === "KKKNT") return "KKKNT";
  if (code.startsWith("KHAC:")) return `${p.lang === "en" ? "Khác (other)" : "Khác"} ${code.slice(5)}`;
  return code;
}

function linesTable(p: Page): Node {
  const { lines } = p.invoice;
  const withDiscount = lines.some((l) => l.discountAmount !== undefined || l.discountRate !== undefined);
  const withRate = lines.some((l) => l.vatRate !== undefined);
  const th = (key: LabelKey) => ({ text: p.l(key), style: "th" });
  const head: Node[] = [th("lineNo"), th("itemName"), th("unit"), th("quantity"), th("unitPrice")];
  const widths: Array<number | string> = [22, "*", 38, 46, 62];
  if (withDiscount) {
    head.push(th("discount"));
    widths.push(52);
  }
  head.push(th("amount"));
  widths.push(70);
  if (withRate) {
    head.push(th("vatRate"));
    widths.push(40);
  }
  const columns = head.length;
  const body: Node[][] = [head];
  lines.forEach((line: InvoiceLine, i) => {
    const no = { text: String(line.lineNo ?? i + 1), alignment: "center" };
    if (line.nature === 4) {
      // A note line: its text across the whole row.
      const row: Node[] = [no, { text: line.itemName, colSpan: columns - 1, color: GREY }];
      for (let c = 2; c < columns; c++) row.push("");
      body.push(row);
      return;
    }
    const suffix =
      line.nature === 2 ? ` (${p.l("promotion")})` : line.nature === 3 ? ` (${p.l("tradeDiscount")})` : "";
    const sign = line.nature === 3 && line.amount && !line.amount.isNegative() ? "-" : "";
    const name: Node[] = [{ text: line.itemName + suffix }];
    for (const g of line.specialGoods ?? [])
      name.push({ text: `${g.name}: ${g.value}`, fontSize: 7, color: GREY });
    const row: Node[] = [
      no,
      { stack: name },
      { text: line.unit ?? "", alignment: "center" },
      { text: p.plain(line.quantity), alignment: "right" },
      { text: p.plain(line.unitPrice), alignment: "right" },
    ];
    if (withDiscount) {
      const rate = line.discountRate ? `${p.plain(line.discountRate)}%` : "";
      const amount = p.money(line.discountAmount);
      row.push({ text: [rate, amount].filter(Boolean).join("\n"), alignment: "right" });
    }
    row.push({ text: line.amount ? sign + p.money(line.amount) : "", alignment: "right" });
    if (withRate) row.push({ text: line.vatRate ? rateText(line.vatRate, p) : "", alignment: "center" });
    body.push(row);
  });
  return {
    table: { headerRows: 1, dontBreakRows: true, widths, body },
    layout: {
      hLineWidth: () => 0.5,
      vLineWidth: () => 0.5,
      hLineColor: () => LINE,
      vLineColor: () => LINE,
      paddingTop: () => 2,
      paddingBottom: () => 2,
    },
    margin: [0, 2, 0, 6],
  };
}

function totals(p: Page): Node[] {
  const t = p.invoice.totals;
  const out: Node[] = [];
  const grid = {
    hLineWidth: () => 0.5,
    vLineWidth: () => 0.5,
    hLineColor: () => LINE,
    vLineColor: () => LINE,
  };
  if (t.byRate.length > 0) {
    const th = (key: LabelKey) => ({ text: p.l(key), style: "th" });
    const body: Node[][] = [[th("vatRate"), th("amountBeforeVat"), th("vatAmount"), th("totalWithVat")]];
    for (const r of t.byRate) {
      const sum = r.vatAmount ? r.amount.add(r.vatAmount) : r.amount;
      body.push([
        { text: rateText(r.vatRate, p), alignment: "center" },
        { text: p.money(r.amount), alignment: "right" },
        { text: r.vatAmount ? p.money(r.vatAmount) : "", alignment: "right" },
        { text: p.money(sum), alignment: "right" },
      ]);
    }
    out.push({ text: p.l("byRate"), bold: true, margin: [0, 2, 0, 2] });
    out.push({
      table: { headerRows: 1, widths: [70, "*", "*", "*"], body },
      layout: grid,
      margin: [0, 0, 0, 4],
    });
  }
  const rows: Array<[string, string, boolean]> = [];
  const add = (key: LabelKey, d: Dec | undefined, bold = false) => {
    if (d !== undefined) rows.push([p.l(key), p.money(d), bold]);
  };
  add("totalBeforeVat", t.totalBeforeVat);
  add("totalVat", t.totalVat);
  for (const fee of t.fees) rows.push([fee.name, p.money(fee.amount), false]);
  add("tradeDiscount", t.tradeDiscount);
  add("nonTaxable", t.nonTaxableDeductions);
  add("otherDeductions", t.otherDeductions);
  add("totalPayable", t.totalPayable, true);
  out.push({
    table: {
      widths: ["*", 140],
      body: rows.map(([name, value, bold]) => [
        { text: `${name}:`, alignment: "right", bold },
        { text: value, alignment: "right", bold },
      ]),
    },
    layout: "noBorders",
    unbreakable: true,
  });
  const words =
    p.extras.amountInWords ??
    (t.totalPayableInWords.trim() !== ""
      ? t.totalPayableInWords
      : amountInWords(t.totalPayable, { currency: p.invoice.header.currency }));
  out.push({
    text: [
      { text: `${p.l("inWords")}: `, color: GREY },
      { text: words, bold: true },
    ],
    margin: [0, 4, 0, 8],
  });
  return out;
}

function signatureBox(p: Page, role: "buyer" | "seller" | "authority"): Node {
  const key: LabelKey = role === "buyer" ? "buyerSign" : role === "seller" ? "sellerSign" : "authoritySign";
  const sig = p.extras.signatures?.find((s) => s.role === role);
  const stack: Node[] = [
    { text: p.l(key), bold: true, alignment: "center" },
    { text: p.l("signHint"), fontSize: 7, alignment: "center", color: GREY },
  ];
  if (sig) {
    const color = sig.valid ? "#1a7f37" : "#c62828";
    const inner: Node[] = [
      { text: sig.valid ? p.l("signatureValid") : p.l("signatureInvalid"), bold: true, color },
      { text: `${p.l("signedBy")}: ${sig.signer}`, color },
    ];
    if (sig.signingTime) {
      inner.push({ text: `${p.l("signedAt")}: ${formatLocalTime(new Date(sig.signingTime))}`, color });
    }
    if (sig.test) inner.push({ text: p.l("testCertificate"), bold: true, color: "#c62828" });
    stack.push({
      table: { widths: ["*"], body: [[{ stack: inner, fontSize: 7.5, margin: [2, 2, 2, 2] }]] },
      layout: { hLineColor: () => color, vLineColor: () => color },
      margin: [10, 4, 10, 0],
    });
  }
  return { stack, width: "*" };
}

function signatures(p: Page): Node[] {
  const boxes: Node[] = [signatureBox(p, "buyer"), signatureBox(p, "seller")];
  const out: Node[] = [{ columns: boxes, columnGap: 20, unbreakable: true, margin: [0, 4, 0, 6] }];
  if (p.extras.signatures?.some((s) => s.role === "authority")) {
    out.push({
      columns: [{ text: "", width: "*" }, signatureBox(p, "authority")],
      columnGap: 20,
      margin: [0, 0, 0, 6],
    });
  }
  return out;
}

function lookup(p: Page): Node[] {
  const { lookupCode, lookupUrl } = p.extras;
  const parts: Node[] = [];
  if (lookupUrl) parts.push(...p.field("lookupAt", lookupUrl));
  if (lookupCode) parts.push(...p.field("lookupCode", lookupCode, true));
  return parts.length > 0 ? [{ stack: parts, fontSize: 8, margin: [0, 2, 0, 2] }] : [];
}

function conversionBlock(p: Page, c: ConversionMark): Node[] {
  const converter: Node = {
    width: "*",
    stack: [
      { text: p.l("converter"), bold: true, alignment: "center" },
      { text: p.l("signAndName"), fontSize: 7, alignment: "center", color: GREY },
      { text: " ", margin: [0, 22, 0, 0] },
      { text: c.converterName, bold: true, alignment: "center" },
      { text: `${p.l("convertedAt")}: ${formatLocalTime(c.convertedAt)}`, alignment: "center", fontSize: 8 },
    ],
  };
  const columns: Node[] = [converter];
  if (c.purpose === "origin_of_goods") {
    columns.unshift({
      width: "*",
      stack: [
        { text: p.l("legalRep"), bold: true, alignment: "center" },
        { text: p.l("signSealName"), fontSize: 7, alignment: "center", color: GREY },
      ],
    });
  } else {
    columns.unshift({ text: "", width: "*" });
  }
  return [
    {
      stack: [
        { text: p.l("conversionMark"), bold: true, alignment: "center", fontSize: 10, margin: [0, 0, 0, 2] },
        {
          text: p.l(c.purpose === "origin_of_goods" ? "purposeOrigin" : "purposeArchive"),
          alignment: "center",
          fontSize: 8,
          margin: [0, 0, 0, 4],
        },
        { columns, columnGap: 20 },
      ],
      unbreakable: true,
      margin: [0, 8, 0, 0],
    },
  ];
}

/**
 * NFC everywhere: text in NFD renders with misplaced marks and extracts badly (deps.md §4). The nodes are
 * ours, freshly built, so strings are replaced in place; ASCII needs no normalising.
 */
function nfc(node: unknown): unknown {
  if (typeof node === "string") {
    return /^[\x00-\x7f]*$/.test(node) ? node : node.normalize("NFC");
  }
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = nfc(node[i]);
  } else if (node !== null && typeof node === "object" && Object.getPrototypeOf(node) === Object.prototype) {
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = nfc(record[key]);
  }
  return node;
}

/** Name of the attached XML inside the PDF's file table and its attachment list. */
export const ATTACHMENT_NAME = "invoice.xml";

/** The pdfmake definition of an invoice (and, with `conversion`, of its paper conversion). */
export function invoiceDefinition(
  invoice: Invoice,
  extras: RenderExtras,
  conversion?: ConversionMark,
): DocDefinition {
  const p = new Page(invoice, extras);
  const h = invoice.header;
  const symbol = `${h.template}${h.series}`;
  const content: Node[] = [
    header(p, conversion),
    ...related(p),
    ...parties(p),
    linesTable(p),
    ...totals(p),
    ...signatures(p),
    ...lookup(p),
    ...(conversion ? conversionBlock(p, conversion) : []),
  ];
  const producedAt = extras.producedAt ?? new Date();
  const pageLabel = p.l("page");
  const continued = `${p.l("series")} ${symbol} — ${p.l("number")} ${h.number ?? ""}`.normalize("NFC");
  const mark = conversion ? p.l("conversionMark").normalize("NFC") : undefined;
  const definition: DocDefinition = {
    pageSize: "A4",
    pageMargins: [30, 36, 30, 36],
    version: "1.7",
    subset: "PDF/A-3b",
    language: "vi-VN",
    info: {
      title: `${invoiceTitle(h.template, h.series, h.name, "vi")} ${symbol} ${h.number ?? ""}`.trim(),
      author: invoice.seller.name,
      subject: `${symbol} ${h.number ?? ""} ${h.issueDate}`,
      creator: "hddt",
      producer: "hddt (pdfmake)",
      creationDate: producedAt,
      modDate: producedAt,
    },
    defaultStyle: { font: FONT_FAMILY, fontSize: 8.5, lineHeight: 1.1 },
    styles: {
      title: { fontSize: 14, bold: true, alignment: "center", margin: [0, 4, 0, 0] },
      th: { bold: true, alignment: "center", fillColor: "#eeeeee", fontSize: 8 },
    },
    header: (current: number) => {
      const items: Node[] = [];
      if (mark) items.push({ text: mark, bold: true, alignment: "center", fontSize: 8 });
      if (current > 1) items.push({ text: continued, alignment: "right", fontSize: 7, color: GREY });
      return { stack: items, margin: [30, 14, 30, 0] };
    },
    footer: (current: number, count: number) => ({
      columns: [
        { text: invoice.seller.name.normalize("NFC"), fontSize: 7, color: GREY },
        { text: `${pageLabel} ${current}/${count}`, alignment: "right", fontSize: 8 },
      ],
      margin: [30, 10, 30, 0],
    }),
    content: nfc(content),
  };
  if (extras.signedXml !== undefined) {
    definition.files = {
      [ATTACHMENT_NAME]: {
        src: `attachments/${ATTACHMENT_NAME}`,
        name: ATTACHMENT_NAME,
        type: "application/xml",
        description: "Hóa đơn điện tử gốc (XML đã ký) — signed e-invoice XML".normalize("NFC"),
        relationship: "Source",
        creationDate: producedAt,
        modifiedDate: producedAt,
      },
    };
  }
  return definition;
}
