/**
 * The transmission organisation (T-VAN): receives, stores byte-exact and forwards messages between taxpayers
 * and the tax authority (tvan.ts). The transport port, outbox and drain worker it runs on are in src/transport.
 */
export {
  compareReports,
  derivedMessageId,
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
