/**
 * The transmission organisation (T-VAN): the transport port between parts, the durable outbox and its
 * drain worker, and the T-VAN service itself. See transport.ts, outbox.ts, worker.ts and tvan.ts.
 */
export { type TransmissionCode, transmissionCodes } from "./codes.ts";
export { type ListenerOptions, messageListener } from "./http-listener.ts";
export {
  backoffDelay,
  type ClaimedMessage,
  type CompletionReport,
  DEFAULT_RETRY_POLICY,
  type EnqueueReport,
  type ListFilter,
  type MaintenanceRecord,
  type MaintenanceWindow,
  Outbox,
  type OutboxDetail,
  type OutboxEntry,
  type OutboxOptions,
  type OutboxState,
  type OutgoingMessage,
  type RetryPolicy,
} from "./outbox.ts";
export {
  type CheckResult,
  type Delivered,
  delivered,
  HttpTransport,
  type HttpTransportOptions,
  InProcessTransport,
  type MessageHandler,
  type NetworkFailure,
  networkFailure,
  type PartyAddress,
  type PartyEndpoint,
  parseRetryAfter,
  type Rejected,
  rejected,
  type Transport,
  type TransportFailure,
  type TransportResult,
  type Unavailable,
  unavailable,
} from "./transport.ts";
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
export { OutboxWorker, type TickReport, type WorkerOptions } from "./worker.ts";
