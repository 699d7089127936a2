/**
 * The HTTP routes of the seller's further flows: cash-register invoices through the usual create route,
 * per-occurrence issue, exception contracts, summary tables and review notices, with idempotency keys and
 * tenant isolation (organisation B's key never sees or touches A's).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  invoiceInput,
  openSellerKit,
  SELLER_A,
  SELLER_B,
  type SellerKit,
} from "../seller/support.ts";
import { testBackends } from "../store/backends.ts";

describe.each(testBackends())("seller HTTP API: more flows (%s)", (backend) => {
  let kit: SellerKit;
  let keyA: string;
  let keyB: string;
  let yy: string;

  const call = (
    key: string | undefined,
    method: "GET" | "POST" | "PUT" | "PATCH",
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    kit.app.inject({
      method,
      url,
      headers: {
        ...(key ? { "x-api-key": key } : {}),
        ...(payload !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });

  beforeAll(async () => {
    kit = await openSellerKit(backend);
    yy = kit.today().slice(2, 4);
    const keys: string[] = [];
    for (const taxCode of [SELLER_A, SELLER_B]) {
      const r = await call(ADMIN_KEY, "POST", "/seller/organisations", {
        taxCode,
        name: `Công ty ${taxCode}`,
        address: "Số 1 Tràng Tiền, Hà Nội",
        profile: { email: "ketoan@example.vn", phone: "0241234567", cashRegisterBlock: "K7L8M" },
        owner: { email: `owner@${taxCode}.vn`, name: "Chủ" },
      });
      expect(r.statusCode).toBe(201);
      const key = r.json().apiKey.key as string;
      keys.push(key);
      await kit.authority.upsertTaxpayer({ taxCode, name: taxCode });
      expect((await call(key, "PUT", "/seller/signing-key", { kind: "dev" })).statusCode).toBe(200);
      for (const series of [`C${yy}MAA`, `C${yy}TAA`])
        expect((await call(key, "POST", "/seller/series", { template: "1", series })).statusCode).toBe(201);
      const reg = { withCode: true, withoutCode: false, cashRegister: true };
      expect((await call(key, "POST", "/seller/registration", reg)).statusCode).toBe(202);
    }
    [keyA, keyB] = keys as [string, string];
    await kit.drain();
  }, 120_000);
  afterAll(async () => {
    await kit?.close();
  });

  it("describes the new routes in the OpenAPI document", async () => {
    const spec = (await call(undefined, "GET", "/openapi.json")).json() as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        "/seller/invoices/{id}/per-occurrence",
        "/seller/exception-contracts",
        "/seller/summary-tables",
        "/seller/review-notices",
        "/seller/review-notices/{id}",
        "/seller/review-notices/{id}/answer",
      ]),
    );
  });

  it("issues a cash-register invoice through the create route, idempotently, with the seller-made code", async () => {
    const body = invoiceInput(`C${yy}MAA`);
    const first = await call(keyA, "POST", "/seller/invoices?issue=true", body, {
      "idempotency-key": "cash-1",
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ state: "delivered", authorityCode: `M1-${yy}-K7L8M-00000000001` });
    const again = await call(keyA, "POST", "/seller/invoices?issue=true", body, {
      "idempotency-key": "cash-1",
    });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    await kit.drain();
    const got = await call(keyA, "GET", `/seller/invoices/${first.json().id}`);
    expect(got.json().dataState).toBe("accepted");
  }, 60_000);

  it("sends a draft as a per-occurrence invoice; another organisation's key cannot", async () => {
    const d = await call(keyA, "POST", "/seller/invoices", invoiceInput(`C${yy}TAA`), {
      "idempotency-key": "po-1",
    });
    expect(d.statusCode).toBe(201);
    const id = d.json().id as string;
    expect((await call(keyB, "POST", `/seller/invoices/${id}/per-occurrence`)).statusCode).toBe(404);
    const r = await call(keyA, "POST", `/seller/invoices/${id}/per-occurrence`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ state: "waiting_for_code", number: 1 });
  }, 60_000);

  it("records exception contracts per organisation, the contract number deciding repeats", async () => {
    const body = { contractNo: "HD-7", signedOn: "2025-05-05" };
    expect((await call(keyA, "POST", "/seller/exception-contracts", body)).statusCode).toBe(201);
    expect((await call(keyA, "POST", "/seller/exception-contracts", body)).statusCode).toBe(200);
    const other = await call(keyA, "POST", "/seller/exception-contracts", {
      ...body,
      signedOn: "2025-05-06",
    });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe("SELLER_IDEMPOTENCY_CONFLICT");
    const bad = await call(keyA, "POST", "/seller/exception-contracts", { ...body, signedOn: "05/05/2025" });
    expect(bad.statusCode).toBe(400);
    expect((await call(keyA, "GET", "/seller/exception-contracts")).json().items).toHaveLength(1);
    expect((await call(keyB, "GET", "/seller/exception-contracts")).json().items).toEqual([]);
  });

  it("refuses summary tables to a seller not allowed them", async () => {
    const r = await call(
      keyA,
      "POST",
      "/seller/summary-tables",
      { period: "2026-01" },
      { "idempotency-key": "s" },
    );
    expect(r.statusCode).toBe(422);
    expect(r.json().error.code).toBe("SELLER_SUMMARY_NOT_ALLOWED");
    expect((await call(keyA, "GET", "/seller/summary-tables")).json().items).toEqual([]);
  });

  it("lists a review notice to its organisation only and takes one answer, idempotently", async () => {
    const d = await call(keyA, "POST", "/seller/invoices?issue=true", invoiceInput(`C${yy}TAA`));
    const inv = d.json();
    await kit.drain();
    const sent = await kit.authority.createReviewNotice({
      taxCode: SELLER_A,
      to: kit.tvanParty,
      taxpayerAddress: "Số 1 Tràng Tiền, Hà Nội",
      invoices: [
        {
          template: "1",
          series: inv.series,
          number: String(inv.number),
          date: inv.issueDate,
          regime: 1,
          reason: "Cần rà soát",
        },
      ],
    });
    expect(sent.ok).toBe(true);
    await kit.drain();
    const open = (await call(keyA, "GET", "/seller/review-notices?open=true")).json().items;
    expect(open).toHaveLength(1);
    expect(open[0].invoices[0].invoiceId).toBe(inv.id);
    expect((await call(keyB, "GET", "/seller/review-notices")).json().items).toEqual([]);
    expect((await call(keyB, "GET", `/seller/review-notices/${open[0].id}`)).statusCode).toBe(404);
    const body = { items: [{ invoiceId: inv.id, error: "name-address", reason: "Sai tên người mua" }] };
    const url = `/seller/review-notices/${open[0].id}/answer`;
    expect((await call(keyB, "POST", url, body, { "idempotency-key": "a-1" })).statusCode).toBe(404);
    const first = await call(keyA, "POST", url, body, { "idempotency-key": "a-1" });
    expect(first.statusCode).toBe(201);
    const repeat = await call(keyA, "POST", url, body, { "idempotency-key": "a-1" });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json().messageId).toBe(first.json().messageId);
    const other = await call(keyA, "POST", url, body, { "idempotency-key": "a-2" });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe("SELLER_REVIEW_ANSWER_CONFLICT");
    expect((await call(keyA, "GET", "/seller/review-notices?open=true")).json().items).toEqual([]);
  }, 60_000);
});
