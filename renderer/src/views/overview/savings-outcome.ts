import type { Money } from '../../../../shared/types.js';

export type SavingsOutcome = 'none' | 'saved' | 'lost' | 'mixed';

/**
 * How "saved vs cloud" reads: one sign is "saved" or "lost" with the amounts shown positive; mixed
 * signs across currencies keep their signs.
 */
export function savingsOutcome(saved: Money): { outcome: SavingsOutcome; shown: Money } {
  const amounts = Object.values(saved);
  const outcome: SavingsOutcome =
    amounts.length === 0 ? 'none' : amounts.every((a) => a >= 0) ? 'saved' : amounts.every((a) => a <= 0) ? 'lost' : 'mixed';
  const shown = outcome === 'lost' ? Object.fromEntries(Object.entries(saved).map(([currency, amount]) => [currency, -amount])) : saved;
  return { outcome, shown };
}
