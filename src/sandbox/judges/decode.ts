import type { PixelStats } from '../pixels.js';
import type { JudgeResult } from './types.js';

/**
 * The image decodes cleanly as a raster image. Bytes that do not decode at all never reach the
 * judges (the evaluation fails with `invalid_media`); this gate catches data that only a lenient
 * decoder could read (truncated or corrupt files) and vector formats that had to be rasterised.
 */
export function judgeDecode(stats: PixelStats, declaredMime: string | null): JudgeResult {
  const described = `${stats.width}×${stats.height} ${stats.format.toUpperCase()}`;
  const evidence = [
    `format=${stats.format}`,
    `size=${stats.width}x${stats.height}`,
    `alpha=${stats.hasAlpha}`,
    `frames=${stats.frames}`,
  ];
  if (stats.frames > 1) evidence.push(`animated: judged the first of ${stats.frames} frames`);
  const declaredFormat = declaredMime?.replace(/^image\//, '').replace('jpg', 'jpeg');
  if (declaredFormat && declaredFormat !== stats.format && !(declaredFormat === 'svg+xml' && stats.format === 'svg')) {
    evidence.push(`declared ${declaredMime} but the content is ${stats.format}`);
  }
  const base = {
    name: 'image_decode',
    description: 'Gate check: the file decodes cleanly as a raster image.',
    category: 'technical',
    weight: 1,
    severity: 'gate' as const,
    evidence,
  };
  if (stats.decodeWarning) {
    return {
      ...base,
      passed: false,
      confidence: 0.95,
      reasoning: `The ${described} only decoded leniently: ${stats.decodeWarning}. The file is corrupt or truncated.`,
      subPoints: { clean_decode: { passed: false, value: stats.decodeWarning, limit: 'no decoder errors' } },
      issues: [{ category: 'technical', subcategory: 'corrupt_data', detail: `Decoder error: ${stats.decodeWarning}` }],
      issueLabel: 'Image data is corrupt or truncated',
    };
  }
  if (!stats.isRaster) {
    return {
      ...base,
      passed: false,
      confidence: 0.99,
      reasoning: `The file is ${stats.format.toUpperCase()}, a vector or document format, not a generated raster image; it was rasterised at ${stats.width}×${stats.height} to judge the rest.`,
      subPoints: { raster_format: { passed: false, value: stats.format, limit: 'a raster format (PNG, JPEG, WebP, …)' } },
      issues: [{ category: 'technical', subcategory: 'format', detail: `${stats.format} is not a raster image format` }],
      issueLabel: `Not a raster image (${stats.format})`,
    };
  }
  return {
    ...base,
    passed: true,
    confidence: 1,
    reasoning: `Decoded a ${described} without errors.`,
    subPoints: {
      clean_decode: { passed: true, value: 'ok', limit: 'no decoder errors' },
      raster_format: { passed: true, value: stats.format, limit: 'a raster format' },
    },
    issues: [],
  };
}
