import fc from "fast-check";
import { doReadNumber, ReadingConfig } from "read-vietnamese-number";
import { describe, expect, it } from "vitest";
import { Dec } from "./decimal.ts";
import { amountInWords, type WordsOptions, wordsKey, wordsMatch } from "./words.ts";

type Spelling = Required<Pick<WordsOptions, "odd" | "thousand" | "four" | "billion">>;

const SPELLINGS: Spelling[] = [];
for (const odd of ["linh", "lẻ"] as const)
  for (const thousand of ["nghìn", "ngàn"] as const)
    for (const four of ["tư", "bốn"] as const)
      for (const billion of ["tỷ", "tỉ"] as const) SPELLINGS.push({ odd, thousand, four, billion });

/** read-vietnamese-number set to hddt's conventions for a spelling; unit words given separately. */
function oracle(spelling: Spelling, unit: string[] = ["đồng"]): ReadingConfig {
  const config = new ReadingConfig();
  config.unit = unit;
  config.units = [[], [spelling.thousand], ["triệu"], [spelling.billion]];
  config.oddText = spelling.odd;
  config.fourToneText = spelling.four;
  config.pointText = "phẩy";
  config.negativeText = "âm";
  return config;
}
const ORACLES = SPELLINGS.map((s) => oracle(s));

const LIMIT = 10n ** 21n;
/** Integers 0..10^21, half of them built from three-digit groups that are often zero (to hit skipped groups). */
const integerArb = fc.oneof(
  fc.bigInt({ min: 0n, max: LIMIT }),
  fc
    .array(
      fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999 }), fc.constantFrom(1, 4, 5, 10, 14, 15, 21)),
      {
        minLength: 1,
        maxLength: 7,
      },
    )
    .map((groups) => groups.reduce((acc, g) => acc * 1000n + BigInt(g), 0n)),
  fc.constant(LIMIT),
);

describe("amountInWords against read-vietnamese-number", () => {
  it("reads every integer up to 10^21 like the reference, in every spelling", () => {
    fc.assert(
      fc.property(
        integerArb,
        fc.integer({ min: 0, max: SPELLINGS.length - 1 }),
        fc.boolean(),
        (n, i, neg) => {
          const value = neg ? -n : n;
          const spelling = SPELLINGS[i]!;
          expect(amountInWords(value, { ...spelling, capitalize: false })).toBe(
            doReadNumber(value.toString(), ORACLES[i]!),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("reads VND amounts with decimals like the reference, with 'phẩy'", () => {
    const decimalArb = fc
      .record({
        units: fc.bigInt({ min: -(10n ** 21n), max: 10n ** 21n }),
        scale: fc.integer({ min: 0, max: 6 }),
      })
      .map(({ units, scale }) => Dec.of(units, scale));
    fc.assert(
      fc.property(decimalArb, fc.integer({ min: 0, max: SPELLINGS.length - 1 }), (d, i) => {
        expect(amountInWords(d, { ...SPELLINGS[i]!, capitalize: false })).toBe(
          doReadNumber(d.toString(), ORACLES[i]!),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("reads the whole part of a foreign amount like the reference with the currency's unit", () => {
    const usd = oracle({ odd: "linh", thousand: "nghìn", four: "tư", billion: "tỷ" }, ["đô", "la", "Mỹ"]);
    fc.assert(
      fc.property(integerArb, (n) => {
        expect(amountInWords(n, { currency: "USD", capitalize: false })).toBe(doReadNumber(n, usd));
      }),
    );
  });
});

describe("amountInWords by hand", () => {
  it.each([
    [0n, "Không đồng"],
    [1n, "Một đồng"],
    [5n, "Năm đồng"],
    [4n, "Bốn đồng"],
    [10n, "Mười đồng"],
    [11n, "Mười một đồng"],
    [14n, "Mười bốn đồng"],
    [15n, "Mười lăm đồng"],
    [20n, "Hai mươi đồng"],
    [21n, "Hai mươi mốt đồng"],
    [24n, "Hai mươi tư đồng"],
    [25n, "Hai mươi lăm đồng"],
    [101n, "Một trăm linh một đồng"],
    [104n, "Một trăm linh bốn đồng"],
    [105n, "Một trăm linh năm đồng"],
    [110n, "Một trăm mười đồng"],
    [115n, "Một trăm mười lăm đồng"],
    [1001n, "Một nghìn không trăm linh một đồng"],
    [1010n, "Một nghìn không trăm mười đồng"],
    [1_000_001n, "Một triệu không trăm linh một đồng"],
    [1_050_000n, "Một triệu không trăm năm mươi nghìn đồng"],
    [10n ** 9n + 1n, "Một tỷ không trăm linh một đồng"],
    [10n ** 12n, "Một nghìn tỷ đồng"],
    [10n ** 15n, "Một triệu tỷ đồng"],
    [10n ** 18n, "Một tỷ tỷ đồng"],
    [10n ** 18n + 1n, "Một tỷ tỷ không trăm linh một đồng"],
    [10n ** 21n, "Một nghìn tỷ tỷ đồng"],
    [12_445_455n, "Mười hai triệu bốn trăm bốn mươi lăm nghìn bốn trăm năm mươi lăm đồng"],
    [13_690_000n, "Mười ba triệu sáu trăm chín mươi nghìn đồng"],
    [-5_245_838n, "Âm năm triệu hai trăm bốn mươi lăm nghìn tám trăm ba mươi tám đồng"],
  ])("reads %s as %j", (n, words) => {
    expect(amountInWords(n)).toBe(words);
  });

  it("applies each spelling option where it belongs and nowhere else", () => {
    const n = 1_004_024_105_000n;
    expect(amountInWords(n)).toBe(
      "Một nghìn không trăm linh bốn tỷ không trăm hai mươi tư triệu một trăm linh năm nghìn đồng",
    );
    expect(amountInWords(n, { odd: "lẻ", thousand: "ngàn", four: "bốn", billion: "tỉ" })).toBe(
      "Một ngàn không trăm lẻ bốn tỉ không trăm hai mươi bốn triệu một trăm lẻ năm ngàn đồng",
    );
  });

  it("capitalizes only on request and adds 'chẵn' only on request", () => {
    expect(amountInWords(1_100_000n, { capitalize: false })).toBe("một triệu một trăm nghìn đồng");
    expect(amountInWords(1_100_000n, { exactSuffix: true })).toBe("Một triệu một trăm nghìn đồng chẵn");
    expect(amountInWords("1.5", { exactSuffix: true })).toBe("Một phẩy năm đồng");
    expect(amountInWords(-1n)).toBe("Âm một đồng");
  });

  it("accepts Dec, decimal text and bigint alike, ignoring trailing zeros", () => {
    expect(amountInWords(Dec.parse("421000.0"))).toBe("Bốn trăm hai mươi mốt nghìn đồng");
    expect(amountInWords("421000.000")).toBe("Bốn trăm hai mươi mốt nghìn đồng");
    expect(amountInWords("-0.00")).toBe("Không đồng");
    expect(() => amountInWords("1,5")).toThrow(RangeError);
  });

  it("reads a VND fraction after 'phẩy'", () => {
    expect(amountInWords("1234.5")).toBe("Một nghìn hai trăm ba mươi tư phẩy năm đồng");
    expect(amountInWords("0.05")).toBe("Không phẩy không năm đồng");
    expect(amountInWords("1.25")).toBe("Một phẩy hai mươi lăm đồng");
    expect(amountInWords("1.005")).toBe("Một phẩy không trăm linh năm đồng");
    expect(amountInWords("1.2345")).toBe("Một phẩy hai ba bốn năm đồng");
  });

  it("reads foreign amounts in units and sub-units", () => {
    expect(amountInWords("123.45", { currency: "USD" })).toBe(
      "Một trăm hai mươi ba đô la Mỹ và bốn mươi lăm xen",
    );
    expect(amountInWords("123.5", { currency: "USD" })).toBe("Một trăm hai mươi ba đô la Mỹ và năm mươi xen");
    expect(amountInWords("0.05", { currency: "USD" })).toBe("Không đô la Mỹ và năm xen");
    expect(amountInWords("-2.01", { currency: "EUR" })).toBe("Âm hai ơ-rô và một xen");
    expect(amountInWords("100.00", { currency: "USD", exactSuffix: true })).toBe("Một trăm đô la Mỹ chẵn");
    expect(amountInWords("1.105", { currency: "KWD" })).toBe("Một dinar Kuwait và một trăm linh năm fils");
    expect(amountInWords("25.5", { currency: "CNY" })).toBe("Hai mươi lăm nhân dân tệ và năm mươi xu");
    expect(amountInWords("1000000", { currency: "JPY" })).toBe("Một triệu yên");
  });

  it("falls back to 'phẩy' when the fraction does not fit the sub-unit", () => {
    expect(amountInWords("1.234", { currency: "USD" })).toBe("Một phẩy hai trăm ba mươi tư đô la Mỹ");
    expect(amountInWords("1.5", { currency: "JPY" })).toBe("Một phẩy năm yên");
  });

  it("names an unknown currency by its code and accepts the đồng's local spellings", () => {
    expect(amountInWords(12n, { currency: "XYZ" })).toBe("Mười hai XYZ");
    expect(amountInWords(12n, { currency: "đ" })).toBe("Mười hai đồng");
    expect(amountInWords(12n, { currency: "usd" })).toBe("Mười hai đô la Mỹ");
  });
});

// TgTTTBSo / TgTTTBChu pairs of the real invoices in test/fixtures/real (copied here: src/domain may not read
// files). Each is compared with our words modulo spelling variants, case and punctuation.
const REAL_INVOICES: [file: string, total: string, words: string][] = [
  ["asia-tdiep202-c23tvh-9.xml", "19900000", "Mười chín triệu chín trăm  nghìn đồng"],
  ["asia-tdiep202-c23tvt-5.xml", "16356500", "Mười sáu triệu ba trăm năm mươi sáu nghìn năm trăm đồng"],
  ["bkav-c23tms-00000103.xml", "1100000", "Một triệu một trăm nghìn đồng chẵn./."],
  [
    "bkav-c25tac-00001131-thaythe.xml",
    "76378680",
    "Bảy mươi sáu triệu ba trăm bảy mươi tám nghìn sáu trăm tám mươi đồng chẵn./.",
  ],
  [
    "bkav-c25tac-00001144.xml",
    "147767635",
    "Một trăm bốn mươi bảy triệu bảy trăm sáu mươi bảy nghìn sáu trăm ba mươi lăm đồng chẵn./.",
  ],
  [
    "easyinvoice-c23taa-38.xml",
    "2868065",
    "Hai  triệu tám  trăm sáu  mươi tám  nghìn không  trăm sáu  mươi lăm  đồng.",
  ],
  ["fast-c23tah-56.xml", "13200000", "Mười ba triệu, hai trăm nghìn đồng chẵn"],
  [
    "gdt-test-tdiep202-ts24-c21tct-14.xml (DVTTe đ)",
    "1284000",
    "Một triệu hai trăm tám mươi bốn nghìn đồng.",
  ],
  ["viettel-c22taa-3499.xml", "104548700", "Một trăm lẻ bốn triệu năm trăm bốn mươi tám nghìn bảy trăm đồng"],
  ["viettel-k23tac-1390239.xml", "13690000", "Mười ba triệu sáu trăm chín mươi nghìn đồng"],
  ["vninvoice-vnpay-test-k23tll-226.xml", "0", "Không đồng"],
  ["vnpt-k25tek-5082-reformatted.xml", "3791700", "Ba triệu bảy trăm chín mươi mốt ngàn bảy trăm đồng chẵn"],
  ["gdt-portal-detail-c26tas-41.json", "421000.0", "Bốn trăm hai mươi mốt nghìn đồng"],
  ["gdt-portal-detail-c26tdl-572.json", "3240000.0", "Ba triệu hai trăm bốn mươi nghìn đồng chẵn"],
];

describe("words on real invoices", () => {
  it.each(REAL_INVOICES)("%s: %s matches its words", (_file, total, words) => {
    expect(wordsMatch(words, total, "VND")).toBe(true);
    expect(wordsMatch(words, Dec.parse(total).add(Dec.from(1000n)), "VND")).toBe(false);
  });

  it("writes the same words as the real invoices up to spelling options, case, spaces and 'chẵn./.'", () => {
    for (const [, total, words] of REAL_INVOICES) {
      const spelling: WordsOptions = {
        odd: words.includes("lẻ") ? "lẻ" : "linh",
        thousand: words.includes("ngàn") ? "ngàn" : "nghìn",
        four: words.includes("mươi bốn") ? "bốn" : "tư", // the GDT test invoice writes "tám mươi bốn"
        exactSuffix: words.includes("chẵn"),
      };
      const cleaned = words
        .replace(/[.,/]+/g, "")
        .replace(/\s+/g, " ")
        .trim();
      expect(amountInWords(total, spelling)).toBe(cleaned);
    }
  });
});

describe("wordsMatch", () => {
  const n = 1_234_024_105n;
  const ours = amountInWords(n);

  it("accepts every spelling variant, case, NFD and punctuation", () => {
    fc.assert(
      fc.property(
        integerArb,
        fc.integer({ min: 0, max: SPELLINGS.length - 1 }),
        fc.boolean(),
        fc.constantFrom("", " chẵn", " chẵn./.", ".", "./.", " "),
        (value, i, upper, tail) => {
          let text = amountInWords(value, SPELLINGS[i]!) + tail;
          if (upper) text = text.toUpperCase();
          expect(wordsMatch(text, value)).toBe(true);
          expect(wordsMatch(text.normalize("NFD"), value)).toBe(true);
        },
      ),
    );
  });

  it("refuses the words of any other amount", () => {
    fc.assert(
      fc.property(integerArb, integerArb, fc.integer({ min: 0, max: SPELLINGS.length - 1 }), (a, b, i) => {
        fc.pre(a !== b);
        expect(wordsMatch(amountInWords(a, SPELLINGS[i]!), b)).toBe(false);
      }),
    );
  });

  it("refuses words that break a reading rule or are cut short", () => {
    expect(wordsMatch(ours, n)).toBe(true);
    expect(wordsMatch("Một trăm năm đồng", 105n)).toBe(false); // needs linh/lẻ
    expect(wordsMatch("Một nghìn linh một đồng", 1001n)).toBe(false); // needs "không trăm"
    expect(wordsMatch("Hai mươi một đồng", 21n)).toBe(false); // needs mốt
    expect(wordsMatch("Mười lăm", 15n)).toBe(false); // no unit
    expect(wordsMatch("Mười lăm đô la Mỹ", 15n)).toBe(false); // wrong currency
    expect(wordsMatch("", 0n)).toBe(false);
    expect(wordsMatch("Năm triệu đồng", -5_000_000n)).toBe(false);
  });

  it("accepts negative amounts written with 'âm' or 'trừ'", () => {
    expect(wordsMatch("Âm năm triệu đồng", -5_000_000n)).toBe(true);
    expect(wordsMatch("Trừ năm triệu đồng", "-5000000")).toBe(true);
  });

  it("accepts other names of the currency and old tone placement", () => {
    expect(wordsMatch("Mười hai đô la và năm mươi cent", "12.50", "USD")).toBe(true);
    expect(wordsMatch("Mười hai USD và năm mươi xen", "12.5", "USD")).toBe(true);
    expect(wordsMatch("Một trăm euro", "100", "EUR")).toBe(true);
    expect(wordsMatch("Một trăm franc Thuỵ Sĩ", "100", "CHF")).toBe(true);
    expect(wordsMatch("Một trăm VNĐ", "100")).toBe(true);
    expect(wordsMatch("Mười hai XYZ", "12", "XYZ")).toBe(true);
    expect(wordsMatch("Mười hai đồng", "12", "đ")).toBe(true);
    expect(wordsMatch("Mười hai yên và năm mươi xen", "12.50", "JPY")).toBe(false);
  });

  it("compares by a key that ignores presentation only", () => {
    expect(wordsKey("  Hai  triệu, tám trăm NGÀN đồng chẵn./.")).toBe(
      wordsKey("hai triệu tám trăm nghìn đồng"),
    );
    expect(wordsKey("mười")).not.toBe(wordsKey("mươi"));
  });
});

describe("amountInWords speed", () => {
  it("reads 100 000 totals well within a second", () => {
    const start = performance.now();
    let length = 0;
    for (let i = 0; i < 100_000; i++) length += amountInWords(BigInt(i) * 1_234_567n + 999n).length;
    expect(length).toBeGreaterThan(0);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
