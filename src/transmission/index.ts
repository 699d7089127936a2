/**
 * The transmission organisation (T-VAN): receives, stores byte-exact and forwards messages between taxpayers
 * and the tax authority (tvan.ts), and its HTTP API (http.ts). The transport port, outbox and drain worker it
 * runs on are in src/transport.
 */
export { registerTvanRoutes, type TvanHttpOptions } from "./http.ts";
export {
  compareReports,
  derivedMessageId,
  type InvoiceKeys,
  invoiceKeys,
  type ReceiveOutcome,
  type ReceiveStatus,
  type ReconciliationDifference,
  type SellerReply,
  type SignatureCheck,
  type StoredMessage,
  type TvanCode,
  type TvanConfig,
  type TvanEvent,
  type TvanEventKind,
  type TvanPorts,
  TvanService,
  tvanCodes,
  verifierSignatureCheck,
} from "./tvan.ts";
