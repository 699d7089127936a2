/**
 * 01/TB-KTDL, the tax authority's data-check result (message 204; reference §5.4, LTBao in §5.5).
 *
 * `TBao{DLTBao@Id{PBan, MSo, Ten, So, DDanh, NTBao, MST, MDVQHNSach?, TNNT, TGGui?, LTBao, CCu, MGDDTu?,
 * SLuong?, then the list for the notice type}, STBao?, DSCKS{CQT}}`. The lists, by LTBao:
 * - LCMa (1, invoice not eligible for a code): the invoice and its errors;
 * - LHDKMa (3, no-code invoices invalid): DSHDon/HDon{STT?, KHMSHDon, KHHDon, SHDon, DSLDo};
 * - LBTHKXDau (4, non-fuel summary table / 03/DL-HĐĐT) and LBTHXDau (5, fuel summary table):
 *   DSBTHop/BTHop{STT?, KDLieu, LDau, BSLThu?, SBTHDLieu?, DSLDTTChung/LDTTChung*, then DSLHDon/HDon* (non-fuel)
 *   or DSLMHang/MHang* (fuel)};
 * - KHLKhac (9, other errors): DSLDo;
 * - LHDMTTien (7, cash-register package, QĐ 1510): DSLDo.
 * LTBao 2 (valid package) and 6 (per-occurrence application) carry no list. The reader takes whichever lists
 * are present and does not tie them to LTBao (a validator may).
 *
 * Error lines are `LDo{STT?, MLoi, MTLoi, HDXLy, GChu?}` (reference §5.4). Their fields are optional when read
 * (tax-authority data are taken as they come). Structure and order of the lists: QĐ 1450/1510 models in
 * `huyvq8899/pmbk_bill_dn_be` PhanII/II/3. LTBao: the reference lists 1–7 and 9; 8 is accepted too (the
 * brief's 1–9 range) since no source assigns or forbids it.
 */
import type { Result } from "../../domain/problem.ts";
import { attr, child, childrenNamed, type XmlElement, XmlWriter } from "../xml.ts";
import {
  FormReader,
  type FormReadOptions,
  itemPath,
  type NoticeStamp,
  numText,
  type Reason,
  readNoticeStamp,
  readOptReasons,
  readSignatures,
  type SignatureSlot,
  writeNoticeStamp,
  writeReasons,
  writeSignatures,
} from "./common.ts";

export const CHECK_RESULT_FORM = "01/TB-KTDL";

// No codes of its own: missing fields and bad values are reported with `formCommonCodes` (common.ts).

/**
 * [LTBao] (Annex XI): 1 invoice not eligible for a code; 2 data package valid; 3 no-code invoices invalid;
 * 4 non-fuel summary table or 03/DL-HĐĐT declaration invalid; 5 fuel summary table invalid; 6 per-occurrence
 * application through the portal invalid; 7 cash-register package invalid; 9 other errors. 8: unassigned.
 */
export type CheckNoticeType = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
export const CHECK_NOTICE_TYPES: readonly CheckNoticeType[] = [1, 2, 3, 4, 5, 6, 7, 8, 9];

/** [LDau] 1 first submission, 0 supplement. */
export type FirstSubmission = 0 | 1;
export const FIRST_SUBMISSION: readonly FirstSubmission[] = [0, 1];

/** LCMa: the invoice refused a code. */
export interface CodeRefusal {
  /** [KHMSHDon] */
  template: string;
  /** [KHHDon] */
  series: string;
  /** [SHDon] */
  number: string;
  /** [Ngay] */
  date: string;
  /** [DSLDo] */
  reasons?: Reason[];
}

/** LHDKMa/DSHDon/HDon: one invalid no-code invoice. */
export interface NoCodeInvoiceCheck {
  /** [STT] */
  index?: number;
  /** [KHMSHDon] */
  template: string;
  /** [KHHDon] */
  series: string;
  /** [SHDon] */
  number: string;
  /** [DSLDo] */
  reasons?: Reason[];
}

/** DSLHDon/HDon of a non-fuel summary-table check. */
export interface SummaryInvoiceCheck {
  /** [STT] */
  index?: number;
  /** [KHMSHDon] ≤11 */
  template?: string;
  /** [KHHDon] ≤8 */
  series?: string;
  /** [SHDon] */
  number?: string;
  /** [Ngay] */
  date?: string;
  /** [TNMua] buyer name */
  buyerName?: string;
  /** [DSLDo] */
  reasons?: Reason[];
}

/** DSLMHang/MHang of a fuel summary-table check. */
export interface SummaryItemCheck {
  /** [STT] */
  index?: number;
  /** [MHHoa] item code (≤50) */
  itemCode: string;
  /** [THHDVu] item name (≤500) */
  itemName: string;
  /** [KDLieu] adjusted period */
  period?: string;
  /** [DSLDo] */
  reasons?: Reason[];
}

/** BTHop: result for one summary table (or 03/DL-HĐĐT declaration). */
export interface SummaryTableCheck {
  /** [STT] */
  index?: number;
  /** [KDLieu] data period (MM/YYYY, or DD/MM/YYYY for daily tables, ≤10). */
  period: string;
  /** [LDau] */
  first: FirstSubmission;
  /** [BSLThu] supplement number (when first = 0). */
  supplementNo?: number;
  /** [SBTHDLieu] number of the summary table. */
  tableNumber?: number;
  /** [DSLDTTChung/LDTTChung] errors in the table's general information. */
  generalReasons?: Reason[];
  /** [DSLHDon/HDon] (non-fuel tables) */
  invoices?: SummaryInvoiceCheck[];
  /** [DSLMHang/MHang] (fuel tables) */
  items?: SummaryItemCheck[];
}

/** 01/TB-KTDL. */
export interface CheckResult {
  /** [DLTBao@Id] */
  id?: string;
  /** [PBan] */
  version: string;
  /** [MSo] "01/TB-KTDL" */
  form: string;
  /** [Ten] */
  name: string;
  /** [So] notice number (≤30) */
  number: string;
  /** [DDanh] */
  place: string;
  /** [NTBao] */
  date: string;
  /** [MST] */
  taxCode?: string;
  /** [MDVQHNSach] */
  budgetUnitCode?: string;
  /** [TNNT] */
  taxpayerName: string;
  /** [TGGui] when the taxpayer sent the data. */
  sentAt?: string;
  /** [LTBao] */
  noticeType: CheckNoticeType;
  /** [CCu] basis: the name of the received message type (≤255). */
  basis: string;
  /** [MGDDTu] MTDiep of the checked message (≤46). */
  transactionId?: string;
  /** [SLuong] number of data items in the package (≤7 digits). */
  count?: number;
  /** [LCMa] */
  codeRefusal?: CodeRefusal;
  /** [LHDKMa/DSHDon] */
  noCodeInvoices?: NoCodeInvoiceCheck[];
  /** [LBTHKXDau/DSBTHop] */
  nonFuelTables?: SummaryTableCheck[];
  /** [LBTHXDau/DSBTHop] */
  fuelTables?: SummaryTableCheck[];
  /** [KHLKhac/DSLDo] */
  otherReasons?: Reason[];
  /** [LHDMTTien/DSLDo] */
  cashRegisterReasons?: Reason[];
  /** [STBao] */
  stamp?: NoticeStamp;
  /** [DSCKS] CQT slot */
  signatures: SignatureSlot[];
}

export function readCheckResult(el: XmlElement, options: FormReadOptions = {}): Result<CheckResult> {
  const r = new FormReader(options);
  const root = r.root(el, "TBao");
  const p = `${root}/DLTBao`;
  const d = r.group(el, root, "DLTBao");
  const { taxCode, budgetUnitCode } = r.taxpayerId(d, p);

  let codeRefusal: CodeRefusal | undefined;
  const lcma = child(d, "LCMa");
  if (lcma) {
    const lp = `${p}/LCMa`;
    codeRefusal = {
      template: r.str(lcma, lp, "KHMSHDon"),
      series: r.str(lcma, lp, "KHHDon"),
      number: r.str(lcma, lp, "SHDon"),
      date: r.date(lcma, lp, "Ngay"),
      reasons: readOptReasons(r, lcma, lp, "DSLDo"),
    };
  }

  let noCodeInvoices: NoCodeInvoiceCheck[] | undefined;
  const lhdkma = child(d, "LHDKMa");
  if (lhdkma) {
    const lp = `${p}/LHDKMa/DSHDon`;
    noCodeInvoices = childrenNamed(child(lhdkma, "DSHDon"), "HDon").map((h, i) => {
      const hp = itemPath(lp, "HDon", i);
      return {
        index: r.optInt(h, hp, "STT"),
        template: r.str(h, hp, "KHMSHDon"),
        series: r.str(h, hp, "KHHDon"),
        number: r.str(h, hp, "SHDon"),
        reasons: readOptReasons(r, h, hp, "DSLDo"),
      };
    });
  }

  const nonFuel = child(d, "LBTHKXDau");
  const fuel = child(d, "LBTHXDau");
  const khlkhac = child(d, "KHLKhac");
  const mtt = child(d, "LHDMTTien");

  return r.result({
    id: d && attr(d, "Id"),
    version: r.str(d, p, "PBan"),
    form: r.str(d, p, "MSo"),
    name: r.str(d, p, "Ten"),
    number: r.str(d, p, "So"),
    place: r.str(d, p, "DDanh"),
    date: r.date(d, p, "NTBao"),
    taxCode,
    budgetUnitCode,
    taxpayerName: r.str(d, p, "TNNT"),
    sentAt: r.optDate(d, p, "TGGui"),
    noticeType: r.code(d, p, "LTBao", CHECK_NOTICE_TYPES),
    basis: r.str(d, p, "CCu"),
    transactionId: r.optStr(d, "MGDDTu"),
    count: r.optInt(d, p, "SLuong"),
    codeRefusal,
    noCodeInvoices,
    nonFuelTables: nonFuel ? readTables(r, nonFuel, `${p}/LBTHKXDau`) : undefined,
    fuelTables: fuel ? readTables(r, fuel, `${p}/LBTHXDau`) : undefined,
    otherReasons: khlkhac ? readOptReasons(r, khlkhac, `${p}/KHLKhac`, "DSLDo") : undefined,
    cashRegisterReasons: mtt ? readOptReasons(r, mtt, `${p}/LHDMTTien`, "DSLDo") : undefined,
    stamp: readNoticeStamp(r, el, root),
    signatures: readSignatures(child(el, "DSCKS"), r.source),
  });
}

function readTables(r: FormReader, list: XmlElement, path: string): SummaryTableCheck[] {
  const lp = `${path}/DSBTHop`;
  return childrenNamed(child(list, "DSBTHop"), "BTHop").map((b, i) => {
    const bp = itemPath(lp, "BTHop", i);
    const table: SummaryTableCheck = {
      index: r.optInt(b, bp, "STT"),
      period: r.str(b, bp, "KDLieu"),
      first: r.code(b, bp, "LDau", FIRST_SUBMISSION),
      supplementNo: r.optInt(b, bp, "BSLThu"),
      tableNumber: r.optInt(b, bp, "SBTHDLieu"),
      generalReasons: readOptReasons(r, b, bp, "DSLDTTChung", "LDTTChung"),
      invoices: undefined,
      items: undefined,
    };
    const invoices = child(b, "DSLHDon");
    if (invoices) {
      table.invoices = childrenNamed(invoices, "HDon").map((h, j) => {
        const hp = itemPath(`${bp}/DSLHDon`, "HDon", j);
        return {
          index: r.optInt(h, hp, "STT"),
          template: r.optStr(h, "KHMSHDon"),
          series: r.optStr(h, "KHHDon"),
          number: r.optStr(h, "SHDon"),
          date: r.optDate(h, hp, "Ngay"),
          buyerName: r.optStr(h, "TNMua"),
          reasons: readOptReasons(r, h, hp, "DSLDo"),
        };
      });
    }
    const items = child(b, "DSLMHang");
    if (items) {
      table.items = childrenNamed(items, "MHang").map((m, j) => {
        const mp = itemPath(`${bp}/DSLMHang`, "MHang", j);
        return {
          index: r.optInt(m, mp, "STT"),
          itemCode: r.str(m, mp, "MHHoa"),
          itemName: r.str(m, mp, "THHDVu"),
          period: r.optStr(m, "KDLieu"),
          reasons: readOptReasons(r, m, mp, "DSLDo"),
        };
      });
    }
    return table;
  });
}

export function writeCheckResult(x: CheckResult): string {
  const w = new XmlWriter();
  w.start("TBao").start("DLTBao", { Id: x.id });
  w.leaf("PBan", x.version)
    .leaf("MSo", x.form)
    .leaf("Ten", x.name)
    .leaf("So", x.number)
    .leaf("DDanh", x.place)
    .leaf("NTBao", x.date)
    .leaf("MST", x.taxCode)
    .leaf("MDVQHNSach", x.budgetUnitCode)
    .leaf("TNNT", x.taxpayerName)
    .leaf("TGGui", x.sentAt)
    .leaf("LTBao", String(x.noticeType))
    .leaf("CCu", x.basis)
    .leaf("MGDDTu", x.transactionId)
    .leaf("SLuong", numText(x.count));
  if (x.codeRefusal) {
    const c = x.codeRefusal;
    w.start("LCMa").leaf("KHMSHDon", c.template).leaf("KHHDon", c.series).leaf("SHDon", c.number);
    w.leaf("Ngay", c.date);
    writeReasons(w, "DSLDo", c.reasons, "MTLoi");
    w.end();
  }
  if (x.noCodeInvoices) {
    w.start("LHDKMa").start("DSHDon");
    for (const h of x.noCodeInvoices) {
      w.start("HDon")
        .leaf("STT", numText(h.index))
        .leaf("KHMSHDon", h.template)
        .leaf("KHHDon", h.series)
        .leaf("SHDon", h.number);
      writeReasons(w, "DSLDo", h.reasons, "MTLoi");
      w.end();
    }
    w.end().end();
  }
  writeTables(w, "LBTHKXDau", x.nonFuelTables);
  writeTables(w, "LBTHXDau", x.fuelTables);
  if (x.otherReasons) {
    w.start("KHLKhac");
    writeReasons(w, "DSLDo", x.otherReasons, "MTLoi");
    w.end();
  }
  if (x.cashRegisterReasons) {
    w.start("LHDMTTien");
    writeReasons(w, "DSLDo", x.cashRegisterReasons, "MTLoi");
    w.end();
  }
  w.end();
  writeNoticeStamp(w, x.stamp);
  writeSignatures(w, x.signatures);
  return w.end().toString();
}

function writeTables(w: XmlWriter, listName: string, tables: readonly SummaryTableCheck[] | undefined): void {
  if (!tables) return;
  w.start(listName).start("DSBTHop");
  for (const t of tables) {
    w.start("BTHop")
      .leaf("STT", numText(t.index))
      .leaf("KDLieu", t.period)
      .leaf("LDau", String(t.first))
      .leaf("BSLThu", numText(t.supplementNo))
      .leaf("SBTHDLieu", numText(t.tableNumber));
    writeReasons(w, "DSLDTTChung", t.generalReasons, "MTLoi", "LDTTChung");
    if (t.invoices) {
      w.start("DSLHDon");
      for (const h of t.invoices) {
        w.start("HDon")
          .leaf("STT", numText(h.index))
          .leaf("KHMSHDon", h.template)
          .leaf("KHHDon", h.series)
          .leaf("SHDon", h.number)
          .leaf("Ngay", h.date)
          .leaf("TNMua", h.buyerName);
        writeReasons(w, "DSLDo", h.reasons, "MTLoi");
        w.end();
      }
      w.end();
    }
    if (t.items) {
      w.start("DSLMHang");
      for (const m of t.items) {
        w.start("MHang")
          .leaf("STT", numText(m.index))
          .leaf("MHHoa", m.itemCode)
          .leaf("THHDVu", m.itemName)
          .leaf("KDLieu", m.period);
        writeReasons(w, "DSLDo", m.reasons, "MTLoi");
        w.end();
      }
      w.end();
    }
    w.end();
  }
  w.end().end();
}
