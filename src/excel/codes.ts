/** Codes of Excel import: the file, its sheets and columns, and each cell. */
import { defineCodes } from "../domain/problem.ts";

export const excelCodes = defineCodes({
  EXCEL_NOT_XLSX: {
    vi: "Tệp không phải bảng tính .xlsx đọc được: {reason}",
    en: "The file is not a readable .xlsx workbook: {reason}",
  },
  EXCEL_SHEET_MISSING: {
    vi: "Thiếu trang tính {sheet}",
    en: "The sheet {sheet} is missing",
  },
  EXCEL_COLUMN_MISSING: {
    vi: "Trang tính {sheet} thiếu cột bắt buộc {column}",
    en: "The sheet {sheet} lacks the required column {column}",
  },
  EXCEL_REQUIRED: {
    vi: "Ô {cell} ({column}) phải có giá trị",
    en: "The cell {cell} ({column}) must have a value",
  },
  EXCEL_BAD_NUMBER: {
    vi: "Ô {cell} ({column}): {value} không phải số (ghi dạng 1234567.89, không dùng dấu phân cách hàng nghìn)",
    en: "The cell {cell} ({column}): {value} is not a number (write 1234567.89, without thousands separators)",
  },
  EXCEL_BAD_INTEGER: {
    vi: "Ô {cell} ({column}): {value} không phải số nguyên dương",
    en: "The cell {cell} ({column}): {value} is not a positive whole number",
  },
  EXCEL_BAD_DATE: {
    vi: "Ô {cell} ({column}): {value} không phải ngày (ghi dạng 15/07/2025 hoặc 2025-07-15)",
    en: "The cell {cell} ({column}): {value} is not a date (write 15/07/2025 or 2025-07-15)",
  },
  EXCEL_BAD_NATURE: {
    vi: "Ô {cell}: tính chất {value} không hợp lệ (1 hàng hóa, dịch vụ; 2 khuyến mại; 3 chiết khấu; 4 ghi chú; 5 hàng hóa đặc trưng)",
    en: "The cell {cell}: nature {value} is not valid (1 goods or service, 2 promotion, 3 discount, 4 note, 5 special goods)",
  },
  EXCEL_DUPLICATE_REF: {
    vi: "Mã tham chiếu {ref} ở ô {cell} đã dùng cho hóa đơn ở dòng {firstRow}",
    en: "The reference {ref} in {cell} is used already by the invoice in row {firstRow}",
  },
  EXCEL_UNKNOWN_REF: {
    vi: "Dòng hàng ở ô {cell} ghi mã tham chiếu {ref} không có trong trang tính hóa đơn",
    en: "The line in {cell} refers to {ref}, which is not in the invoice sheet",
  },
  EXCEL_INVOICE_WITHOUT_LINES: {
    vi: "Hóa đơn {ref} (ô {cell}) không có dòng hàng nào",
    en: "The invoice {ref} ({cell}) has no lines",
  },
  EXCEL_DUPLICATE_LINE_NO: {
    vi: "Hóa đơn {ref} có hai dòng số {lineNo} (ô {cell})",
    en: "The invoice {ref} has two lines numbered {lineNo} ({cell})",
  },
  EXCEL_CELL_ERROR: {
    vi: "Ô {cell} chứa lỗi công thức {value}",
    en: "The cell {cell} holds the formula error {value}",
  },
});
