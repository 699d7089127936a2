import { describe, expect, it } from "vitest";
import { type ConversionRecord, checkConversion, formatLocalTime } from "./conversion.ts";

const at = (iso: string) => new Date(iso);
const origin: ConversionRecord = {
  purpose: "origin_of_goods",
  convertedAt: at("2025-07-20T01:00:00Z"),
  converterName: "Trần Thị Bình",
};
const archive: ConversionRecord = {
  purpose: "archive",
  convertedAt: at("2025-07-18T01:00:00Z"),
  converterName: "A",
};

describe("checkConversion", () => {
  it("allows the first proof-of-origin conversion, even after archive copies", () => {
    expect(checkConversion("origin_of_goods", [])).toEqual([]);
    expect(checkConversion("origin_of_goods", [archive, archive])).toEqual([]);
  });

  it("refuses a second proof-of-origin conversion and names the first (earliest) one", () => {
    const later: ConversionRecord = {
      ...origin,
      convertedAt: at("2025-09-01T00:00:00Z"),
      converterName: "B",
    };
    const problems = checkConversion("origin_of_goods", [later, archive, origin]);
    expect(problems.map((p) => p.code)).toEqual(["CONVERSION_ORIGIN_ALREADY_DONE"]);
    expect(problems[0]!.params).toEqual({
      at: "08:00:00 20/07/2025",
      by: "Trần Thị Bình",
      firstConvertedAt: "2025-07-20T01:00:00.000Z",
    });
    expect(problems[0]!.message).toContain("at 08:00:00 20/07/2025 (by Trần Thị Bình)");
  });

  it("allows archive copies any number of times", () => {
    expect(checkConversion("archive", [origin, archive, archive])).toEqual([]);
  });
});

describe("formatLocalTime", () => {
  it("writes an instant in Vietnam time, crossing midnight", () => {
    expect(formatLocalTime(at("2025-12-31T17:05:09Z"))).toBe("00:05:09 01/01/2026");
  });
});
