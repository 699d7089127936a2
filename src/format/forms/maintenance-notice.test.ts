import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseXml } from "../xml.ts";
import {
  MAINTENANCE_NOTICE_FORM,
  type MaintenanceNotice,
  readMaintenanceNotice,
  writeMaintenanceNotice,
} from "./maintenance-notice.ts";

const VI_CHARS = [..."aăâbcdđeêghiklmnoôơpqrstuưvxyAĐƯáàảãạấầẩẫậắéèẻếềểễệ0123456789 -/.,&<>\"'"];
const viText = (max = 40) =>
  fc
    .array(fc.constantFrom(...VI_CHARS), { minLength: 1, maxLength: max })
    .map((a) => a.join(""))
    .filter((s) => s.trim() === s && s !== "");
const dateTime = fc
  .date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2040-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 19));

const sample: MaintenanceNotice = {
  id: "DLTBao-BTHT-1",
  version: "2.1.0",
  form: MAINTENANCE_NOTICE_FORM,
  title: "Thông báo tạm dừng hệ thống hóa đơn điện tử để bảo trì",
  number: "TB-0001",
  place: "Hà Nội",
  date: "2023-03-07",
  authority: "Cục Thuế",
  windowId: "7",
  startsAt: "2023-03-09T00:00:00",
  endsAt: "2023-03-09T03:45:00",
  checkUntil: "2023-03-09T05:00:00",
  reason: "Nâng cấp hạ tầng kỹ thuật",
  signatures: [{ name: "CQT", xml: "" }],
};

function read(xml: string) {
  const parsed = parseXml(xml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return readMaintenanceNotice(parsed.value.root, { source: parsed.value.source });
}

describe("maintenance notice (hddt/TB-BTHT)", () => {
  it("writes the window in the documented order and reads it back", () => {
    const xml = writeMaintenanceNotice(sample);
    expect(xml).toContain(
      "<MTBTri>7</MTBTri><TGBDau>2023-03-09T00:00:00</TGBDau><TGKThuc>2023-03-09T03:45:00</TGKThuc>" +
        "<TGKTKNoi>2023-03-09T05:00:00</TGKTKNoi><NDung>Nâng cấp hạ tầng kỹ thuật</NDung></DLTBao>" +
        "<DSCKS><CQT></CQT></DSCKS></TBao>",
    );
    expect(read(xml)).toEqual({ ok: true, value: sample });
  });

  it("round-trips any notice (write → read is the identity)", () => {
    fc.assert(
      fc.property(
        fc.record({
          title: viText(),
          number: viText(20),
          reason: viText(200),
          windowId: fc.integer({ min: 1, max: 1e9 }).map(String),
          startsAt: dateTime,
          endsAt: dateTime,
          checkUntil: fc.option(dateTime, { nil: undefined }),
        }),
        (v) => {
          const { checkUntil, ...rest } = v;
          const x: MaintenanceNotice = { ...sample, ...rest };
          if (checkUntil === undefined) delete x.checkUntil;
          else x.checkUntil = checkUntil;
          expect(read(writeMaintenanceNotice(x))).toEqual({ ok: true, value: x });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("reports every missing field and a bad date", () => {
    const xml = writeMaintenanceNotice(sample)
      .replace("<MTBTri>7</MTBTri>", "")
      .replace("<TGBDau>2023-03-09T00:00:00</TGBDau>", "<TGBDau>9/3/2023</TGBDau>");
    const r = read(xml);
    expect(!r.ok && r.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_MISSING", "/TBao/DLTBao/MTBTri"],
      ["FORM_FIELD_BAD_DATE", "/TBao/DLTBao/TGBDau"],
    ]);
  });
});
