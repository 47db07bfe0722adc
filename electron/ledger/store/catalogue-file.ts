import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { checkCatalogueData } from '../pricing/catalogue-data-check.js';
import type { CatalogueData } from '../pricing/catalogue-data.js';

/** The confirmed download, kept next to modelmeter.db. */
export const CATALOGUE_FILE = 'price-catalogue.json';

const keptSchema = z.strictObject({
  format: z.literal(1),
  version: z.string().min(1),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  url: z.string(),
  fetchedAt: z.number(),
  providers: z.unknown(),
});

export interface KeptCatalogue {
  data: CatalogueData;
  url: string;
  fetchedAt: number;
}

/** The kept download of a data folder, read and written whole (a temporary file renamed over it). */
export class CatalogueFile {
  constructor(readonly file: string) {}

  static inFolder(folder: string): CatalogueFile {
    return new CatalogueFile(path.join(folder, CATALOGUE_FILE));
  }

  /** The kept data, null when there is none; throws when the file is there but unusable. */
  load(): KeptCatalogue | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const kept = keptSchema.parse(JSON.parse(text));
    const providers = checkCatalogueData(kept.providers);
    return { data: { kind: 'downloaded', version: kept.version, date: kept.date, providers }, url: kept.url, fetchedAt: kept.fetchedAt };
  }

  save(kept: KeptCatalogue): void {
    const { data } = kept;
    if (data.providers === null || data.date === null) throw new Error('only downloaded catalogue data is kept in a file');
    const body = { format: 1, version: data.version, date: data.date, url: kept.url, fetchedAt: kept.fetchedAt, providers: data.providers };
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(body));
    fs.renameSync(temporary, this.file);
  }

  remove(): void {
    fs.rmSync(this.file, { force: true });
  }
}
