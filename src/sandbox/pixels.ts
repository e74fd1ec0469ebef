/**
 * Decoding with sharp, and the measurements the judges need. sharp is loaded here, on first use,
 * through a dynamic import: only the sandbox judges pixels, so every other command starts without
 * loading a native image library.
 *
 * The result keeps numbers and two tiny summaries (a 32×32 thumbnail, a 64-bin histogram), never
 * the decoded pixels or the file's bytes: a thousand evaluations must fit in bounded memory.
 */
import { availableParallelism } from 'node:os';
import type { Sharp, SharpOptions } from 'sharp';
import { bandStats, type BandStats } from './measures/bands.js';
import { blockiness } from './measures/blockiness.js';
import { edgeStats, type EdgeStats } from './measures/edges.js';
import { motionStats, type MotionStats } from './measures/motion.js';
import { resampleStats, type ResampleStats } from './measures/resample.js';
import { colourHistogram, thumbnail } from './measures/summaries.js';
import { lumaStats, toneStats, type LumaStats, type ToneStats } from './measures/tones.js';

/**
 * Images are judged at their own size, where blur, enlargement, compression and noise show (a
 * copy shrunk to "viewing size" hides exactly these). Only images beyond this longer side are
 * brought down to it, to bound memory (one byte per pixel: 16 MB at most).
 */
export const ANALYSIS_MAX_SIDE = 4096;
export const THUMBNAIL_SIZE = 32;
/** Colour is measured on a copy this many pixels square (16,384 pixels). */
const COLOUR_SAMPLE_SIDE = 128;
const DECODE_TIMEOUT_SECONDS = 30;
/**
 * Blockiness above which the 8 px grid is left out of edge measurements: PNGs and resized
 * images read 0.97–1.02, JPEGs saved at their own size 1.15 and up (calibration photographs).
 */
const JPEG_GRID_VISIBLE = 1.08;

/**
 * Formats libvips decodes in full whatever size is asked for: decoded once, in colour, and both
 * copies are taken from those pixels (decoding twice cost a PNG twice as much).
 */
const DECODED_WHOLE = new Set(['png', 'gif', 'tiff']);

/** Formats that are pixels to begin with; anything else (svg, pdf) had to be rasterised. */
const RASTER_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'heif', 'tiff', 'jp2', 'jxl']);

export interface PixelStats {
  format: string;
  /** Size as displayed (EXIF orientation applied). */
  width: number;
  height: number;
  hasAlpha: boolean;
  frames: number;
  isRaster: boolean;
  /** Set when the strict decoder refused the data and only a lenient decode produced pixels. */
  decodeWarning: string | null;
  analysedWidth: number;
  analysedHeight: number;
  luma: LumaStats;
  tones: ToneStats;
  edges: EdgeStats;
  bands: BandStats;
  /** See `motionStats` in measures/motion.ts: how clearly a straight smear shows in the spectrum. */
  motion: MotionStats;
  /** See `resampleStats` in measures/resample.ts: the period-2 trace of a 2× enlargement. */
  resample: ResampleStats;
  /** See `blockiness` in measures/blockiness.ts: about 1 for natural images, far above for JPEG blocks. */
  blockiness: number;
  thumbnail: Float32Array;
  colourHistogram: Float32Array;
}

/** The bytes are not an image sharp can read at all: the evaluation fails with `invalid_media`. */
export class UndecodableImageError extends Error {
  override readonly name = 'UndecodableImageError';
}

type SharpFactory = (input?: Buffer | string, options?: SharpOptions) => Sharp;
let sharpLoading: Promise<SharpFactory> | undefined;

function loadSharp(): Promise<SharpFactory> {
  sharpLoading ??= import('sharp').then((mod) => {
    const sharp = mod.default;
    // libvips' operation cache keeps recent images alive; with a stream of distinct images it
    // only costs memory.
    sharp.cache(false);
    return sharp as unknown as SharpFactory;
  });
  return sharpLoading;
}

/**
 * Images analysed at once. Judging is CPU work (one core each, libvips and the measures), so more
 * than the machine's cores only adds memory: every analysis holds its decoded full-size image.
 * The sandbox's workers still run in parallel; they queue here for pixels.
 */
const MAX_CONCURRENT_ANALYSES = Math.max(1, Math.min(4, availableParallelism()));
let analysing = 0;
const waiting: Array<() => void> = [];

async function withAnalysisSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (analysing >= MAX_CONCURRENT_ANALYSES) await new Promise<void>((resolve) => waiting.push(resolve));
  else analysing++;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else analysing--;
  }
}

/** Decodes `input` (bytes, or a path to a file) and measures it. */
export function analyseImage(input: Buffer | string): Promise<PixelStats> {
  return withAnalysisSlot(() => analyse(input));
}

async function analyse(input: Buffer | string): Promise<PixelStats> {
  const sharp = await loadSharp();
  let decodeWarning: string | null = null;
  let decoded: Awaited<ReturnType<typeof decode>>;
  try {
    decoded = await decode(sharp, input, 'warning');
  } catch (strictError) {
    // A truncated or slightly corrupt file may still give pixels: that is a failed decode
    // judge on a completed evaluation, not an unreadable file.
    try {
      decoded = await decode(sharp, input, 'none');
    } catch {
      throw new UndecodableImageError(describeDecodeError(strictError));
    }
    decodeWarning = describeDecodeError(strictError);
  }
  const { meta, grey, colour } = decoded;
  const blocks = blockiness(grey);
  return {
    format: meta.format,
    width: meta.width,
    height: meta.height,
    hasAlpha: meta.hasAlpha,
    frames: meta.frames,
    isRaster: RASTER_FORMATS.has(meta.format),
    decodeWarning,
    analysedWidth: grey.width,
    analysedHeight: grey.height,
    luma: lumaStats(grey),
    tones: toneStats(colour),
    edges: edgeStats(grey, { skipBlockGrid: blocks > JPEG_GRID_VISIBLE }),
    bands: bandStats(grey),
    motion: motionStats(grey),
    resample: resampleStats(grey),
    blockiness: blocks,
    // From the small colour copy: the same area averages, without another pass over every pixel.
    thumbnail: thumbnail(lumaOf(colour), THUMBNAIL_SIZE),
    colourHistogram: colourHistogram(colour),
  };
}

async function decode(sharp: SharpFactory, input: Buffer | string, failOn: 'warning' | 'none') {
  const options: SharpOptions = { failOn };
  const metadata = await sharp(input, options).metadata();
  if (!metadata.format || !metadata.width || !metadata.height) {
    throw new Error('not a recognised image');
  }
  const oriented = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };
  const base = sharp(input, options)
    .timeout({ seconds: DECODE_TIMEOUT_SECONDS })
    .autoOrient()
    // Transparent areas are judged as they are usually shown: on white.
    .flatten({ background: '#ffffff' })
    .resize({ width: ANALYSIS_MAX_SIDE, height: ANALYSIS_MAX_SIDE, fit: 'inside', withoutEnlargement: true });
  // Luma at full size (up to ANALYSIS_MAX_SIDE), one byte per pixel, for everything but colour;
  // colour from a small copy. The decoded pixels are dropped once measured.
  const colourCopy = (from: Sharp) =>
    from.resize({ width: COLOUR_SAMPLE_SIDE, height: COLOUR_SAMPLE_SIDE, fit: 'fill' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  let grey: { data: Buffer; info: { width: number; height: number; channels: number } };
  let colour: typeof grey;
  if (DECODED_WHOLE.has(String(metadata.format)) && metadata.depth === 'uchar') {
    // Decoded once, in colour; luma and the small copy are taken from those pixels (the same
    // values as from the file: these formats have no cheaper reduced-size decode). 16-bit
    // images take the two passes, so their luma is not rounded to 8 bits before conversion.
    const full = await base.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: full.info.width, height: full.info.height, channels: full.info.channels } } as const;
    grey = await sharp(full.data, raw).toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    colour = await colourCopy(sharp(full.data, raw));
  } else {
    // JPEG and WebP decode a small copy cheaply (shrink-on-load): two passes cost less.
    grey = await base.clone().toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    colour = await colourCopy(sharp(input, options).timeout({ seconds: DECODE_TIMEOUT_SECONDS }).autoOrient().flatten({ background: '#ffffff' }));
  }
  if (grey.info.channels !== 1) throw new Error(`unexpected ${grey.info.channels}-channel luma`);
  return {
    meta: {
      format: String(metadata.format),
      width: oriented.width,
      height: oriented.height,
      hasAlpha: Boolean(metadata.hasAlpha),
      frames: metadata.pages ?? 1,
    },
    grey: { data: bytes(grey.data), width: grey.info.width, height: grey.info.height },
    colour: { data: bytes(colour.data), width: colour.info.width, height: colour.info.height, channels: colour.info.channels },
  };
}

/** Rec. 709 luma of a small RGB(A) copy. */
function lumaOf(img: { data: Uint8Array; width: number; height: number; channels: number }) {
  const { data, width, height, channels } = img;
  const out = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += channels) {
    out[i] = channels >= 3 ? Math.round(0.2126 * data[p]! + 0.7152 * data[p + 1]! + 0.0722 * data[p + 2]!) : data[p]!;
  }
  return { data: out, width, height };
}

function bytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** sharp's messages name the problem well; keep the first line and drop library prefixes. */
function describeDecodeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split('\n')[0]!.replace(/^(Input (buffer|file) )/i, 'the data ').trim();
  return line || 'the data could not be decoded as an image';
}
