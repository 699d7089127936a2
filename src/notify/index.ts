/**
 * Notifications: e-mail delivery to buyers and customers (SMTP, durable queue with retries and a log) and
 * webhooks (signed JSON POSTs of business events, written through an outbox in the caller's transaction).
 * Tables: migration seller/020_notify.
 */
export {
  type BuyerDeliveryReceipt,
  type BuyerDeliveryRequest,
  EmailBuyerDelivery,
  type EmailBuyerDeliveryOptions,
} from "./buyer-delivery.ts";
export { type NotifyCode, notifyCodes } from "./codes.ts";
export {
  type EmailAttachment,
  type EmailSender,
  isEmailAddress,
  isHttpUrl,
  MemoryEmailSender,
  type OutgoingEmail,
  type SendOutcome,
} from "./email.ts";
export {
  type BroadcastReport,
  type BroadcastRequest,
  DEFAULT_EMAIL_POLICY,
  type DrainOptions,
  type DrainReport,
  type EmailAttempt,
  type EmailEntry,
  type EmailKind,
  EmailQueue,
  type EmailQueueOptions,
  type EmailRetryPolicy,
  type EmailState,
  type InvoiceEmailRequest,
  type QueuedEmail,
  type QueueEmailRequest,
  type SentEmail,
} from "./email-queue.ts";
export {
  type ComposedEmail,
  checkInvoiceEmail,
  composeInvoiceEmail,
  composeNotice,
  type EmailLanguage,
  type InvoiceEmailContent,
  type InvoiceSummary,
} from "./invoice-email.ts";
export { type SmtpConfig, SmtpEmailSender } from "./smtp.ts";
export {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  signWebhook,
  type VerifyOptions,
  verifyWebhookSignature,
} from "./webhook-signature.ts";
export {
  DEFAULT_WEBHOOK_POLICY,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryState,
  type EmitReport,
  type EmitRequest,
  fetchPost,
  MIN_SECRET_LENGTH,
  type PostResult,
  retryAfterMs,
  type SubscribeRequest,
  type Subscription,
  type SubscriptionChange,
  TEST_EVENT,
  type TestDeliveryReport,
  WEBHOOK_EVENTS,
  type WebhookDrainOptions,
  type WebhookDrainReport,
  type WebhookEvent,
  type WebhookPost,
  type WebhookRetryPolicy,
  Webhooks,
  type WebhooksOptions,
} from "./webhooks.ts";
export { NotifyWorker, type NotifyWorkerOptions, type RoundReport } from "./worker.ts";
