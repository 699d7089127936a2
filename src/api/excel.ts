/**
 * Spreadsheet routes of the seller: the import template, and the import of invoices as drafts from a
 * filled-in template. The whole workbook is read and checked first; any problem (each with its cell, e.g.
 * "Hóa đơn!D12", and its field) refuses the import and writes nothing. Then every invoice becomes a draft in
 * one transaction. The Idempotency-Key names the import: each invoice's key is `<key>:<its reference>`, so
 * sending the same file again with the same key gives the same drafts and adds nothing.
 */
import { Readable } from "node:stream";
import { z } from "zod";
import { importAll } from "../excel/import.ts";
import { writeImportTemplate } from "../excel/template.ts";
import { inputOf } from "../seller/model.ts";
import type { SellerService } from "../seller/service.ts";
import { errorResponses, sendProblems, sendResult } from "./errors.ts";
import { holderOf, requireSellerKey } from "./seller.ts";
import { type HttpApp, requireMediaType, sendWorkbook, XLSX_MEDIA_TYPE } from "./server.ts";

const tags = ["seller: invoices"];
const security = [{ apiKey: [] }];
const success = { 200: z.unknown(), 201: z.unknown() };

/** Largest workbook taken (100,000 lines fit in about 8 MB). */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

export function registerExcelRoutes(app: HttpApp, service: SellerService): void {
  const any = requireSellerKey(service, "owner", "accountant", "viewer");
  const writer = requireSellerKey(service, "owner", "accountant");

  app.get(
    "/seller/invoices/import-template",
    {
      onRequest: any,
      schema: { summary: "The empty .xlsx template of the invoice import", tags, security },
    },
    async (_request, reply) => {
      return sendWorkbook(reply, "hddt-import-template.xlsx", (out) => writeImportTemplate(out));
    },
  );

  app.post(
    "/seller/invoices/import",
    {
      onRequest: [writer, requireMediaType(XLSX_MEDIA_TYPE)],
      bodyLimit: MAX_IMPORT_BYTES,
      schema: {
        summary: "Import invoices from a filled-in template as drafts, all or nothing",
        description:
          "The body is the .xlsx file. Problems name their cell (path) and field; with any problem nothing is " +
          "imported. The Idempotency-Key names the import: the same file sent again with the same key adds nothing.",
        tags,
        security,
        headers: z.object({ "idempotency-key": z.string().min(1).max(150) }),
        response: { ...success, ...errorResponses(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const who = holderOf(request);
      const org = await service.getOrganisation(who.taxCode);
      if (!org.ok) return sendResult(reply, org);
      const o = org.value;
      const read = await importAll(Readable.from([request.body as Buffer]), {
        seller: {
          name: o.name,
          taxCode: o.taxCode,
          address: o.address,
          ...(o.profile.phone ? { phone: o.profile.phone } : {}),
          ...(o.profile.email ? { email: o.profile.email } : {}),
        },
      });
      if (!read.ok) return sendProblems(reply, 422, read.problems);
      const key = request.headers["idempotency-key"];
      const drafts = await service.importDrafts(
        who.taxCode,
        read.invoices.map((i) => ({ input: inputOf(i.invoice), idempotencyKey: `${key}:${i.ref}` })),
        { actor: who.name },
      );
      if (!drafts.ok) return sendResult(reply, drafts);
      const created = drafts.value.filter((d) => d.created).length;
      return reply.code(created > 0 ? 201 : 200).send({
        imported: created,
        repeated: drafts.value.length - created,
        invoices: read.invoices.map((i, n) => ({
          ref: i.ref,
          row: i.row,
          id: drafts.value[n]!.invoice.id,
          ...(i.warnings.length > 0 ? { warnings: i.warnings } : {}),
        })),
      });
    },
  );
}
