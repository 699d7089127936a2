/**
 * All three parts in one process on one database: the tax authority, the T-VAN and the seller, wired by
 * messages only (the in-process transport), each with its own schema, outbox and worker, and one fastify
 * app with every part's routes. `hddt start` and the integration tests build on `composeAll`.
 *
 * Message paths:
 * - seller → T-VAN: the seller's outbox worker sends to the T-VAN's party code (`tvan.sellerEndpoint`);
 *   the T-VAN's 999 goes back to `seller.observeSend`.
 * - T-VAN → authority: the T-VAN's outbox worker sends to `TCT` (`authority.receive`); the authority's
 *   business answers (102, 103, 202, 204…) wait in its outbox for the T-VAN, which takes them
 *   (`pendingFor` / `markDelivered`, as a separate T-VAN process does over HTTP) right after each message
 *   and every `pullIdleMs`.
 * - T-VAN → seller: answers are pushed through the T-VAN's outbox to the seller's party code; every party
 *   other than the authority and the T-VAN is a seller of this installation (`seller.endpoint`).
 *
 * Signing: the authority's key and the sellers' file and development keys sign on worker threads
 * (`signerPool`), so RSA signatures use the other cores while the main thread serves requests and the
 * database; a USB token (PKCS#11) signs where its driver runs.
 */

import type { KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { type ApiKey, ApiKeys } from "../api/auth.ts";
import { registerExcelRoutes } from "../api/excel.ts";
import { registerLoginRoutes } from "../api/logins.ts";
import { registerNotifyRoutes } from "../api/notify.ts";
import { registerSellerRoutes } from "../api/seller.ts";
import { buildServer, type HttpApp } from "../api/server.ts";
import { authorityApi, registerAuthorityRoutes } from "../authority/http.ts";
import { AuthorityService } from "../authority/service.ts";
import type { Clock } from "../domain/clock.ts";
import { registerPortal } from "../portal/index.ts";
import { Archive } from "../seller/archive.ts";
import { SellerLogins } from "../seller/logins.ts";
import {
  type BuyerDelivery,
  defaultSignerFactory,
  RecordingDelivery,
  type SignerFactory,
} from "../seller/ports.ts";
import { SellerReports } from "../seller/reports.ts";
import { type OrganisationInput, type RegistrationForms, SellerService } from "../seller/service.ts";
import {
  DEFAULT_P12_PASSWORD,
  DEFAULT_PARTIES,
  devTrustStore,
  loadDevCa,
  writeDevCa,
} from "../signing/dev-ca.ts";
import { pkcs12Signer } from "../signing/pkcs12.ts";
import { signerPool } from "../signing/pool.ts";
import { memorySigner, type Signer } from "../signing/signer.ts";
import type { TrustStore } from "../signing/trust.ts";
import { type Database, migrate } from "../store/index.ts";
import { SecretBox } from "../store/secret-box.ts";
import { TvanService, verifierSignatureCheck } from "../transmission/tvan.ts";
import { Outbox } from "../transport/outbox.ts";
import {
  type CheckResult,
  delivered,
  type PartyAddress,
  type PartyEndpoint,
  type Transport,
  type TransportResult,
  unavailable,
} from "../transport/transport.ts";
import { OutboxWorker } from "../transport/worker.ts";
import { composeNotifications, type MailOptions, type Notifications } from "./notifications.ts";

export interface ComposeOptions {
  readonly db: Database;
  /** Default: the database's clock. */
  readonly clock?: Clock;
  /** Folder of the development CA (made if missing): the authority's key and the trust store. */
  readonly devCaDir: string;
  /** The authority's signer; default: `authority.p12` of the development CA. */
  readonly authoritySigner?: Signer;
  /** Trust for signature checks; default: the development CA's. */
  readonly trust?: TrustStore;
  /** HMAC secret of the MCCQT codes (≥ 16 bytes). Default: a fixed development secret. */
  readonly codeSecret?: Uint8Array;
  /** The T-VAN's party code. Default `V` + the development T-VAN's tax code. */
  readonly tvanParty?: PartyAddress;
  /** MSTTCGP on invoices. */
  readonly providerTaxCode?: string;
  /** Installation keys (admin, inspector, buyer) for the protected routes. */
  readonly apiKeys?: readonly ApiKey[];
  /** Delivery to buyers; default: by e-mail when `mail` is given, else kept in memory. */
  readonly delivery?: BuyerDelivery;
  /** E-mail to buyers and the maintenance notices to every customer, through the durable queue. */
  readonly mail?: MailOptions;
  /** Serve the web portal at /portal. Default true (tests that mount their own pass false). */
  readonly portal?: boolean;
  /** Base address of the public pages (printed on PDFs and in e-mails); default: relative links. */
  readonly publicUrl?: string;
  /** The installation's 32-byte key sealing secrets kept in the database (webhook secrets). */
  readonly secretKey?: Uint8Array;
  /** Let webhook subscriptions point into private networks (development, tests). Default false. */
  readonly allowPrivateWebhookTargets?: boolean;
  readonly logger?: boolean;
  /** Real-time wait of the workers and the pull loop when idle. Default 20 ms. */
  readonly idleMs?: number;
  /**
   * Worker threads of each signing pool (the authority's, and each seller key's). Default: the cores
   * but one (at least one); 0 signs on the main thread.
   */
  readonly signingThreads?: number;
}

export interface Composed {
  readonly db: Database;
  readonly clock: Clock;
  readonly authority: AuthorityService;
  readonly tvan: TvanService;
  readonly seller: SellerService;
  readonly archive: Archive;
  readonly delivery: BuyerDelivery;
  /** E-mail (when composed with `mail`) and webhooks. */
  readonly notifications: Notifications;
  readonly sellerOutbox: Outbox;
  readonly tvanOutbox: Outbox;
  readonly app: HttpApp;
  readonly tvanParty: PartyAddress;
  /** Starts the outbox workers and the pull loop. */
  start(): void;
  /** Stops them (the database stays open: its owner closes it). */
  stop(): Promise<void>;
  /** Moves every message until nothing is left to do (tests with a manual clock); returns the rounds. */
  drain(maxRounds?: number): Promise<number>;
  /**
   * Development onboarding: the organisation in the seller's system and the authority's registry, a
   * development signing key, and (unless `register` is false) its registration sent.
   */
  onboard(org: OrganisationInput, options?: { forms?: RegistrationForms; register?: boolean }): Promise<void>;
}

const DEV_CODE_SECRET = Buffer.from("hddt development code secret, not for production");

/** A transport over a function of the destination (the in-process wiring of one sender). */
function routed(route: (to: PartyAddress) => PartyEndpoint | undefined): Transport {
  return {
    async send(to, xml): Promise<TransportResult> {
      const p = route(to);
      if (!p) return unavailable(`no route to ${to}`);
      try {
        return await p.handle(xml);
      } catch (error) {
        return unavailable(`receiver failed: ${(error as Error).message}`);
      }
    },
    async check(to): Promise<CheckResult> {
      const p = route(to);
      if (!p) return unavailable(`no route to ${to}`);
      return p.check ? p.check() : { ok: true };
    },
  };
}

export async function composeAll(options: ComposeOptions): Promise<Composed> {
  const { db } = options;
  const clock = options.clock ?? db.clock;
  const idleMs = options.idleMs ?? 20;
  for (const part of ["authority", "tvan", "seller"] as const) await migrate(db, part);
  if (!existsSync(join(options.devCaDir, "ca.pem"))) await writeDevCa(options.devCaDir);
  const trust = options.trust ?? (await devTrustStore(options.devCaDir));
  const threads = options.signingThreads ?? Math.max(1, availableParallelism() - 1);
  // Keys held in this process sign on worker threads (see the module notes).
  const pooled = (s: Signer & { readonly key: KeyObject }): Signer =>
    threads > 0 ? signerPool({ key: s.key, certificate: s.certificate(), size: threads }) : s;
  // The authority's pool starts on first use and `stop` ends it (a later use starts another).
  const authorityKey = options.authoritySigner
    ? undefined
    : await pkcs12Signer(join(options.devCaDir, "authority.p12"), DEFAULT_P12_PASSWORD);
  let authorityPool: Signer | undefined;
  const authorityPooled = (): Signer => {
    authorityPool ??= pooled(authorityKey!);
    return authorityPool;
  };
  const authoritySigner: Signer = options.authoritySigner ?? {
    certificate: () => authorityKey!.certificate(),
    sign: (data, algorithm) => authorityPooled().sign(data, algorithm),
    signText: (text, algorithm) => {
      const s = authorityPooled();
      return s.signText ? s.signText(text, algorithm) : s.sign(Buffer.from(text, "utf8"), algorithm);
    },
  };
  const sellerSigners: SignerFactory = async (config) => {
    if (config.kind === "dev")
      return pooled(memorySigner({ key: config.keyPem, certificate: config.certificate }));
    if (config.kind === "pkcs12") return pooled(await pkcs12Signer(config.path, config.password));
    return defaultSignerFactory(config);
  };
  const tvanParty = options.tvanParty ?? `V${DEFAULT_PARTIES.tvan.taxCode}`;

  const authority = new AuthorityService({
    db,
    clock,
    signer: authoritySigner,
    verify: { trust, warnTestCertificates: false },
    config: { codeSecret: options.codeSecret ?? DEV_CODE_SECRET },
  });

  // The authority's answers wait in its outbox for the T-VAN; `pull` hands them over.
  let tvan: TvanService | undefined;
  let pulling: Promise<number> | undefined;
  let pullAgain = false;
  const pullOnce = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const items = await authority.pendingFor(tvanParty, 500);
      if (items.length === 0) return total;
      // Together: the T-VAN groups concurrent receives into one transaction, and a seller's state
      // does not depend on the order of answers to different messages.
      await Promise.all(items.map((item) => tvan!.receiveFromAuthority(item.xml)));
      await authority.markDelivered(items.map((i) => i.messageId));
      total += items.length;
    }
  };
  /** One pull at a time; a request during a pull runs another after it. */
  const pull = (): Promise<number> => {
    if (pulling) {
      pullAgain = true;
      return pulling;
    }
    pulling = (async () => {
      let n = 0;
      try {
        do {
          pullAgain = false;
          n += await pullOnce();
        } while (pullAgain);
      } finally {
        pulling = undefined;
      }
      return n;
    })();
    return pulling;
  };

  const authorityEndpoint: PartyEndpoint = {
    async handle(xml) {
      const r = await authority.receive(xml);
      if (r.status === "unavailable") return unavailable(r.reason, r.until);
      if (r.replies.length > 0) void pull().catch(() => undefined);
      return delivered(r.receipt);
    },
    async check() {
      const c = await authority.connectionCheck();
      return c.available ? { ok: true } : unavailable("maintenance", c.until ?? undefined);
    },
  };

  const archive = new Archive(db, { clock });
  const sellerOutbox = new Outbox(db, { schema: "seller", clock });
  const tvanOutbox = new Outbox(db, { clock });
  let seller: SellerService | undefined;
  const notifications = composeNotifications(db, clock, {
    ...(options.mail ? { mail: options.mail } : {}),
    idleMs: Math.max(idleMs * 50, 1000),
    seller: () => seller!,
    ...(options.secretKey ? { secrets: new SecretBox(options.secretKey) } : {}),
  });
  const delivery = options.delivery ?? notifications.mail?.delivery ?? new RecordingDelivery();

  const tvanTransport = routed((to) =>
    to === authority.partyCode ? authorityEndpoint : to === tvanParty ? undefined : seller?.endpoint,
  );
  tvan = new TvanService({
    db,
    clock,
    transport: tvanTransport,
    outbox: tvanOutbox,
    config: { party: tvanParty },
    checkSignature: verifierSignatureCheck({ trust, warnTestCertificates: false }),
  });
  const tvanService = tvan;
  seller = new SellerService({
    db,
    clock,
    archive,
    outbox: sellerOutbox,
    delivery,
    signers: sellerSigners,
    config: {
      tvan: tvanParty,
      ...(options.providerTaxCode !== undefined ? { providerTaxCode: options.providerTaxCode } : {}),
    },
  });
  const sellerService = seller;
  const sellerTransport = routed((to) => (to === tvanParty ? tvanService.sellerEndpoint : undefined));

  const workers = [
    new OutboxWorker({
      outbox: sellerOutbox,
      transport: sellerTransport,
      clock,
      idleMs,
      workerId: `seller-${process.pid}`,
      onResult: (m, r) => {
        void sellerService.observeSend(m.messageId, r).catch(() => undefined);
      },
    }),
    new OutboxWorker({
      outbox: tvanOutbox,
      transport: tvanTransport,
      clock,
      idleMs,
      workerId: `tvan-${process.pid}`,
      onResult: (m, r) => {
        void tvanService.observeSend(m.destination, r).catch(() => undefined);
      },
    }),
  ];

  const app = await buildServer({ logger: options.logger ?? false, clock, title: "hddt" });
  const keys = new ApiKeys(options.apiKeys ?? []);
  registerAuthorityRoutes(app, authorityApi(authority, db), { clock, keys });
  registerExcelRoutes(app, sellerService);
  const logins = new SellerLogins(db, { clock });
  registerLoginRoutes(app, sellerService, logins, { clock });
  registerNotifyRoutes(app, sellerService, {
    webhooks: notifications.webhooks,
    ...(notifications.mail ? { emails: notifications.mail.queue } : {}),
    allowPrivateTargets: options.allowPrivateWebhookTargets ?? false,
  });
  registerSellerRoutes(app, sellerService, {
    adminKeys: keys,
    clock,
    devCa: () => loadDevCa(options.devCaDir),
    reports: new SellerReports(db),
  });
  if (options.portal !== false)
    registerPortal(app, {
      seller: sellerService,
      authority,
      adminKeys: keys,
      reports: new SellerReports(db),
      verify: { trust },
      clock,
      passwordSignIn: (taxCode, email, password) => logins.signIn(taxCode, email, password),
      ...(options.publicUrl ? { lookupUrl: `${options.publicUrl}/portal/lookup` } : {}),
    });

  let running = false;
  let loop: Promise<void> | undefined;
  const parts = { seller: sellerService, tvan: tvanService };

  return {
    db,
    clock,
    authority,
    tvan: tvanService,
    seller: sellerService,
    archive,
    delivery,
    notifications,
    sellerOutbox,
    tvanOutbox,
    app,
    tvanParty,
    start() {
      if (running) return;
      running = true;
      for (const w of workers) w.start();
      loop = (async () => {
        let forwardedAt = 0;
        while (running) {
          const n = await pull().catch(() => 0);
          // Webhook events and maintenance notices to the customers, about once a second; coded invoices
          // a killed process did not hand to their buyers.
          if (Date.now() - forwardedAt >= 1000) {
            forwardedAt = Date.now();
            await notifications.relay(parts).catch(() => 0);
            await sellerService.deliverStuck().catch(() => 0);
          }
          if (n === 0 && running) await new Promise((r) => setTimeout(r, idleMs * 5));
        }
      })();
      notifications.worker.start();
    },
    async stop() {
      running = false;
      await Promise.all([...workers.map((w) => w.stop()), notifications.worker.stop()]);
      await loop;
      await pulling?.catch(() => undefined);
      await sellerService.close();
      const pool = authorityPool;
      authorityPool = undefined;
      await pool?.close?.();
    },
    async drain(maxRounds = 200) {
      for (let round = 1; round <= maxRounds; round++) {
        let moved = 0;
        for (const w of workers) moved += (await w.tick()).claimed;
        moved += await pull();
        moved += await notifications.relay(parts);
        const r = await notifications.worker.round();
        moved += (r.email?.claimed ?? 0) + (r.webhooks?.claimed ?? 0);
        if (moved === 0) return round;
      }
      return maxRounds;
    },
    async onboard(org, opts = {}) {
      await authority.upsertTaxpayer({ taxCode: org.taxCode, name: org.name });
      const existing = await sellerService.getOrganisation(org.taxCode);
      if (!existing.ok) {
        const created = await sellerService.createOrganisation(org);
        if (!created.ok) throw new Error(created.problems[0]!.message);
      }
      if (!(existing.ok && existing.value.hasSigningKey)) {
        const k = await sellerService.issueDevSigningKey(org.taxCode, await loadDevCa(options.devCaDir));
        if (!k.ok) throw new Error(k.problems[0]!.message);
      }
      if (opts.register !== false) {
        const r = await sellerService.register(
          org.taxCode,
          opts.forms ?? { withCode: true, withoutCode: false },
        );
        if (!r.ok) throw new Error(r.problems[0]!.message);
      }
    },
  };
}
