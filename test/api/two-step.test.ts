/**
 * Two-step signing in the seller's issuing flow, for a key that stays with the user (USB token, remote
 * signing): an invoice is numbered and waits with the digest to sign; the signature value finishes it and it
 * goes on as if signed on the server (coded by the authority, delivered). Withdrawal gives back only the
 * series' last number; a wrong value is refused and the invoice keeps waiting; forms the seller must sign
 * say plainly that they need a server-side key.
 */
import { constants, createSign, type KeyObject, privateEncrypt } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate, loadDevCa } from "../../src/signing/dev-ca.ts";
import { verifyDocument } from "../../src/signing/verify.ts";
import {
  ADMIN_KEY,
  devCaDir,
  invoiceInput,
  openSellerKit,
  SELLER_A,
  SELLER_B,
  type SellerKit,
} from "../seller/support.ts";
import { xmlsec1Verify } from "../signing/support.ts";
import { testBackends } from "../store/backends.ts";

interface SigningRequest {
  invoiceId: string;
  number: number;
  algorithm: string;
  digest: string;
  digestInfo: string;
  signedInfo: string;
  certificate: string;
}

describe.each(testBackends())("two-step signing of invoices (%s)", (backend) => {
  let kit: SellerKit;
  let keyA: string;
  let keyB: string;
  let tokenKey: KeyObject;
  let certificate: string;
  let coded: string;
  let plain: string;

  const call = (
    key: string | undefined,
    method: "GET" | "POST" | "PUT" | "DELETE",
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

  const draft = async (series: string, key: string) => {
    const r = await call(keyA, "POST", "/seller/invoices", invoiceInput(series), { "idempotency-key": key });
    expect(r.statusCode).toBe(201);
    return r.json().id as string;
  };
  const issue = async (id: string) => {
    const r = await call(keyA, "POST", `/seller/invoices/${id}/issue`);
    expect(r.statusCode).toBe(200);
    return r.json() as { state: string; number: number | null };
  };
  const requests = async (key = keyA) => {
    const r = await call(key, "GET", "/seller/signing-requests");
    expect(r.statusCode).toBe(200);
    return r.json().requests as SigningRequest[];
  };
  /** What a token does with the SignedInfo: PKCS#1 v1.5 over SHA-256. */
  const signText = (req: SigningRequest, key: KeyObject = tokenKey) =>
    createSign("RSA-SHA256").update(req.signedInfo, "utf8").sign(key).toString("base64");
  const sign = (signatures: { invoiceId: string; signatureValue: string }[], key = keyA) =>
    call(key, "POST", "/seller/signing-requests/signatures", { signatures });
  const state = async (id: string) =>
    (await call(keyA, "GET", `/seller/invoices/${id}`)).json().state as string;

  beforeAll(async () => {
    kit = await openSellerKit(backend);
    const yy = kit.today().slice(2, 4);
    coded = `C${yy}TAA`;
    plain = `K${yy}TAA`;
    const keys: string[] = [];
    for (const taxCode of [SELLER_A, SELLER_B]) {
      const r = await call(ADMIN_KEY, "POST", "/seller/organisations", {
        taxCode,
        name: `Công ty ${taxCode}`,
        address: "Số 1 Tràng Tiền, Hà Nội",
        profile: { email: "ketoan@example.vn", phone: "0241234567" },
        owner: { email: `owner@${taxCode}.vn`, name: "Chủ" },
      });
      expect(r.statusCode).toBe(201);
      const key = r.json().apiKey.key as string;
      keys.push(key);
      await kit.authority.upsertTaxpayer({ taxCode, name: taxCode });
      expect((await call(key, "PUT", "/seller/signing-key", { kind: "dev" })).statusCode).toBe(200);
      for (const series of [coded, plain])
        expect((await call(key, "POST", "/seller/series", { template: "1", series })).statusCode).toBe(201);
      const reg = { withCode: true, withoutCode: true };
      expect((await call(key, "POST", "/seller/registration", reg)).statusCode).toBe(202);
    }
    [keyA, keyB] = keys as [string, string];
    await kit.drain();
    // The user's token: a certificate of the (development) CA whose key never reaches the server.
    const identity = await issueCertificate(await loadDevCa(await devCaDir()), {
      name: "Công ty 0100109106",
      taxCode: SELLER_A,
      notBefore: new Date(kit.manual.now().getTime() - 86_400_000),
    });
    tokenKey = identity.key!;
    certificate = identity.certificate;
    const set = await call(keyA, "PUT", "/seller/signing-key", { kind: "two-step", certificate });
    expect(set.statusCode).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await kit?.close();
  });

  it("registers the token's certificate with a form signed in two steps", async () => {
    const r = await call(keyA, "POST", "/seller/registration", { withCode: true, withoutCode: true });
    expect(r.statusCode).toBe(202);
    const reg = r.json() as { id: string; state: string; signingRequest: SigningRequest };
    expect(reg.state).toBe("awaiting_signature");
    const other = (
      await issueCertificate(await loadDevCa(await devCaDir()), { name: "Khác", taxCode: SELLER_A })
    ).key!;
    const wrong = await call(keyA, "POST", `/seller/registration/${reg.id}/signature`, {
      signatureValue: signText(reg.signingRequest, other),
    });
    expect(wrong.json().error.problems[0].code).toBe("SIG_KEY_MISMATCH");
    const done = await call(keyA, "POST", `/seller/registration/${reg.id}/signature`, {
      signatureValue: signText(reg.signingRequest),
    });
    expect(done.statusCode).toBe(200);
    expect(done.json().state).toBe("sent");
    await kit.drain();
    const list = (await call(keyA, "GET", "/seller/registration")).json().items as {
      id: string;
      state: string;
    }[];
    expect(list.find((x) => x.id === reg.id)?.state).toBe("accepted");
  });

  it("numbers an issued invoice and parks it with the digest of the canonical SignedInfo", async () => {
    const id = await draft(coded, "two-step-1");
    const issued = await issue(id);
    expect(issued.state).toBe("awaiting_signature");
    expect(issued.number).toBe(1);
    const [req] = (await requests()).filter((x) => x.invoiceId === id);
    expect(req?.algorithm).toBe("RSA-SHA256");
    expect(req?.certificate.replace(/\s+/g, "")).toBe(certificate.replace(/\s+/g, ""));
    expect(req?.signedInfo.startsWith('<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#">')).toBe(true);
    // The DigestInfo is the SHA-256 prefix around the digest.
    const info = Buffer.from(req!.digestInfo, "base64");
    expect(info.subarray(0, 19).toString("hex")).toBe("3031300d060960864801650304020105000420");
    expect(info.subarray(19).toString("base64")).toBe(req?.digest);
    const key = (await call(keyA, "GET", "/seller/signing-key")).json();
    expect(key).toMatchObject({ kind: "two-step", taxCode: SELLER_A, awaitingSignature: 1 });
    expect(key).not.toHaveProperty("keyPem");
    // Nothing was sent yet: the authority has not seen it.
    expect(
      (await call(keyA, "GET", `/seller/invoices/${id}/history`))
        .json()
        .items.map((h: { to: string }) => h.to),
    ).toEqual(["draft", "awaiting_signature"]);
  });

  it("refuses a value from another key and keeps the invoice waiting", async () => {
    const [req] = await requests();
    const other = (
      await issueCertificate(await loadDevCa(await devCaDir()), { name: "Khác", taxCode: SELLER_A })
    ).key!;
    const r = await sign([{ invoiceId: req!.invoiceId, signatureValue: signText(req!, other) }]);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.signed).toBe(0);
    expect(body.results[0].problems[0].code).toBe("SIG_KEY_MISMATCH");
    expect(body.results[0].problems[0].path).toBe("signatures.0.signatureValue");
    expect(await state(req!.invoiceId)).toBe("awaiting_signature");
  });

  it("gives back only the series' last number when an invoice is withdrawn", async () => {
    const second = await draft(coded, "two-step-2");
    const third = await draft(coded, "two-step-3");
    expect((await issue(second)).number).toBe(2);
    expect((await issue(third)).number).toBe(3);
    const refused = await call(keyA, "DELETE", `/seller/invoices/${second}/signing-request`);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.problems[0].code).toBe("SELLER_WITHDRAW_NOT_LAST");
    const back = await call(keyA, "DELETE", `/seller/invoices/${third}/signing-request`);
    expect(back.statusCode).toBe(200);
    expect(back.json()).toMatchObject({ state: "draft", number: null });
    const series = (await call(keyA, "GET", "/seller/series")).json().items as {
      series: string;
      used: number;
    }[];
    expect(series.find((s) => s.series === coded)?.used).toBe(2);
    // Issued again, the draft takes the same number: no gap, no skip.
    expect((await issue(third)).number).toBe(3);
  });

  it("finishes the invoices with values from the token; the authority codes them and the buyer gets them", async () => {
    const waiting = await requests();
    expect(waiting.map((x) => x.number)).toEqual([1, 2, 3]);
    // One value over the SignedInfo (a signing service), two over the raw DigestInfo (a token's CKM_RSA_PKCS).
    const values = waiting.map((req, i) => ({
      invoiceId: req.invoiceId,
      signatureValue:
        i === 0
          ? signText(req)
          : privateEncrypt(
              { key: tokenKey, padding: constants.RSA_PKCS1_PADDING },
              Buffer.from(req.digestInfo, "base64"),
            ).toString("base64"),
    }));
    const r = await sign(values);
    expect(r.json()).toMatchObject({ signed: 3, failed: 0 });
    expect(r.json().results.map((x: { invoice: { state: string } }) => x.invoice.state)).toEqual([
      "waiting_for_code",
      "waiting_for_code",
      "waiting_for_code",
    ]);
    expect(await requests()).toEqual([]);
    await kit.drain();
    const ca = readFileSync(join(await devCaDir(), "ca.pem"), "utf8");
    for (const { invoiceId } of values) {
      expect(await state(invoiceId)).toBe("delivered");
      const xml = (await call(keyA, "GET", `/seller/invoices/${invoiceId}/xml`)).body;
      const reports = verifyDocument(xml);
      expect(reports.map((s) => [s.role, s.valid])).toEqual([
        ["seller", true],
        ["authority", true],
      ]);
      expect(reports[0]?.taxCode).toBe(SELLER_A);
      // Debian's xmlsec1 agrees, for both signatures.
      expect(await xmlsec1Verify(xml, ca, 2)).toEqual(["OK", "OK"]);
    }
    // A value given again changes nothing and answers with the invoice as it is.
    const again = await sign(values.slice(0, 1));
    expect(again.json().results[0].invoice.state).toBe("delivered");
    // An error notice 04/SS still needs a key on the server, and says so.
    const notice = await kit.seller.sendErrorNotice(SELLER_A, [
      { invoiceId: values[0]!.invoiceId, error: "name-address", reason: "Sai địa chỉ người mua" },
    ]);
    expect(notice.ok ? [] : notice.problems.map((p) => p.code)).toEqual(["SELLER_KEY_AT_USER"]);
  });

  it("sends a no-code invoice's data and delivers it once signed", async () => {
    const id = await draft(plain, "two-step-k");
    expect((await issue(id)).state).toBe("awaiting_signature");
    const [req] = (await requests()).filter((x) => x.invoiceId === id);
    const r = await sign([{ invoiceId: id, signatureValue: signText(req!) }]);
    expect(r.json().results[0].invoice).toMatchObject({ state: "delivered", dataState: "sent" });
    expect(kit.recorded.delivered.some((d) => d.invoiceId === id)).toBe(true);
  });

  it("keeps organisations apart", async () => {
    const id = await draft(coded, "two-step-isolation");
    await issue(id);
    expect(await requests(keyB)).toEqual([]);
    const [req] = (await requests()).filter((x) => x.invoiceId === id);
    const r = await sign([{ invoiceId: id, signatureValue: signText(req!) }], keyB);
    expect(r.json().results[0].problems[0].code).toBe("SELLER_INVOICE_NOT_FOUND");
    expect((await call(keyB, "DELETE", `/seller/invoices/${id}/signing-request`)).statusCode).toBe(404);
    expect(await state(id)).toBe("awaiting_signature");
  });
});
