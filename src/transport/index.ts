/**
 * How parts exchange messages: the transport port (in-process and HTTP adapters), the HTTP listener that
 * serves a party's endpoint, the durable outbox in PostgreSQL and its drain worker. Used by every part that
 * sends (the T-VAN, the seller, the authority's pushes); it knows nothing of what the messages say.
 */
export { type TransportCode, transportCodes } from "./codes.ts";
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
export { OutboxWorker, type TickReport, type WorkerOptions } from "./worker.ts";
