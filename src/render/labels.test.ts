import { describe, expect, it } from "vitest";
import { invoiceTitle, label } from "./labels.ts";

describe("invoice titles", () => {
  it("titles by template digit and by series letter where the letter tells more", () => {
    expect(invoiceTitle("1", "C25TAA", "", "vi")).toBe("HÓA ĐƠN GIÁ TRỊ GIA TĂNG");
    expect(invoiceTitle("2", "K25TAA", "", "vi")).toBe("HÓA ĐƠN BÁN HÀNG");
    expect(invoiceTitle("6", "K25BAA", "", "vi")).toBe("PHIẾU XUẤT KHO HÀNG GỬI BÁN ĐẠI LÝ");
    expect(invoiceTitle("1", "K25FAA", "", "vi")).toBe("HÓA ĐƠN GIÁ TRỊ GIA TĂNG KIÊM TỜ KHAI HOÀN THUẾ");
  });

  it("uses the invoice's own name for stamps, tickets and cards and for unknown templates", () => {
    expect(invoiceTitle("5", "K25GAA", "Vé xe buýt", "vi")).toBe("VÉ XE BUÝT");
    expect(invoiceTitle("", "", "Hóa đơn đặc thù", "vi")).toBe("HÓA ĐƠN ĐẶC THÙ");
  });

  it("reads older templates by their first digits", () => {
    expect(invoiceTitle("01GTKT0/001", "AA/17E", "", "vi")).toBe("HÓA ĐƠN GIÁ TRỊ GIA TĂNG");
    expect(invoiceTitle("02GTTT0/001", "AA/17E", "", "vi")).toBe("HÓA ĐƠN BÁN HÀNG");
  });

  it("adds the English in brackets with the English switch", () => {
    expect(invoiceTitle("1", "C25TAA", "", "en")).toBe("HÓA ĐƠN GIÁ TRỊ GIA TĂNG (VAT INVOICE)");
    expect(label("totalPayable", "en")).toBe("Tổng tiền thanh toán (Total payable)");
    expect(label("totalPayable", "vi")).toBe("Tổng tiền thanh toán");
  });
});
