/** The tax authority's e-invoice system: see service.ts for the flows and rules, mccqt.ts for the codes. */
export { type AuthorityCode, authorityCodes, mloiOf } from "./codes.ts";
export { type CodeInput, isAuthorityCode, MCCQT_LENGTH, makeAuthorityCode } from "./mccqt.ts";
export { type AuthorityDb, STOP_CAUSES, type StopCause } from "./schema.ts";
export {
  type AuthorityConfig,
  type AuthorityPorts,
  AuthorityService,
  type BuyerPage,
  type CodedInvoiceDetail,
  type CodedInvoiceSummary,
  type InvoiceKey,
  insertAuthorityCode,
  type MaintenanceWindow,
  type PublicInvoice,
  type PublicLookupInput,
  type ReceiveResult,
  type ReviewNoticeInput,
  type SentMessage,
  type StoredReply,
  type Taxpayer,
  type TaxpayerInput,
} from "./service.ts";
export { vnDate, vnDateTime } from "./util.ts";
