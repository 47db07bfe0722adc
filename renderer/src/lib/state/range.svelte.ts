import { RANGE_PRESETS, type RangePreset } from '../../../../shared/range-presets.js';

export type RangeChoice = { preset: RangePreset } | { preset: 'custom'; from: number; to: number };

const KEY = 'modelmeter.range';

/** The range picked in the Overview, remembered across reloads; "today" at first. */
export class RangeState {
  choice = $state<RangeChoice>({ preset: 'today' });

  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = globalThis.localStorage) {
    const saved = storage?.getItem(KEY);
    if (saved) {
      try {
        const parsed = JSON.parse(saved) as RangeChoice;
        if (parsed.preset === 'custom' ? parsed.from < parsed.to : (RANGE_PRESETS as readonly string[]).includes(parsed.preset)) this.choice = parsed;
      } catch {
        // a damaged value: keep "today"
      }
    }
  }

  /** What the API takes: `{ range }` or `{ from, to }`. */
  get query(): { range: RangePreset } | { from: number; to: number } {
    const choice = this.choice;
    return choice.preset === 'custom' ? { from: choice.from, to: choice.to } : { range: choice.preset };
  }

  set(choice: RangeChoice): void {
    this.choice = choice;
    this.storage?.setItem(KEY, JSON.stringify(choice));
  }
}

export const range = new RangeState();
