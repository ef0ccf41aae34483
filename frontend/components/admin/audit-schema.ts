// The audit page's filter bar. The browser knows the actions and outcomes;
// what an actor may be (its length) is the server's to say: its 422 field
// error shows at the field.
import { z } from "zod";
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from "@/lib/types";

export const auditFilterSchema = z.object({
  action: z.union([z.enum(AUDIT_ACTIONS), z.literal("")]),
  actor: z.string().trim(),
  outcome: z.union([z.enum(AUDIT_OUTCOMES), z.literal("")]),
});
export type AuditFilterInput = z.input<typeof auditFilterSchema>;
export type AuditFilters = z.output<typeof auditFilterSchema>;

/** Everything: no filter set. */
export const NO_FILTERS: AuditFilters = { action: "", actor: "", outcome: "" };
