import { describe, expect, it } from "vitest";
import { parseXml } from "../format/xml.ts";
import { invoiceKeys } from "./tvan.ts";

function keysOf(xml: string) {
  const parsed = parseXml(xml);
  if (!parsed.ok) throw new Error("bad XML");
  return invoiceKeys(parsed.value.source, parsed.value.root);
}

const ttchung = (number: string, related = "") =>
  `<HDon><DLHDon Id="d"><TTChung><PBan>2.1.0</PBan><KHMSHDon>1</KHMSHDon><KHHDon>C26TAA</KHHDon><SHDon>${number}</SHDon>${related}</TTChung></DLHDon></HDon>`;

describe("invoiceKeys", () => {
  it("reads the invoice's own key, numbers compared without leading zeros", () => {
    expect(keysOf(ttchung("00000123"))).toEqual({ own: "1|C26TAA|123" });
    expect(keysOf(ttchung("0"))).toEqual({ own: "1|C26TAA|0" });
  });

  it("reads the key of the invoice a replacement or adjustment corrects from TTHDLQuan", () => {
    const related =
      "<TTHDLQuan><TCHDon>1</TCHDon><KHMSHDCLQuan>1</KHMSHDCLQuan><KHHDCLQuan>C26TAA</KHHDCLQuan><SHDCLQuan>00000007</SHDCLQuan></TTHDLQuan>";
    expect(keysOf(ttchung("9", related))).toEqual({ own: "1|C26TAA|9", related: "1|C26TAA|7" });
  });

  it("gives nothing for a payload that is not an invoice or has no number", () => {
    expect(keysOf("<TKhai><DLTKhai><SHDon>1</SHDon></DLTKhai></TKhai>")).toBeUndefined();
    expect(keysOf("<HDon><DLHDon><TTChung><PBan>2.1.0</PBan></TTChung></DLHDon></HDon>")).toBeUndefined();
  });
});
