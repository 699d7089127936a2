/**
 * Test kit of the portal: the composed system (seller, T-VAN, authority) on a fresh database, two
 * registered sellers with keys and a series, the portal mounted on the app, and `Agent`, a cookie-keeping
 * client over `app.inject` that reads each page's CSRF token like a browser would.
 */
import { ApiKeys } from "../../src/api/auth.ts";
import { fail, ok } from "../../src/domain/problem.ts";
import { portalProblem } from "../../src/portal/codes.ts";
import { registerPortal } from "../../src/portal/index.ts";
import type { SessionStore } from "../../src/portal/session.ts";
import { SellerReports } from "../../src/seller/reports.ts";
import { devTrustStore } from "../../src/signing/dev-ca.ts";
import {
  ADMIN_KEY,
  devCaDir,
  openSellerKit,
  SELLER_A,
  SELLER_B,
  type SellerKit,
  seriesOf,
} from "../seller/support.ts";
import type { Backend } from "../store/backends.ts";

export const INSPECTOR_KEY = "inspector-key-0123456789abcdef";
export const PASSWORD_USER = { email: "ketoan@a.vn", password: "một mật khẩu dài" };

export interface PortalKit extends SellerKit {
  readonly sessions: SessionStore;
  readonly keyA: string;
  readonly keyB: string;
  readonly viewerA: string;
  readonly series: string;
}

export async function openPortalKit(backend: Backend): Promise<PortalKit> {
  // The kit's own portal is left out: these tests mount one with their keys, clock and sign-in stand-in.
  const kit = await openSellerKit(backend, { compose: { portal: false } });
  const series = seriesOf(kit.today());
  const keys: Record<string, string> = {};
  for (const [taxCode, name] of [
    [SELLER_A, "Công ty Cổ phần Bán Hàng A"],
    [SELLER_B, "Công ty TNHH Bán Hàng B"],
  ] as const) {
    await kit.onboard({
      taxCode,
      name,
      address: "Số 1 Tràng Tiền, Hà Nội",
      profile: { email: "kt@example.vn", phone: "0241234567" },
    });
    const created = await kit.seller.createSeries(taxCode, { template: "1", series });
    if (!created.ok) throw new Error(created.problems[0]!.message);
    keys[taxCode] = (await kit.seller.createApiKey(taxCode, { name: `owner-${taxCode}`, role: "owner" })).key;
  }
  const viewerA = (await kit.seller.createApiKey(SELLER_A, { name: "viewer-a", role: "viewer" })).key;
  await kit.drain();
  const sessions = registerPortal(kit.app, {
    seller: kit.seller,
    authority: kit.authority,
    adminKeys: new ApiKeys([
      { role: "admin", name: "admin", key: ADMIN_KEY },
      { role: "inspector", name: "inspector-1", key: INSPECTOR_KEY },
    ]),
    reports: new SellerReports(kit.db),
    verify: { trust: await devTrustStore(await devCaDir()) },
    clock: kit.manual,
    // A stand-in for SellerLogins.signIn: one user with one password; success makes a key of the role.
    passwordSignIn: async (taxCode, email, password) => {
      if (taxCode !== SELLER_A || email !== PASSWORD_USER.email || password !== PASSWORD_USER.password)
        return fail([portalProblem("PORTAL_KEY_REFUSED", "/password")]);
      const k = await kit.seller.createApiKey(taxCode, { name: `sign-in ${email}`, role: "accountant" });
      return ok({ key: k.key, holder: { taxCode, role: "accountant", keyId: k.info.id, name: "Kế toán A" } });
    },
  });
  return { ...kit, sessions, keyA: keys[SELLER_A]!, keyB: keys[SELLER_B]!, viewerA, series };
}

export interface Page {
  readonly status: number;
  readonly body: string;
  readonly location?: string;
  readonly headers: Record<string, string | string[] | number | undefined>;
}

/** A browser-like client: keeps cookies, follows nothing by itself, finds the CSRF token of the last page. */
export class Agent {
  readonly cookies = new Map<string, string>();
  csrf = "";

  constructor(private readonly kit: PortalKit) {}

  #cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ");
  }

  #keep(setCookie: string | string[] | number | undefined): void {
    const list = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [String(setCookie)];
    for (const c of list) {
      const [pair, ...attrs] = c.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = decodeURIComponent(pair!.slice(eq + 1).trim());
      if (attrs.some((a) => a.trim() === "Max-Age=0")) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: "GET" | "POST", url: string, form?: Record<string, string>): Promise<Page> {
    const r = await this.kit.app.inject({
      method,
      url,
      headers: {
        cookie: this.#cookieHeader(),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(form ? { payload: new URLSearchParams(form).toString() } : {}),
    });
    this.#keep(r.headers["set-cookie"]);
    const token = /name="_csrf" value="([^"]+)"/.exec(r.body)?.[1];
    if (token) this.csrf = token;
    const location = r.headers.location;
    return {
      status: r.statusCode,
      body: r.body,
      headers: r.headers,
      ...(typeof location === "string" ? { location } : {}),
    };
  }

  get(url: string): Promise<Page> {
    return this.request("GET", url);
  }

  /** POSTs a form with the CSRF token of the last page read. */
  post(url: string, form: Record<string, string>, options: { csrf?: boolean } = {}): Promise<Page> {
    return this.request("POST", url, options.csrf === false ? form : { _csrf: this.csrf, ...form });
  }

  async signIn(key: string): Promise<Page> {
    await this.get("/portal/sign-in");
    return this.post("/portal/sign-in", { key });
  }
}

/** The form of a one-line invoice in the portal's field names. */
export function invoiceForm(series: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    symbol: `1|${series}`,
    "header.paymentMethod": "TM/CK",
    "buyer.name": "Công ty Cổ phần Người Mua",
    "buyer.taxCode": "0101243150",
    "buyer.address": "12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh",
    "lines[0].itemName": "Máy tính xách tay",
    "lines[0].unit": "Cái",
    "lines[0].quantity": "2",
    "lines[0].unitPrice": "15.000.000",
    "lines[0].vatRate": "10%",
    intent: "issue",
    ...overrides,
  };
}
