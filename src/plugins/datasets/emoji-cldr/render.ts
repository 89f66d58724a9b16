import { createHash } from 'node:crypto';
import sharp from 'sharp';

export const IMAGE_SIZE = 64;
/** OpenMoji draws its glyphs smaller (~45 of 72 px) than google/twitter (56–59 of 64): trim, then fit in this. */
export const OPENMOJI_CONTENT = 56;
const WHITE = { r: 255, g: 255, b: 255, alpha: 1 };
const MAX_PIXELS = 1 << 26; // some SVGs declare sizes above sharp's default limit

/** A 64×64 RGB image on white: its PNG bytes and a hash of its pixels (equal hash ⇔ identical pixels). */
export interface RenderedImage {
  png: Buffer;
  pixelHash: string;
}

async function encode(raw: Buffer, width: number, height: number): Promise<RenderedImage> {
  const pixelHash = createHash('sha1').update(raw).digest('hex');
  const png = await sharp(raw, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  return { png, pixelHash };
}

/** google / twitter 64×64 PNG: transparency flattened onto white, so every family has the same background. */
export async function flattenPng(path: string): Promise<RenderedImage> {
  const { data, info } = await sharp(path, { limitInputPixels: MAX_PIXELS })
    .resize(IMAGE_SIZE, IMAGE_SIZE, { fit: 'contain', background: WHITE })
    .flatten({ background: WHITE })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return encode(data, info.width, info.height);
}

/** OpenMoji colour SVG → rasterised at 2×, trimmed to its glyph, fitted in 56 px, padded to 64 px, on white. */
export async function renderOpenmoji(svgPath: string): Promise<RenderedImage> {
  let glyph: { data: Buffer; info: { width: number; height: number; channels: 1 | 2 | 3 | 4 } };
  try {
    glyph = await sharp(svgPath, { density: 144, limitInputPixels: MAX_PIXELS })
      .trim()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch {
    glyph = await sharp(svgPath, { density: 144, limitInputPixels: MAX_PIXELS })
      .raw()
      .toBuffer({ resolveWithObject: true }); // nothing to trim
  }
  const pad = (IMAGE_SIZE - OPENMOJI_CONTENT) / 2;
  const { data, info } = await sharp(glyph.data, {
    raw: { width: glyph.info.width, height: glyph.info.height, channels: glyph.info.channels },
  })
    .flatten({ background: WHITE })
    .resize(OPENMOJI_CONTENT, OPENMOJI_CONTENT, { fit: 'contain', background: WHITE })
    .extend({ top: pad, bottom: pad, left: pad, right: pad, background: WHITE })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return encode(data, info.width, info.height);
}
