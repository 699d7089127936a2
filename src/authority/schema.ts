/** Row types of the `authority` schema (see src/store/migrations/authority) for Kysely. */
import type { ColumnType, Generated } from "kysely";

/** bigint comes back as bigint (see src/store/types.ts); ids are written as numbers or strings. */
type BigId = ColumnType<bigint, string | number | bigint | undefined, never>;
type Time = ColumnType<Date, Date, Date>;
type OptTime = ColumnType<Date | null, Date | null | undefined, Date | null>;

export const STOP_CAUSES = [
  "tax_code_terminated",
  "not_at_registered_address",
  "business_suspended",
  "tax_debt_enforcement",
  "other",
] as const;
/**
 * Why the authority stopped a taxpayer's use of e-invoices (Decree 123 art. 16.1, seed 002): a) tax code
 * terminated; b) verified as not operating at the registered address; c) business suspended; d) stopped for
 * tax-debt enforcement; đ) another case decided by the Ministry of Finance.
 */
export type StopCause = (typeof STOP_CAUSES)[number];

export interface TaxpayerTable {
  tax_code: string;
  name: string;
  status: "active" | "stopped";
  stop_cause: StopCause | null;
  stop_note: string | null;
  stopped_at: OptTime;
  resumed_at: OptTime;
  high_risk: Generated<boolean>;
  coded_only: Generated<boolean>;
  coded_only_since: OptTime;
  created_at: Time;
  updated_at: Time;
}

export interface ExceptionContractTable {
  id: BigId;
  tax_code: string;
  contract_no: string;
  signed_on: string;
  note: string | null;
  created_at: Time;
}

export interface RegistrationTable {
  id: BigId;
  tax_code: string;
  message_id: string;
  kind: number;
  with_code: boolean;
  without_code: boolean;
  cash_register: boolean;
  status: "accepted" | "refused";
  certificates: string[];
  reasons: string | null;
  xml: string;
  decided_at: Time;
}

export type InboxState = "processed" | "refused" | "awaiting";

export interface InboxTable {
  id: BigId;
  message_id: string | null;
  sender: string | null;
  type: number | null;
  tax_code: string | null;
  received_at: Time;
  raw: Uint8Array;
  receipt: string;
  state: InboxState;
}

export interface OutboxTable {
  id: BigId;
  message_id: string;
  to_party: string;
  reply_to: string | null;
  type: number;
  tax_code: string | null;
  /** The message, or for a 202 of code issuance its envelope with an empty DLieu (see coded_invoice_id). */
  xml: string;
  created_at: Time;
  delivered_at: OptTime;
  /** The coded invoice that goes into the empty DLieu of `xml` (stored once, in coded_invoice). */
  coded_invoice_id: ColumnType<bigint | null, string | number | bigint | null | undefined, never>;
}

export interface CodedInvoiceTable {
  id: BigId;
  seller_tax_code: string;
  template: string;
  series: string;
  number: string;
  authority_code: string;
  message_id: string;
  xml: string;
  buyer_tax_code: string | null;
  total: string;
  issue_date: string;
  coded_at: Time;
}

export interface NoCodeInvoiceTable {
  id: BigId;
  seller_tax_code: string;
  template: string;
  series: string;
  number: string;
  message_id: string;
  kind: "no_code" | "cash_register";
  xml: string;
  buyer_tax_code: string | null;
  total: string;
  issue_date: string;
  received_at: Time;
}

export interface SummaryTableTable {
  id: BigId;
  tax_code: string;
  message_id: string;
  period: string;
  table_number: number | null;
  xml: string;
  received_at: Time;
}

export interface ErrorNoticeTable {
  id: BigId;
  tax_code: string | null;
  message_id: string;
  xml: string;
  accepted: boolean;
  received_at: Time;
}

export interface ReviewNoticeTable {
  id: BigId;
  tax_code: string;
  message_id: string;
  xml: string;
  created_at: Time;
  answer_deadline: string;
  answered_at: OptTime;
}

export interface PerOccurrenceTable {
  id: BigId;
  message_id: string;
  seller_tax_code: string;
  template: string;
  series: string;
  number: string;
  xml: string;
  state: "awaiting_declaration" | "issued" | "refused";
  received_at: Time;
  declared_at: OptTime;
}

export interface MaintenanceWindowTable {
  id: BigId;
  starts_at: Time;
  ends_at: Time;
  reason: string;
  created_at: Time;
}

export interface MaintenanceNoticeTable {
  window_id: ColumnType<bigint, string | number | bigint, never>;
  party: string;
  message_id: string;
  created_at: Time;
}

export interface InspectorAccessTable {
  id: BigId;
  inspector: string;
  purpose: string | null;
  invoice_id: ColumnType<bigint | null, string | number | bigint | null, never>;
  query: string;
  accessed_at: Time;
}

export interface AuthorityDb {
  taxpayer: TaxpayerTable;
  exception_contract: ExceptionContractTable;
  registration: RegistrationTable;
  inbox: InboxTable;
  outbox: OutboxTable;
  coded_invoice: CodedInvoiceTable;
  nocode_invoice: NoCodeInvoiceTable;
  summary_table: SummaryTableTable;
  error_notice: ErrorNoticeTable;
  review_notice: ReviewNoticeTable;
  per_occurrence: PerOccurrenceTable;
  maintenance_window: MaintenanceWindowTable;
  maintenance_notice: MaintenanceNoticeTable;
  inspector_access: InspectorAccessTable;
}
