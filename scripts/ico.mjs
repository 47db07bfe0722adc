// Packs PNG images into one Windows .ico (PNG-compressed entries, read by Windows Vista and later).
// Windows picks the entry nearest the tray's size at the current scaling (16 px at 100 %, 20 at 125 %,
// 24 at 150 %, 32 at 200 %), which a single PNG cannot offer.

/** @param {{ size: number, png: Buffer }[]} images */
export function packIco(images) {
  const sorted = [...images].sort((a, b) => a.size - b.size);
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(sorted.length, 4);
  const entries = [];
  let offset = 6 + 16 * sorted.length;
  for (const { size, png } of sorted) {
    if (size < 1 || size > 256) throw new Error(`an .ico entry must be 1-256 px, not ${size}`);
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size === 256 ? 0 : size, 0); // width (0 means 256)
    entry.writeUInt8(size === 256 ? 0 : size, 1); // height
    entry.writeUInt8(0, 2); // no palette
    entry.writeUInt8(0, 3); // reserved
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    entries.push(entry);
    offset += png.length;
  }
  return Buffer.concat([header, ...entries, ...sorted.map((image) => image.png)]);
}
