/**
 * Failures of the storage layer that an operator must act on (the data folder is in use, a migration
 * failed). They are thrown as `StoreError`, which carries a `Problem` with a stable code, because they
 * happen while opening or upgrading the database, where there is no document to report them in.
 */
import { defineCodes, makeProblem, type Problem } from "../domain/problem.ts";

export const storeCodes = defineCodes({
  STORE_DATA_DIR_LOCKED: {
    vi: "Thư mục dữ liệu {dir} đang được tiến trình {pid} sử dụng",
    en: "The data folder {dir} is in use by process {pid}",
  },
  STORE_DATA_DIR_VERSION: {
    vi: "Thư mục dữ liệu {dir} được tạo bởi PostgreSQL {found}, bản nhúng là PostgreSQL {expected}: cần sao lưu và khôi phục",
    en: "The data folder {dir} was made by PostgreSQL {found}, the embedded one is PostgreSQL {expected}: dump and restore it",
  },
  STORE_EMBEDDED_START: {
    vi: "Không khởi động được cơ sở dữ liệu nhúng: {reason}",
    en: "The embedded database did not start: {reason}",
  },
  STORE_CONNECT: {
    vi: "Không kết nối được cơ sở dữ liệu {location}: {reason}",
    en: "Cannot reach the database at {location}: {reason}",
  },
  STORE_BAD_URL: {
    vi: "Địa chỉ cơ sở dữ liệu {url} không hợp lệ (dùng postgres://… hoặc memory://)",
    en: "Database address {url} is not valid (use postgres://… or memory://)",
  },
  STORE_BAD_SCHEMA: {
    vi: "Tên lược đồ {schema} không hợp lệ",
    en: "Schema name {schema} is not valid",
  },
  STORE_MIGRATION_FAILED: {
    vi: "Cập nhật cấu trúc {schema} thất bại ở bước {migration}: {reason}",
    en: "Migrating {schema} failed at {migration}: {reason}",
  },
  STORE_CLOSED: {
    vi: "Cơ sở dữ liệu đã đóng",
    en: "The database is closed",
  },
});

export type StoreCode = keyof typeof storeCodes;

/** A storage failure with a stable code (`error.code`) and its problem (`error.problem`). */
export class StoreError extends Error {
  readonly code: StoreCode;
  readonly problem: Problem;

  constructor(code: StoreCode, params: Record<string, string>, options?: { cause?: unknown }) {
    const problem = makeProblem(storeCodes, code, "", params);
    super(problem.message, options);
    this.name = "StoreError";
    this.code = code;
    this.problem = problem;
  }
}
