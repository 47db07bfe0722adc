/** `<input type="date">` text as the start of that day in the local zone; undefined when empty. */
export function localDayStart(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])).getTime();
}

/** The end of that local day (the next midnight, 23 or 25 h later on DST days); undefined when empty. */
export function localDayEnd(text: string): number | undefined {
  const start = localDayStart(text);
  if (start === undefined) return undefined;
  const next = new Date(start);
  next.setDate(next.getDate() + 1);
  return next.getTime();
}

/** Today's date as `<input type="date">` text, in the local zone. */
export function localDateText(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
