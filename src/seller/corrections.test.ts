import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sampleInvoice, withTotals } from "../../test/support/invoices.ts";
import { Dec } from "../domain/decimal.ts";
import type { Invoice, InvoiceLine } from "../domain/invoice.ts";
import type { Result } from "../domain/problem.ts";
import { validateInvoice } from "../domain/validate.ts";
import { wordsMatch } from "../domain/words.ts";
import { readAdjustmentList, writeAdjustmentList } from "../format/forms/adjustment-list.ts";
import { readErrorNotice, writeErrorNotice } from "../format/forms/error-notice.ts";
import { parseXml } from "../format/xml.ts";
import {
  applyChange,
  type CorrectionDraft,
  correctionNote,
  type InvoiceChange,
  planAdjustment,
  planBulkCorrection,
  planCancellation,
  planErrorNotice,
  planReplacement,
  requiredCorrection,
} from "./corrections.ts";

const d = Dec.parse;

/** One original per regime, with a series of its year; every date lies inside an 8% window (the sample uses 8%). */
const REGIMES = {
  legacy: { date: "2022-03-10", series: "K22TAA", later: "2022-04-05" },
  d123: { date: "2024-03-15", series: "K24TAA", later: "2024-04-02" },
  d70: { date: "2025-07-15", series: "K25TAA", later: "2025-08-01" },
  d254: { date: "2026-08-10", series: "K26TAA", later: "2026-08-20" },
} as const;
type RegimeKey = keyof typeof REGIMES;
const KEYS = Object.keys(REGIMES) as RegimeKey[];

function original(regime: RegimeKey, lines = 4, number = "12"): Invoice {
  const r = REGIMES[regime];
  return sampleInvoice(lines, { issueDate: r.date, series: r.series, number });
}

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.problems.map((p) => `${p.code}@${p.path}`).join(", ")}`);
  return r.value;
}

function codes<T>(r: Result<T>): string[] {
  return r.ok ? [] : r.problems.map((p) => p.code);
}

function draftErrors(inv: Invoice): string[] {
  return validateInvoice(inv, { stage: "draft" })
    .filter((p) => p.severity === "error")
    .map((p) => `${p.code}@${p.path}`);
}

/** original + sign × adjustment, per total. */
function combined(orig: Invoice, draft: CorrectionDraft) {
  const s = Dec.of(BigInt(draft.sign));
  const t = draft.invoice.totals;
  return {
    before: orig.totals.totalBeforeVat!.add(t.totalBeforeVat!.mul(s)),
    vat: orig.totals.totalVat!.add(t.totalVat!.mul(s)),
    payable: orig.totals.totalPayable.add(t.totalPayable.mul(s)),
  };
}

describe("planAdjustment", () => {
  for (const key of KEYS) {
    it(`${key}: an increase of quantity gives positive difference lines and a valid draft`, () => {
      const orig = original(key);
      const draft = value(
        planAdjustment(orig, { lines: [{ line: 0, quantity: d("3") }] }, { issueDate: REGIMES[key].later }),
      );
      expect(draft.direction).toBe("increase");
      expect(draft.sign).toBe(1);
      const line = draft.invoice.lines[0]!;
      // Line 0: quantity 1 → 3 at 125000.5, 10%.
      expect(line.quantity?.toPlain()).toBe("2");
      expect(line.unitPrice?.toPlain()).toBe("125000.5");
      expect(line.amount?.toPlain()).toBe("250001");
      expect(draft.invoice.totals.byRate).toEqual([
        { vatRate: "10%", amount: d("250001"), vatAmount: d("25000") },
      ]);
      expect(draft.invoice.totals.totalPayable.toPlain()).toBe("275001");
      const rel = draft.invoice.header.related!;
      expect(rel).toMatchObject({
        nature: 2,
        relatedKind: 1,
        template: "1",
        series: REGIMES[key].series,
        number: "12",
        date: REGIMES[key].date,
      });
      expect(draftErrors(draft.invoice)).toEqual([]);
      const target = value(applyChange(orig, { lines: [{ line: 0, quantity: d("3") }] }));
      const sum = combined(orig, draft);
      expect(sum.payable.eq(target.totals.totalPayable)).toBe(true);
      expect(sum.vat.eq(target.totals.totalVat!)).toBe(true);
    });
  }

  for (const key of ["d123", "d70", "d254"] as const) {
    it(`${key}: a decrease is written with negative amounts`, () => {
      const orig = original(key);
      const draft = value(
        planAdjustment(orig, { lines: [{ line: 1, quantity: d("1") }] }, { issueDate: REGIMES[key].later }),
      );
      expect(draft.direction).toBe("decrease");
      expect(draft.sign).toBe(1);
      // Line 1: quantity 2 → 1 at 126000.5, 8%.
      expect(draft.invoice.lines[0]!.quantity?.toPlain()).toBe("-1");
      expect(draft.invoice.lines[0]!.amount?.toPlain()).toBe("-126000");
      expect(draft.invoice.totals.totalPayable.isNegative()).toBe(true);
      expect(wordsMatch(draft.invoice.totals.totalPayableInWords, draft.invoice.totals.totalPayable)).toBe(
        true,
      );
      expect(draft.invoice.header.related!.note).toBe(
        `Điều chỉnh cho hóa đơn Mẫu số 1 ký hiệu ${REGIMES[key].series} số 12 ngày ${REGIMES[key].date.slice(8)} tháng ${REGIMES[key].date.slice(5, 7)} năm ${REGIMES[key].date.slice(0, 4)}`,
      );
      expect(draftErrors(draft.invoice)).toEqual([]);
    });
  }

  it("legacy (Circular 32/2011): a decrease is written unsigned with 'giảm' and sign −1", () => {
    const orig = original("legacy");
    const change: InvoiceChange = { lines: [{ line: 1, quantity: d("1") }] };
    const draft = value(planAdjustment(orig, change, { issueDate: "2022-04-05" }));
    expect(draft.direction).toBe("decrease");
    expect(draft.sign).toBe(-1);
    for (const l of draft.invoice.lines) expect(l.amount?.isNegative()).toBe(false);
    expect(draft.invoice.header.related!.note).toBe(
      "Điều chỉnh giảm số lượng hàng hóa, tiền thuế giá trị gia tăng cho hóa đơn điện tử số 12, ký hiệu K22TAA",
    );
    expect(draftErrors(draft.invoice)).toEqual([]);
    const target = value(applyChange(orig, change));
    expect(combined(orig, draft).payable.eq(target.totals.totalPayable)).toBe(true);
  });

  it("legacy: a larger trade discount is written as an unsigned decrease line", () => {
    const base = original("legacy", 2);
    const orig = withTotals({
      ...base,
      lines: [
        ...base.lines,
        { nature: 3, lineNo: 3, itemName: "Chiết khấu thương mại", amount: d("1000"), vatRate: "10%" },
      ],
    });
    const change: InvoiceChange = { lines: [{ line: 2, amount: d("3000") }] };
    const draft = value(planAdjustment(orig, change, { issueDate: "2022-04-05" }));
    expect(draft.sign).toBe(-1);
    expect(draft.invoice.lines.map((l) => [l.nature, l.amount?.toPlain()])).toEqual([[1, "2000"]]);
    expect(draftErrors(draft.invoice)).toEqual([]);
    const target = value(applyChange(orig, change));
    expect(combined(orig, draft).payable.toPlain()).toBe(target.totals.totalPayable.toPlain());
  });

  it("legacy: a change that both increases and decreases is refused (no negatives allowed)", () => {
    const r = planAdjustment(
      original("legacy"),
      {
        lines: [
          { line: 0, quantity: d("5") },
          { line: 1, quantity: d("1") },
        ],
      },
      { issueDate: "2022-04-05" },
    );
    expect(codes(r)).toEqual(["CORRECTION_MIXED_DIRECTION"]);
  });

  it("d70: the same mixed change is one invoice with positive and negative lines", () => {
    const draft = value(
      planAdjustment(
        original("d70"),
        {
          lines: [
            { line: 0, quantity: d("5") },
            { line: 1, quantity: d("1") },
          ],
        },
        { issueDate: "2025-08-01" },
      ),
    );
    expect(draft.direction).toBe("mixed");
    expect(draft.invoice.lines.map((l) => l.amount?.toPlain())).toEqual(["500002", "-126000"]);
    expect(draftErrors(draft.invoice)).toEqual([]);
  });

  it("a rate change takes the line off at the old rate and on at the new one", () => {
    const orig = original("d70");
    const draft = value(
      planAdjustment(orig, { lines: [{ line: 1, vatRate: "10%" }] }, { issueDate: "2025-08-01" }),
    );
    expect(draft.invoice.lines.map((l) => [l.amount?.toPlain(), l.vatRate])).toEqual([
      ["-252001", "8%"],
      ["252001", "10%"],
    ]);
    expect(
      draft.invoice.totals.byRate.map((r) => [r.vatRate, r.amount.toPlain(), r.vatAmount?.toPlain()]),
    ).toEqual([
      ["8%", "-252001", "-20160"],
      ["10%", "252001", "25200"],
    ]);
    expect(draftErrors(draft.invoice)).toEqual([]);
  });

  it("checks the VAT rate against the original's date, not the adjustment's", () => {
    // 2023-03-15 lies between reduced-rate windows: 8% did not exist on the original's date.
    const orig = sampleInvoice(2, { issueDate: "2023-03-15", series: "K23TAA", number: "5" });
    orig.lines[1]!.vatRate = "10%";
    const r = planAdjustment(
      orig,
      { add: [line("Hàng bổ sung", "1", "1000", "8%")] },
      { issueDate: "2023-07-10" },
    );
    expect(codes(r)).toContain("VAT_RATE_REDUCED_OUTSIDE_WINDOW");
  });

  it("a new line that was missing is an increase; a removed line a decrease", () => {
    const orig = original("d254");
    const draft = value(
      planAdjustment(
        orig,
        { lines: [{ line: 3, remove: true }], add: [line("Phí vận chuyển", "1", "50000", "10%")] },
        { issueDate: "2026-08-20" },
      ),
    );
    expect(draft.invoice.lines.map((l) => l.amount?.toPlain())).toEqual(["-512002", "50000"]);
    expect(draftErrors(draft.invoice)).toEqual([]);
  });

  it("a renamed item alone is an adjustment of information with a note line and zero totals", () => {
    const draft = value(
      planAdjustment(
        original("d70"),
        { lines: [{ line: 0, itemName: "Bút bi TL-027" }] },
        { issueDate: "2025-08-01" },
      ),
    );
    expect(draft.direction).toBe("information");
    expect(draft.invoice.lines).toEqual([
      {
        nature: 4,
        lineNo: 1,
        itemName:
          'Điều chỉnh tên hàng hóa, dịch vụ "Hàng hóa số 1 — bút bi Thiên Long" thành "Bút bi TL-027"',
      },
    ]);
    expect(draft.invoice.totals.totalPayable.isZero()).toBe(true);
    expect(draftErrors(draft.invoice)).toEqual([]);
  });

  it("refuses an empty change, an unknown line, and a date before the original", () => {
    const orig = original("d70");
    expect(codes(planAdjustment(orig, {}, { issueDate: "2025-08-01" }))).toEqual(["CORRECTION_NO_CHANGE"]);
    expect(
      codes(planAdjustment(orig, { lines: [{ line: 9, quantity: d("1") }] }, { issueDate: "2025-08-01" })),
    ).toEqual(["CORRECTION_LINE_NOT_FOUND"]);
    expect(
      codes(planAdjustment(orig, { lines: [{ line: 0, quantity: d("2") }] }, { issueDate: "2025-07-01" })),
    ).toEqual(["CORRECTION_DATE_BEFORE_ORIGINAL"]);
  });

  it("cash-register invoices: adjust refused from Decree 70, allowed before", () => {
    const mtt70 = sampleInvoice(2, { issueDate: "2025-07-15", series: "C25MAA", number: "3" });
    expect(
      codes(planAdjustment(mtt70, { lines: [{ line: 0, quantity: d("2") }] }, { issueDate: "2025-08-01" })),
    ).toEqual(["CORRECTION_WAY_NOT_ALLOWED"]);
    const mtt123 = sampleInvoice(2, { issueDate: "2024-03-15", series: "C24MAA", number: "3" });
    expect(
      planAdjustment(mtt123, { lines: [{ line: 0, quantity: d("2") }] }, { issueDate: "2024-04-01" }).ok,
    ).toBe(true);
  });

  it("from Decree 70, a later correction must use the method of the first", () => {
    const r = planAdjustment(
      original("d70"),
      { lines: [{ line: 0, quantity: d("2") }] },
      { issueDate: "2025-08-01", previous: ["replace"] },
    );
    expect(codes(r)).toEqual(["CORRECTION_METHOD_CHANGED"]);
    const ok123 = planAdjustment(
      original("d123"),
      { lines: [{ line: 0, quantity: d("2") }] },
      { issueDate: "2024-04-01", previous: ["replace"] },
    );
    expect(ok123.ok).toBe(true);
  });

  it("lists the agreement duty by regime: both parties (2011), optional (TT 78), business buyer (Decree 70)", () => {
    const change = { lines: [{ line: 0, quantity: d("2") }] };
    expect(value(planAdjustment(original("legacy"), change, { issueDate: "2022-04-05" })).duties).toEqual([
      expect.objectContaining({ kind: "agreement", met: false }),
    ]);
    expect(value(planAdjustment(original("d123"), change, { issueDate: "2024-04-01" })).duties).toEqual([]);
    const agreed = { issueDate: "2025-08-01", agreement: { reference: "BB-01", date: "2025-07-30" } };
    expect(value(planAdjustment(original("d70"), change, agreed)).duties).toEqual([
      expect.objectContaining({ kind: "agreement", met: true }),
    ]);
    const consumer = original("d70");
    consumer.buyer = { name: "Nguyễn Văn Bình" };
    expect(value(planAdjustment(consumer, change, { issueDate: "2025-08-01" })).duties).toEqual([
      expect.objectContaining({ kind: "notify-buyer" }),
    ]);
  });

  it("property: original + adjustment = target totals exactly, per rate too, and every draft is valid", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<RegimeKey>("d123", "d70", "d254"),
        fc.integer({ min: 1, max: 6 }),
        fc.array(
          fc.record({
            line: fc.integer({ min: 0, max: 5 }),
            kind: fc.constantFrom("quantity", "price", "both", "remove", "rate"),
            q: fc.integer({ min: 1, max: 40 }),
            p: fc.integer({ min: 1, max: 9_999_999 }),
            frac: fc.constantFrom("", ".5", ".25", ".999"),
          }),
          { maxLength: 4 },
        ),
        fc.option(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 500_000 })), {
          nil: undefined,
        }),
        (key, n, edits, added) => {
          const orig = original(key, n);
          const seen = new Set<number>();
          const lines = [];
          for (const e of edits) {
            if (e.line >= n || seen.has(e.line)) continue;
            seen.add(e.line);
            const price = d(`${e.p}${e.frac}`);
            if (e.kind === "quantity") lines.push({ line: e.line, quantity: d(String(e.q)) });
            else if (e.kind === "price") lines.push({ line: e.line, unitPrice: price });
            else if (e.kind === "both")
              lines.push({ line: e.line, quantity: d(String(e.q)), unitPrice: price });
            else if (e.kind === "remove") lines.push({ line: e.line, remove: true });
            else lines.push({ line: e.line, vatRate: orig.lines[e.line]!.vatRate === "10%" ? "8%" : "10%" });
          }
          const change: InvoiceChange = {
            lines,
            ...(added ? { add: [line("Hàng bổ sung", String(added[0]), String(added[1]), "10%")] } : {}),
          };
          const r = planAdjustment(orig, change, { issueDate: REGIMES[key].later });
          const target = value(applyChange(orig, change));
          if (!r.ok) {
            // Only a change that changes nothing may be refused.
            expect(codes(r)).toEqual(["CORRECTION_NO_CHANGE"]);
            expect(target.totals.totalPayable.eq(orig.totals.totalPayable)).toBe(true);
            return;
          }
          const draft = r.value;
          expect(draftErrors(draft.invoice)).toEqual([]);
          const sum = combined(orig, draft);
          expect(sum.before.toPlain()).toBe(target.totals.totalBeforeVat!.toPlain());
          expect(sum.vat.toPlain()).toBe(target.totals.totalVat!.toPlain());
          expect(sum.payable.toPlain()).toBe(target.totals.totalPayable.toPlain());
          for (const rate of new Set(
            [...orig.totals.byRate, ...target.totals.byRate].map((x) => x.vatRate),
          )) {
            const pick = (inv: Invoice) => inv.totals.byRate.find((x) => x.vatRate === rate);
            const amt = (inv: Invoice) => pick(inv)?.amount ?? Dec.ZERO;
            const vat = (inv: Invoice) => pick(inv)?.vatAmount ?? Dec.ZERO;
            expect(amt(orig).add(amt(draft.invoice)).toPlain()).toBe(amt(target).toPlain());
            expect(vat(orig).add(vat(draft.invoice)).toPlain()).toBe(vat(target).toPlain());
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property (legacy): one-way changes written unsigned still sum to the target with the sign", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }),
        (n, up, picks) => {
          const orig = original("legacy", n);
          const idx = [...new Set(picks.filter((i) => i < n))];
          if (idx.length === 0) return;
          const change: InvoiceChange = {
            lines: idx.map((i) => ({ line: i, quantity: d(String(up ? i + 3 : i)) })),
          };
          const r = planAdjustment(orig, change, { issueDate: "2022-04-05" });
          const target = value(applyChange(orig, change));
          if (!r.ok) {
            expect(codes(r)).toEqual(["CORRECTION_NO_CHANGE"]);
            return;
          }
          expect(r.value.sign).toBe(up ? 1 : -1);
          expect(draftErrors(r.value.invoice)).toEqual([]);
          expect(combined(orig, r.value).payable.toPlain()).toBe(target.totals.totalPayable.toPlain());
        },
      ),
      { numRuns: 100 },
    );
  });
});

function line(name: string, quantity: string, price: string, rate: string): InvoiceLine {
  return {
    nature: 1,
    itemName: name,
    unit: "Cái",
    quantity: d(quantity),
    unitPrice: d(price),
    amount: d(quantity).mul(d(price)).round(0),
    vatRate: rate,
  };
}

describe("planReplacement", () => {
  for (const key of KEYS) {
    it(`${key}: sets the related invoice (TCHDon 1) and recomputes totals; the draft is valid`, () => {
      const orig = original(key, 3);
      const content = {
        buyer: { ...orig.buyer, name: "Công ty Cổ phần Người Mua Đúng Tên" },
        lines: orig.lines.slice(0, 2),
      };
      const draft = value(planReplacement(orig, content, { issueDate: REGIMES[key].later }));
      expect(draft.invoice.header.related).toMatchObject({
        nature: 1,
        relatedKind: 1,
        template: "1",
        series: REGIMES[key].series,
        number: "12",
        date: REGIMES[key].date,
      });
      expect(draft.invoice.header.series).toBe(`K${REGIMES[key].later.slice(2, 4)}TAA`);
      expect(draft.invoice.totals.totalBeforeVat!.toPlain()).toBe("377002");
      expect(draftErrors(draft.invoice)).toEqual([]);
    });
  }

  it("legacy: carries the Circular 32/2011 Art 9.1 text 'hóa đơn này thay thế hóa đơn số …'", () => {
    const orig = original("legacy", 2);
    const draft = value(
      planReplacement(orig, { buyer: orig.buyer, lines: orig.lines }, { issueDate: "2022-04-05" }),
    );
    expect(draft.invoice.header.related!.note).toBe(
      "Hóa đơn này thay thế hóa đơn số 12, ký hiệu K22TAA, gửi ngày 10 tháng 03 năm 2022",
    );
  });

  it("d70: carries 'Thay thế cho hóa đơn Mẫu số … ký hiệu … số … ngày … tháng … năm …'", () => {
    expect(correctionNote(original("d70"), "2025-08-01", "replace")).toBe(
      "Thay thế cho hóa đơn Mẫu số 1 ký hiệu K25TAA số 12 ngày 15 tháng 07 năm 2025",
    );
  });

  it("legacy invoice replaced under today's rules: the note takes today's wording, not Circular 32/2011's", () => {
    const note = correctionNote(original("legacy"), "2025-08-01", "replace");
    expect(note.startsWith("Thay thế cho hóa đơn Mẫu số")).toBe(true);
    expect(note).not.toContain("Hóa đơn này thay thế");
  });

  it("an old 11-character template is related with LHDCLQuan 3 and needs the new template given", () => {
    const orig = sampleInvoice(2, {
      issueDate: "2022-03-01",
      template: "01GTKT0/001",
      series: "AA/22E",
      number: "0000123",
    });
    const content = { buyer: orig.buyer, lines: orig.lines };
    expect(codes(planReplacement(orig, content, { issueDate: "2026-08-20" }))).toEqual([
      "CORRECTION_SYMBOL_REQUIRED",
      "CORRECTION_SYMBOL_REQUIRED",
    ]);
    const draft = value(
      planReplacement(orig, content, { issueDate: "2026-08-20", template: "1", series: "K26TAA" }),
    );
    expect(draft.invoice.header.related).toMatchObject({
      relatedKind: 3,
      template: "01GTKT0/001",
      series: "AA/22E",
    });
    expect(draftErrors(draft.invoice)).toEqual([]);
  });

  it("refuses an original without number", () => {
    const orig = original("d70");
    delete orig.header.number;
    expect(
      codes(planReplacement(orig, { buyer: orig.buyer, lines: orig.lines }, { issueDate: "2025-08-01" })),
    ).toEqual(["CORRECTION_ORIGINAL_INCOMPLETE"]);
  });
});

describe("planCancellation", () => {
  const agreement = { reference: "BB-HUY-01", date: "2022-03-11" };

  it("legacy: allowed with the buyer's agreement, recorded with the replacement text", () => {
    const plan = value(
      planCancellation(original("legacy"), {
        buyerAgreement: agreement,
        date: "2022-03-12",
        reason: "Sai giá",
      }),
    );
    expect(plan).toMatchObject({
      regime: "legacy",
      errorNotice: false,
      keepCancelled: true,
      buyerAgreement: agreement,
    });
    expect(plan.replacementNote).toContain("Hóa đơn này thay thế hóa đơn số 12");
  });

  it("legacy: refused without the buyer's agreement, or once the tax was declared", () => {
    expect(codes(planCancellation(original("legacy"), { date: "2022-03-12", reason: "x" }))).toEqual([
      "CORRECTION_CANCEL_AGREEMENT_REQUIRED",
    ]);
    expect(
      codes(
        planCancellation(original("legacy"), {
          buyerAgreement: agreement,
          date: "2022-03-12",
          reason: "x",
          declared: true,
        }),
      ),
    ).toEqual(["CORRECTION_CANCEL_ALREADY_DECLARED"]);
  });

  it("d123: allowed for an invoice not yet sent to the buyer, with a 04/SS notice; refused once sent", () => {
    const orig = original("d123");
    expect(
      value(planCancellation(orig, { date: "2024-03-16", reason: "Sai", sentToBuyer: false })).errorNotice,
    ).toBe(true);
    expect(codes(planCancellation(orig, { date: "2024-03-16", reason: "Sai" }))).toEqual([
      "CORRECTION_CANCEL_ALREADY_SENT",
    ]);
  });

  it("d123 original, cancelled on or after 2025-06-01: refused (Decree 70 removed the path)", () => {
    expect(
      codes(planCancellation(original("d123"), { date: "2025-06-02", reason: "Sai", sentToBuyer: false })),
    ).toEqual(["CORRECTION_CANCEL_NOT_ALLOWED"]);
  });

  for (const key of ["d70", "d254"] as const) {
    it(`${key}: refused even with agreement and before sending`, () => {
      const r = planCancellation(original(key), {
        buyerAgreement: agreement,
        date: REGIMES[key].later,
        reason: "Sai",
        sentToBuyer: false,
      });
      expect(codes(r)).toEqual(["CORRECTION_CANCEL_NOT_ALLOWED"]);
    });
  }
});

describe("requiredCorrection and planErrorNotice", () => {
  it("a wrong name/address is notify-only from Decree 123, needs a new invoice before", () => {
    expect(value(requiredCorrection("name-address", original("legacy")))).toMatchObject({
      notifyOnly: false,
    });
    expect(value(requiredCorrection("name-address", original("d123")))).toMatchObject({ notifyOnly: true });
    expect(value(requiredCorrection("amount", original("d70")))).toMatchObject({
      notifyOnly: false,
      ways: ["adjust", "replace"],
      cancel: false,
    });
    const mtt = sampleInvoice(1, { issueDate: "2025-07-15", series: "C25MAA", number: "1" });
    expect(value(requiredCorrection("amount", mtt)).ways).toEqual(["replace"]);
  });

  const options = {
    date: "2025-08-01",
    place: "Hà Nội",
    authority: { code: "10100", name: "Chi cục Thuế khu vực I" },
  };

  it("explains a name/address error (TCTBao 4, no new invoice) and adjusts an amount error (TCTBao 2)", () => {
    const a = original("d70", 2, "7");
    const b = original("d70", 2, "8");
    const plan = value(
      planErrorNotice(
        [
          { invoice: a, error: "name-address", reason: "Sai địa chỉ người mua" },
          { invoice: b, error: "amount", reason: "Sai đơn giá" },
        ],
        options,
      ),
    );
    expect(plan.actions).toEqual([
      { nature: 4, newInvoice: "none" },
      { nature: 2, newInvoice: "adjust" },
    ]);
    expect(plan.notice.invoices.map((i) => [i.number, i.regime, i.nature])).toEqual([
      ["7", 1, 4],
      ["8", 1, 2],
    ]);
    const xml = writeErrorNotice(plan.notice);
    const doc = parseXml(xml);
    if (!doc.ok) throw new Error("unparsable");
    expect(readErrorNotice(doc.value.root, { source: doc.value.source })).toEqual({
      ok: true,
      value: plan.notice,
    });
  });

  it("refuses explaining an error that needs a new invoice, and cancelling under Decree 70", () => {
    const a = original("d70");
    expect(
      codes(planErrorNotice([{ invoice: a, error: "amount", reason: "x", action: "explain" }], options)),
    ).toEqual(["CORRECTION_NOTICE_NEEDS_INVOICE"]);
    expect(
      codes(planErrorNotice([{ invoice: a, error: "amount", reason: "x", action: "cancel" }], options)),
    ).toEqual(["CORRECTION_CANCEL_NOT_ALLOWED"]);
  });

  it("d123: a cancel notice (TCTBao 1) before 2025-06-01; kind 2 needs the authority's notice", () => {
    const a = original("d123");
    const plan = value(
      planErrorNotice([{ invoice: a, error: "amount", reason: "Sai", action: "cancel" }], {
        ...options,
        date: "2024-03-20",
      }),
    );
    expect(plan.actions).toEqual([{ nature: 1, newInvoice: "new" }]);
    expect(
      codes(
        planErrorNotice([{ invoice: a, error: "amount", reason: "Sai" }], {
          ...options,
          date: "2024-03-20",
          kind: 2,
        }),
      ),
    ).toEqual(["CORRECTION_NOTICE_AUTHORITY_REF"]);
  });

  it("a legacy name/address error needs adjust or replace; 04/SS does not exist before 2022-07-01", () => {
    const a = original("legacy");
    expect(
      value(planErrorNotice([{ invoice: a, error: "name-address", reason: "Sai tên" }], options)).actions,
    ).toEqual([{ nature: 2, newInvoice: "adjust" }]);
    expect(
      codes(
        planErrorNotice([{ invoice: a, error: "amount", reason: "x" }], { ...options, date: "2021-12-01" }),
      ),
    ).toEqual(["CORRECTION_NOTICE_NOT_IN_FORCE"]);
  });
});

describe("planBulkCorrection", () => {
  const bulk = { issueDate: "2025-08-05", listNumber: "BK-0001", reasons: ["Sai đơn giá"] };

  it("d70: one adjusting invoice for three invoices of one buyer in one month, with list 01/BK-ĐCTT", () => {
    const originals = [
      sampleInvoice(2, { issueDate: "2025-07-03", number: "21" }),
      sampleInvoice(2, { issueDate: "2025-07-15", number: "22" }),
      sampleInvoice(2, { issueDate: "2025-07-28", number: "23" }),
    ];
    const changes: InvoiceChange[] = [
      { lines: [{ line: 0, unitPrice: d("120000") }] },
      { lines: [{ line: 1, quantity: d("3") }] },
      { lines: [{ line: 0, remove: true }] },
    ];
    const draft = value(planBulkCorrection(originals, { way: "adjust", changes }, bulk));
    expect(draft.invoice.header.related).toEqual({
      nature: 2,
      date: "2025-07-28",
      note: "Điều chỉnh cho 3 hóa đơn theo bảng kê 01/BK-ĐCTT số BK-0001 ngày 05/08/2025",
      listNumber: "BK-0001",
      listDate: "2025-08-05",
    });
    expect(draft.invoice.lines).toHaveLength(3);
    expect(draftErrors(draft.invoice)).toEqual([]);
    let sum = Dec.ZERO;
    originals.forEach((o, i) => {
      sum = sum.add(value(applyChange(o, changes[i]!)).totals.totalPayable.sub(o.totals.totalPayable));
    });
    expect(draft.invoice.totals.totalPayable.toPlain()).toBe(sum.toPlain());
    expect(draft.list.lines.map((l) => [l.original.index, l.original.number])).toEqual([
      [1, "21"],
      [2, "22"],
      [3, "23"],
    ]);
    // Line 0 of invoice 21: 1 × 125000.5 = 125001 (rounded) → 1 × 120000.
    expect(draft.list.lines[0]!.difference?.amountBeforeVat?.toPlain()).toBe("-5001");
    const doc = parseXml(writeAdjustmentList(draft.list));
    if (!doc.ok) throw new Error("unparsable");
    expect(readAdjustmentList(doc.value.root, { source: doc.value.source })).toEqual({
      ok: true,
      value: draft.list,
    });
  });

  it("d254: uses TCHDon 4 for many invoices", () => {
    const originals = [
      sampleInvoice(1, { issueDate: "2026-08-03", series: "K26TAA", number: "1" }),
      sampleInvoice(1, { issueDate: "2026-08-04", series: "K26TAA", number: "2" }),
    ];
    const changes = [{ lines: [{ line: 0, quantity: d("2") }] }, { lines: [{ line: 0, quantity: d("3") }] }];
    const draft = value(
      planBulkCorrection(originals, { way: "adjust", changes }, { ...bulk, issueDate: "2026-08-20" }),
    );
    expect(draft.invoice.header.related!.nature).toBe(4);
    expect(draft.list.nature).toBe(4);
    expect(draftErrors(draft.invoice)).toEqual([]);
  });

  it("d70: one replacing invoice for two invoices, the list naming the replaced lines", () => {
    const originals = [
      sampleInvoice(1, { issueDate: "2025-07-03", number: "31" }),
      sampleInvoice(1, { issueDate: "2025-07-04", number: "32" }),
    ];
    const content = { buyer: originals[0]!.buyer, lines: [line("Bút bi", "2", "125000", "10%")] };
    const draft = value(planBulkCorrection(originals, { way: "replace", content }, bulk));
    expect(draft.invoice.header.related!.nature).toBe(1);
    expect(draft.list.lines.map((l) => l.original.number)).toEqual(["31", "32"]);
    expect(draftErrors(draft.invoice)).toEqual([]);
  });

  it("refused before Decree 70, for different buyers or months", () => {
    const d123 = [original("d123", 1, "1"), original("d123", 1, "2")];
    const changes = [{ lines: [{ line: 0, quantity: d("2") }] }, { lines: [{ line: 0, quantity: d("2") }] }];
    expect(
      codes(planBulkCorrection(d123, { way: "adjust", changes }, { ...bulk, issueDate: "2024-04-01" })),
    ).toEqual(["CORRECTION_BULK_NOT_ALLOWED", "CORRECTION_BULK_NOT_ALLOWED"]);
    const other = sampleInvoice(1, { issueDate: "2025-08-02", number: "2" });
    other.buyer = { ...other.buyer, taxCode: "0100109106" };
    expect(
      codes(
        planBulkCorrection(
          [sampleInvoice(1, { number: "1" }), other],
          { way: "adjust", changes },
          { ...bulk, issueDate: "2025-08-05" },
        ),
      ),
    ).toEqual(["CORRECTION_BULK_BUYER_DIFFERS", "CORRECTION_BULK_MONTH_DIFFERS"]);
    expect(codes(planBulkCorrection([original("d70")], { way: "adjust", changes }, bulk))).toEqual([
      "CORRECTION_BULK_TOO_FEW",
    ]);
  });
});
