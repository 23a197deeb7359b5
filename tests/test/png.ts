/**
 * Makes a browser screenshot small enough to commit (docs/dashboard.png): a palette PNG
 * written with zlib's best compression.
 */
import { deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Decodes a plain 8-bit RGB/RGBA non-interlaced PNG to its pixels (alpha dropped), or undefined. */
function decode(png: Buffer): { width: number; height: number; rgb: Buffer; ancillary: { type: string; data: Buffer }[] } | undefined {
  if (!png.subarray(0, 8).equals(SIGNATURE)) return undefined;
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length; ) {
    const n = png.readUInt32BE(at);
    chunks.push({ type: png.toString('latin1', at + 4, at + 8), data: png.subarray(at + 8, at + 8 + n) });
    at += 12 + n;
  }
  const ihdr = chunks[0];
  if (ihdr?.type !== 'IHDR') return undefined;
  const width = ihdr.data.readUInt32BE(0);
  const height = ihdr.data.readUInt32BE(4);
  const [depth, colour, interlace] = [ihdr.data[8], ihdr.data[9], ihdr.data[12]];
  if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) return undefined;
  const bpp = colour === 2 ? 3 : 4;
  const stride = width * bpp;
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  const rgb = Buffer.alloc(width * height * 3);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? line[x - bpp]! : 0;
      const b = prev[x]!;
      const c = x >= bpp ? prev[x - bpp]! : 0;
      let p = 0;
      if (filter === 1) p = a;
      else if (filter === 2) p = b;
      else if (filter === 3) p = (a + b) >> 1;
      else if (filter === 4) {
        const e = a + b - c;
        const pa = Math.abs(e - a);
        const pb = Math.abs(e - b);
        const pc = Math.abs(e - c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      line[x] = (line[x]! + p) & 0xff;
    }
    for (let x = 0; x < width; x++) line.copy(rgb, (y * width + x) * 3, x * bpp, x * bpp + 3);
    prev = line;
  }
  const ancillary = chunks.filter((c) => !['IHDR', 'IDAT', 'IEND', 'PLTE', 'tRNS'].includes(c.type) && /^[a-z]/.test(c.type));
  return { width, height, rgb, ancillary };
}

/**
 * Re-encodes a screenshot as an 8-bit palette PNG (the most frequent colour of each of the
 * 256 busiest colour boxes; any other colour, an anti-aliased edge mostly, takes its
 * nearest) with zlib's best
 * compression: a page of flat UI shrinks to about a third. Returns the input when that
 * is not smaller or the PNG is not plain 8-bit RGB(A).
 */
export function compactPng(png: Buffer): Buffer {
  const img = decode(png);
  if (img === undefined) return png;
  const { width, height, rgb } = img;
  // popularity per coarse box (4 bits a channel), so that a rare hue (a red arrow, a
  // legend swatch) gets its own entry instead of losing to shades of grey
  const counts = new Map<number, number>();
  for (let i = 0; i < rgb.length; i += 3) {
    const k = (rgb[i]! << 16) | (rgb[i + 1]! << 8) | rgb[i + 2]!;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const boxes = new Map<number, { total: number; best: number; bestCount: number }>();
  for (const [k, n] of counts) {
    const box = ((k >> 20) << 8) | (((k >> 12) & 0xf) << 4) | ((k >> 4) & 0xf);
    const b = boxes.get(box);
    if (b === undefined) boxes.set(box, { total: n, best: k, bestCount: n });
    else {
      b.total += n;
      if (n > b.bestCount || (n === b.bestCount && k < b.best)) {
        b.best = k;
        b.bestCount = n;
      }
    }
  }
  const palette = [...boxes.values()]
    .sort((a, b) => b.total - a.total || a.best - b.best)
    .slice(0, 256)
    .map((b) => b.best);
  const index = new Map<number, number>(palette.map((k, i) => [k, i]));
  const nearest = (k: number): number => {
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (const [i, p] of palette.entries()) {
      const dr = ((p >> 16) & 0xff) - ((k >> 16) & 0xff);
      const dg = ((p >> 8) & 0xff) - ((k >> 8) & 0xff);
      const db = (p & 0xff) - (k & 0xff);
      const d = 2 * dr * dr + 4 * dg * dg + 3 * db * db;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    index.set(k, best);
    return best;
  };
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const k = (rgb[i]! << 16) | (rgb[i + 1]! << 8) | rgb[i + 2]!;
      raw[y * (width + 1) + 1 + x] = index.get(k) ?? nearest(k);
    }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // palette
  const plte = Buffer.alloc(palette.length * 3);
  palette.forEach((k, i) => plte.writeUIntBE(k, i * 3, 3));
  const out = Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    ...img.ancillary.map((c) => chunk(c.type, c.data)),
    chunk('PLTE', plte),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return out.length < png.length ? out : png;
}
