import sharp, { type OverlayOptions } from 'sharp';
import { badInput } from '@trainyard/common';
import { DatasetIndex, decodeShard, ShardRef } from './internal';

export interface PreviewOptions {
  /** Samples shown per class (default 6). */
  perClass?: number;
  /** Classes shown (the first N by index; default 20). */
  maxClasses?: number;
  /** Tile side in pixels (default 48). */
  tile?: number;
  /** Shards read at most while looking for samples (default 8). */
  maxShards?: number;
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/**
 * A PNG grid for a person to check a dataset at a glance: one row per class with its name, a few
 * train samples scaled up, and a bar of the class histogram with its count. Images only (a table
 * has no pixels to show). Reads at most `maxShards` shards.
 */
export async function renderPreview(index: DatasetIndex, readShard: (ref: ShardRef) => Promise<Uint8Array>, opts: PreviewOptions = {}): Promise<Buffer> {
  if (index.dtype !== 'uint8') throw badInput('a preview shows images; this version holds a table (see its splits for the statistics)');
  const perClass = opts.perClass ?? 6;
  const tile = opts.tile ?? 48;
  const classes = Math.min(index.classNames.length, opts.maxClasses ?? 20);
  const [h, w, c] = index.sampleShape;
  const per = h * w * c;
  const picked: Uint8Array[][] = Array.from({ length: classes }, () => []);
  const split = index.splits.train;
  for (const ref of split.shards.slice(0, opts.maxShards ?? 8)) {
    const shard = decodeShard(await readShard(ref), index, ref);
    for (let i = 0; i < shard.count; i++) {
      const l = shard.labels[i];
      if (l < classes && picked[l].length < perClass) picked[l].push((shard.samples as Uint8Array).slice(i * per, (i + 1) * per));
    }
    if (picked.every((p) => p.length >= perClass)) break;
  }
  const labelW = 160;
  const barW = 160;
  const gap = 4;
  const rowH = tile + gap;
  const width = labelW + perClass * (tile + gap) + barW + 60;
  const height = classes * rowH + gap + 24;
  const tiles: OverlayOptions[] = [];
  for (let k = 0; k < classes; k++) {
    for (let j = 0; j < picked[k].length; j++) {
      const img = await sharp(Buffer.from(picked[k][j]), { raw: { width: w, height: h, channels: c as 1 | 3 | 4 } })
        .resize(tile, tile, { kernel: 'nearest', fit: 'contain', background: { r: 0, g: 0, b: 0 } })
        .png()
        .toBuffer();
      tiles.push({ input: img, left: labelW + j * (tile + gap), top: 24 + k * rowH });
    }
  }
  const max = Math.max(1, ...split.histogram.slice(0, classes));
  const barX = labelW + perClass * (tile + gap) + 8;
  const text: string[] = [
    `<text x="8" y="16" font-family="sans-serif" font-size="13" fill="#000">${escapeXml(`${index.source} ${h}x${w}x${c}, train ${split.count}${index.splits.test ? `, test ${index.splits.test.count}` : ''}`)}</text>`,
  ];
  for (let k = 0; k < classes; k++) {
    const y = 24 + k * rowH;
    const n = split.histogram[k] ?? 0;
    const name = index.classNames[k].length > 20 ? `${index.classNames[k].slice(0, 19)}…` : index.classNames[k];
    text.push(`<text x="8" y="${y + tile / 2 + 5}" font-family="sans-serif" font-size="13" fill="#000">${escapeXml(`${k}: ${name}`)}</text>`);
    text.push(`<rect x="${barX}" y="${y + tile / 4}" width="${Math.max(1, Math.round((n / max) * barW))}" height="${tile / 2}" fill="#4a7fd4"/>`);
    text.push(`<text x="${barX + Math.round((n / max) * barW) + 4}" y="${y + tile / 2 + 5}" font-family="sans-serif" font-size="12" fill="#333">${n}</text>`);
  }
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${text.join('')}</svg>`);
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite([{ input: svg, left: 0, top: 0 }, ...tiles])
    .png()
    .toBuffer();
}
