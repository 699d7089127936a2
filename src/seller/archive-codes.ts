/** Error codes of the seller's archive (src/seller/archive.ts). */
import { defineCodes, makeProblem, type Problem } from "../domain/problem.ts";

export const archiveCodes = defineCodes({
  ARCHIVE_BAD_ENTRY: {
    vi: "Mục lưu trữ không hợp lệ: {field} {reason}",
    en: "The archive entry is not valid: {field} {reason}",
  },
  ARCHIVE_REF_TAKEN: {
    vi: 'Đã lưu trữ một nội dung khác cho {kind} "{ref}" của {taxCode}; dữ liệu đã lưu không được thay đổi',
    en: 'A different content is already archived as {kind} "{ref}" of {taxCode}; archived data is never changed',
  },
  ARCHIVE_NOT_FOUND: {
    vi: 'Không có "{ref}" trong kho lưu trữ của {taxCode}',
    en: 'Nothing is archived as "{ref}" for {taxCode}',
  },
  ARCHIVE_AMBIGUOUS: {
    vi: '"{ref}" của {taxCode} có nhiều loại ({kinds}); cần chỉ rõ loại',
    en: '"{ref}" of {taxCode} exists as several kinds ({kinds}); say which kind',
  },
  ARCHIVE_DESTROYED: {
    vi: '{kind} "{ref}" của {taxCode} đã bị tiêu hủy (sự kiện số {sequence})',
    en: '{kind} "{ref}" of {taxCode} was destroyed (event {sequence})',
  },
  ARCHIVE_CONTENT_CHANGED: {
    vi: 'Nội dung lưu trữ của {kind} "{ref}" ({taxCode}, sự kiện số {sequence}) đã bị thay đổi',
    en: 'The archived content of {kind} "{ref}" ({taxCode}, event {sequence}) has been changed',
  },
  ARCHIVE_CONTENT_MISSING: {
    vi: 'Thiếu nội dung lưu trữ của {kind} "{ref}" ({taxCode}, sự kiện số {sequence})',
    en: 'The archived content of {kind} "{ref}" ({taxCode}, event {sequence}) is missing',
  },
  ARCHIVE_EVENT_CHANGED: {
    vi: "Sự kiện lưu trữ số {sequence} của {taxCode} đã bị sửa ({detail})",
    en: "Archive event {sequence} of {taxCode} has been altered ({detail})",
  },
  ARCHIVE_CHAIN_BROKEN: {
    vi: "Chuỗi băm lưu trữ của {taxCode} bị đứt tại sự kiện số {sequence} ({detail})",
    en: "The archive hash chain of {taxCode} is broken at event {sequence} ({detail})",
  },
  ARCHIVE_ENTRY_CHANGED: {
    vi: 'Mục lưu trữ {kind} "{ref}" của {taxCode} không khớp với chuỗi sự kiện ({detail})',
    en: 'The archive entry {kind} "{ref}" of {taxCode} does not match the event chain ({detail})',
  },
  ARCHIVE_NOT_EXPIRED: {
    vi: '{kind} "{ref}" của {taxCode} (ngày {documentDate}) chưa hết thời hạn lưu trữ, chỉ được tiêu hủy từ {expiresOn}',
    en: '{kind} "{ref}" of {taxCode} (dated {documentDate}) is still within retention; it may be destroyed from {expiresOn}',
  },
  ARCHIVE_DATE_IN_FUTURE: {
    vi: "Ngày {date} sau ngày hiện tại {today}",
    en: "The date {date} is after today ({today})",
  },
  ARCHIVE_REASON_REQUIRED: {
    vi: "Việc tiêu hủy cần lý do và người thực hiện",
    en: "A destruction needs a reason and an actor",
  },
  ARCHIVE_NOT_EMPTY: {
    vi: "Chỉ khôi phục được vào kho lưu trữ trống; kho hiện có {events} sự kiện",
    en: "A backup can only be restored into an empty archive; this one holds {events} events",
  },
  ARCHIVE_BACKUP_TRUNCATED: {
    vi: "Tệp sao lưu {file} bị cắt cụt hoặc không đầy đủ ({reason})",
    en: "The backup file {file} is truncated or incomplete ({reason})",
  },
  ARCHIVE_BACKUP_CORRUPT: {
    vi: "Tệp sao lưu {file} bị hỏng hoặc bị sửa ({reason})",
    en: "The backup file {file} is damaged or altered ({reason})",
  },
});

export type ArchiveCode = keyof typeof archiveCodes & string;

export function archiveProblem(code: ArchiveCode, path: string, params: Record<string, string>): Problem {
  return makeProblem(archiveCodes, code, path, params);
}

/**
 * A failure of `Archive.put`, thrown so that the caller's transaction (the invoice being issued) rolls
 * back with it: an invoice that cannot be archived must not be issued.
 */
export class ArchiveError extends Error {
  readonly code: ArchiveCode;
  readonly problem: Problem;

  constructor(code: ArchiveCode, params: Record<string, string>, path = "") {
    const problem = archiveProblem(code, path, params);
    super(problem.message);
    this.name = "ArchiveError";
    this.code = code;
    this.problem = problem;
  }
}
