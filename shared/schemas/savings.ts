import { z } from 'zod';

/** The body of PUT /savings/references/{model}: a catalogue entry "provider/model-id", or null to clear. */
export const savingsReferenceInputSchema = z.strictObject({
  model: z.string().min(1).max(512),
  reference: z
    .string()
    .max(256)
    .regex(/^[^/\s]+\/\S+$/, 'a catalogue entry is named "provider/model-id", e.g. "openai/gpt-4o-mini"')
    .nullable(),
});

export type SavingsReferenceInput = z.input<typeof savingsReferenceInputSchema>;
