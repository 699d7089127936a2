import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type ArchiveEntry,
  checkEntry,
  type DestroyBody,
  decodeBody,
  encodeBody,
  eventHash,
  expiresOn,
  expiryCutoff,
  GENESIS_HASH,
  isExpired,
  type PutBody,
} from "./archive.ts";

const put: PutBody = {
  v: 1,
  taxCode: "0101234567",
  sequence: 1,
  type: "put",
  at: "2026-03-01T03:00:00.000Z",
  kind: "invoice",
  ref: "inv-1",
  documentDate: "2026-02-28",
  contentHash: "a".repeat(64),
  size: 120,
};

describe("archive event bodies", () => {
  it("writes a put with its fields in a fixed order, whatever the object's order", () => {
    const shuffled = { ...put, size: 120, ref: "inv-1", v: 1 } as PutBody;
    expect(encodeBody(shuffled)).toBe(
      '{"v":1,"taxCode":"0101234567","sequence":1,"type":"put","at":"2026-03-01T03:00:00.000Z","kind":"invoice",' +
        `"ref":"inv-1","documentDate":"2026-02-28","contentHash":"${"a".repeat(64)}","size":120}`,
    );
  });

  it("reads back what it writes, for a put and a destruction", () => {
    const destroy: DestroyBody = {
      v: 1,
      taxCode: "0101234567",
      sequence: 2,
      type: "destroy",
      at: "2036-01-02T00:00:00.000Z",
      asOf: "2036-01-02",
      retentionYears: 10,
      reason: "Hết thời hạn lưu trữ",
      actor: "Nguyễn Văn A",
      entries: [{ kind: "invoice", ref: "inv-1", documentDate: "2025-02-28", contentHash: "b".repeat(64) }],
    };
    expect(decodeBody(encodeBody(put))).toEqual(put);
    expect(decodeBody(encodeBody(destroy))).toEqual(destroy);
  });

  it("refuses text that is not an event", () => {
    expect(decodeBody("not json")).toBeUndefined();
    expect(decodeBody(encodeBody(put).replace('"invoice"', '"poem"'))).toBeUndefined();
    expect(decodeBody(encodeBody(put).replace('"sequence":1', '"sequence":0'))).toBeUndefined();
    expect(decodeBody(encodeBody(put).replace("2026-02-28", "2026-02-30"))).toBeUndefined();
  });

  it("hashes the previous hash, a newline and the body", () => {
    const body = encodeBody(put);
    const expected = createHash("sha256").update(`${GENESIS_HASH}\n${body}`).digest("hex");
    expect(eventHash(GENESIS_HASH, body)).toBe(expected);
    expect(eventHash(GENESIS_HASH, `${body} `)).not.toBe(expected);
    expect(eventHash("1".repeat(64), body)).not.toBe(expected);
  });
});

describe("retention", () => {
  it("counts 10 years from the end of the document's calendar year", () => {
    expect(expiresOn("2015-03-10")).toBe("2026-01-01");
    expect(expiresOn("2015-12-31")).toBe("2026-01-01");
    expect(expiresOn("2016-01-01")).toBe("2027-01-01");
    expect(expiresOn("2015-03-10", 5)).toBe("2021-01-01");
  });

  it("is expired from the first day of expiry, not the day before", () => {
    expect(isExpired("2015-03-10", "2025-12-31")).toBe(false);
    expect(isExpired("2015-03-10", "2026-01-01")).toBe(true);
    // Never earlier than counting from the exact date.
    expect(isExpired("2015-03-10", "2025-03-10")).toBe(false);
  });

  it("agrees with the cutoff the database query uses", () => {
    const days = ["2014-12-31", "2015-01-01", "2015-06-15", "2015-12-31", "2016-01-01", "2016-07-01"];
    for (const asOf of ["2025-12-31", "2026-01-01", "2026-06-30", "2027-01-01"]) {
      for (const d of days) expect(d < expiryCutoff(asOf), `${d} on ${asOf}`).toBe(isExpired(d, asOf));
    }
  });
});

describe("entries", () => {
  const good: ArchiveEntry = {
    taxCode: "0101234567-001",
    kind: "message",
    ref: "V0101234567ABCDEF",
    documentDate: "2026-01-05",
    bytes: "<TDiep/>",
  };

  it("accepts a well-formed entry", () => {
    expect(checkEntry(good)).toEqual([]);
  });

  it("names the field at fault", () => {
    expect(checkEntry({ ...good, taxCode: "12345" }).map((p) => p.field)).toEqual(["taxCode"]);
    expect(checkEntry({ ...good, kind: "poem" as never }).map((p) => p.field)).toEqual(["kind"]);
    expect(checkEntry({ ...good, ref: "" }).map((p) => p.field)).toEqual(["ref"]);
    expect(checkEntry({ ...good, documentDate: "05/01/2026" }).map((p) => p.field)).toEqual(["documentDate"]);
    expect(checkEntry({ ...good, bytes: 5 as never }).map((p) => p.field)).toEqual(["bytes"]);
  });
});
