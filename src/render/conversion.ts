/**
 * Conversion of an e-invoice to paper (chuyển từ hóa đơn điện tử sang hóa đơn giấy), Circular 32/2011/TT-BTC
 * Art 12 and Decree 119/2018 (conversion to paper documents):
 * - the paper copy must reflect the e-invoice in full, carry the mark "HÓA ĐƠN CHUYỂN ĐỔI TỪ HÓA ĐƠN ĐIỆN
 *   TỬ", the converter's full name and signature, and the time of conversion (Art 12.2, 12.4);
 * - to prove the origin of tangible goods in circulation the seller may convert **once** (Art 12.1), and that
 *   copy also bears the signature of the seller's legal representative and the seller's seal;
 * - for archiving accounting documents, buyer and seller may convert any number of times;
 * - only a legal e-invoice is converted (Decree 119, "Hóa đơn điện tử hợp pháp được chuyển đổi").
 *
 * The record of past conversions is kept by the seller service; this module holds the rule and the codes.
 */
import { defineCodes, makeProblem, type Problem } from "../domain/problem.ts";

export type ConversionPurpose = "origin_of_goods" | "archive";

/** One conversion already made (as the seller service records it). */
export interface ConversionRecord {
  readonly purpose: ConversionPurpose;
  /** When it was made (an instant). */
  readonly convertedAt: Date;
  readonly converterName: string;
}

export const conversionCodes = defineCodes({
  CONVERSION_ORIGIN_ALREADY_DONE: {
    vi: "Hóa đơn đã được chuyển đổi sang hóa đơn giấy để chứng minh nguồn gốc xuất xứ hàng hóa lúc {at} (người chuyển đổi: {by}); chỉ được chuyển đổi một lần cho mục đích này",
    en: "The invoice was already converted to paper as proof of the origin of goods at {at} (by {by}); that conversion is allowed only once",
  },
  CONVERSION_CONVERTER_REQUIRED: {
    vi: "Thiếu họ và tên người thực hiện chuyển đổi",
    en: "The converter's full name is required",
  },
  CONVERSION_INVALID_SIGNATURE: {
    vi: "Không chuyển đổi hóa đơn có chữ ký số không hợp lệ ({signer}); chỉ hóa đơn điện tử hợp pháp được chuyển đổi",
    en: "An invoice with an invalid signature ({signer}) cannot be converted; only a legal e-invoice is converted",
  },
});

/** Local time of an instant as shown on the paper copy and in messages: "14:05:09 15/07/2025" (GMT+7). */
export function formatLocalTime(instant: Date): string {
  const local = new Date(instant.getTime() + 7 * 3_600_000);
  const p = (n: number) => String(n).padStart(2, "0");
  return (
    `${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())} ` +
    `${p(local.getUTCDate())}/${p(local.getUTCMonth() + 1)}/${local.getUTCFullYear()}`
  );
}

/**
 * May a conversion for `purpose` be made, given the conversions already made? Archive copies always may;
 * a second proof-of-origin copy is refused with `CONVERSION_ORIGIN_ALREADY_DONE`, naming the first.
 */
export function checkConversion(
  purpose: ConversionPurpose,
  previousConversions: readonly ConversionRecord[],
): Problem[] {
  if (purpose !== "origin_of_goods") return [];
  const earlier = previousConversions
    .filter((c) => c.purpose === "origin_of_goods")
    .sort((a, b) => a.convertedAt.getTime() - b.convertedAt.getTime())[0];
  if (!earlier) return [];
  return [
    makeProblem(conversionCodes, "CONVERSION_ORIGIN_ALREADY_DONE", "purpose", {
      at: formatLocalTime(earlier.convertedAt),
      by: earlier.converterName,
      firstConvertedAt: earlier.convertedAt.toISOString(),
    }),
  ];
}
