import { ApiError } from '../../shared/errors.js';
import { savingsReferenceInputSchema, type SavingsReferenceInput } from '../../shared/schemas/savings.js';
import type { Money, ModelSavings, Savings, SavingsReference, Summary } from '../../shared/types.js';
import { CATALOGUE_PACKAGE } from '../ledger/pricing/catalogue.js';
import { parseInput } from '../ledger/input/validation.js';
import type { SummaryFacts } from '../ledger/reads/protocol.js';
import { DomainService } from './domain-service.js';

function add(into: Money, from: Money, sign = 1): void {
  for (const [currency, amount] of Object.entries(from)) into[currency] = (into[currency] ?? 0) + sign * amount;
}

/** Amounts summed in floating point are rounded to the nano, as the ledger stores them. */
function rounded(money: Money): Money {
  return Object.fromEntries(Object.entries(money).map(([currency, amount]) => [currency, Math.round(amount * 1e9) / 1e9]));
}

/**
 * "Saved vs cloud": the cloud model the user chose for each local model, and what the same tokens
 * would have cost there next to what the model cost (see SavingsStore.counterfactual).
 */
export class SavingsService extends DomainService {
  async listSavingsReferences(): Promise<SavingsReference[]> {
    return Object.entries(this.ledger.savings.references()).map(([model, reference]) => ({ model, reference }));
  }

  async setSavingsReference(input: SavingsReferenceInput): Promise<SavingsReference> {
    const { model, reference } = parseInput(savingsReferenceInputSchema, input, 'savings reference');
    if (this.ledger.ctx.models.find(model) === undefined) throw new ApiError('not_found', `no model "${model}" in the ledger`);
    // Throws a validation error naming the accepted form when the entry is not in the catalogue.
    if (reference !== null) this.ledger.savings.resolve(reference);
    this.ledger.write(() => this.ledger.savings.setReference(model, reference));
    this.events.emit({ type: 'data', reason: 'settings' });
    return { model, reference };
  }

  /** The summary with `savings` for the models in it that have a reference; its other fields as they were. */
  async addTo(summary: Summary): Promise<Summary> {
    const savings = await this.savingsOf(summary);
    // No referenced model in range: the summary stays as it was, so summaries without savings
    // (and clients comparing them) are unchanged by the feature until a reference is chosen.
    return savings === undefined ? summary : { ...summary, savings };
  }

  /**
   * The savings of a summary's models that have a reference (undefined when none has): from the few
   * fields it needs, so the HTTP path can add them to the summary's JSON text without parsing it.
   */
  async savingsOf(summary: Pick<SummaryFacts, 'from' | 'to' | 'models'>): Promise<Savings | undefined> {
    const references = this.ledger.savings.references();
    const models: ModelSavings[] = [];
    const total = { ownCost: {} as Money, cloudCost: {} as Money, saved: {} as Money };
    for (const row of summary.models) {
      const entry = references[row.model];
      const modelId = entry === undefined ? undefined : this.ledger.ctx.models.find(row.model);
      if (entry === undefined || modelId === undefined) continue;
      const reference = this.ledger.savings.resolve(entry);
      const cloud = this.ledger.savings.counterfactual(modelId, reference, summary.from, summary.to);
      const ownCost = { ...(row.cost ?? {}) };
      const cloudCost = { [cloud.currency]: cloud.amount };
      const saved: Money = { ...cloudCost };
      add(saved, ownCost, -1);
      const priceDate = reference.startDates.filter((date) => Date.parse(date) < summary.to).pop() ?? null;
      models.push({ model: row.model, reference: entry, catalogue: `${CATALOGUE_PACKAGE}@${reference.version}`, priceDate, ownCost, cloudCost, saved: rounded(saved) });
      add(total.ownCost, ownCost);
      add(total.cloudCost, cloudCost);
    }
    if (models.length === 0) return undefined;
    add(total.saved, total.cloudCost);
    add(total.saved, total.ownCost, -1);
    return { models, total: { ownCost: rounded(total.ownCost), cloudCost: rounded(total.cloudCost), saved: rounded(total.saved) } };
  }
}
