import { describe, expect, test } from 'vitest';
import {
  colourHistogram,
  correlation,
  detailStats,
  histogramIntersection,
  lumaStats,
  thumbnail,
  type GreyImage,
} from '../../src/sandbox/measure.js';

const grey = (width: number, height: number, f: (x: number, y: number) => number): GreyImage => {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = Math.round(f(x, y));
  return { data, width, height };
};

describe('pixel measurements on hand-made pixels', () => {
  test('luma stats count clipped shadows and highlights', () => {
    // A quarter black, a quarter white, half mid-grey.
    const img = grey(4, 4, (x) => (x === 0 ? 0 : x === 1 ? 255 : 128));
    const s = lumaStats(img);
    expect(s.shadowClipped).toBe(0.25);
    expect(s.highlightClipped).toBe(0.25);
    expect(s.mean).toBeCloseTo((0 + 255 + 128 + 128) / 4);
    expect(s.p5).toBe(0);
    expect(s.p95).toBe(255);
  });

  test('a crisp edge has a high detail ratio, the same edge blurred a low one, flat tiles are skipped', () => {
    const crisp = detailStats(grey(32, 32, (x) => (x < 16 ? 40 : 200)));
    const soft = detailStats(grey(32, 32, (x) => 40 + 160 / (1 + Math.exp(-(x - 15.5) / 3))));
    const flat = detailStats(grey(64, 64, () => 90));
    expect(crisp.tilesMeasured).toBe(1);
    expect(crisp.detailRatioP75).toBeGreaterThan(0.2);
    expect(soft.detailRatioP75).toBeLessThan(crisp.detailRatioP75 / 10);
    expect(flat).toMatchObject({ tilesMeasured: 0, tilesTotal: 4, detailRatioP75: 0, laplacianVariance: 0 });
  });

  test('the detail ratio does not change when the image is dimmed', () => {
    const bright = detailStats(grey(64, 64, (x, y) => ((x >> 2) + (y >> 2)) % 2 ? 60 : 220));
    const dim = detailStats(grey(64, 64, (x, y) => ((x >> 2) + (y >> 2)) % 2 ? 15 : 55));
    expect(dim.detailRatioP75).toBeCloseTo(bright.detailRatioP75, 5);
    expect(dim.laplacianVariance).toBeLessThan(bright.laplacianVariance / 10);
  });

  test('thumbnail averages areas', () => {
    const t = thumbnail(grey(4, 4, (x) => (x < 2 ? 0 : 100)), 2);
    expect(Array.from(t)).toEqual([0, 100, 0, 100]);
  });

  test('correlation: 1 for the same layout, -1 for its negative, 0 between flat and structured', () => {
    const a = Float32Array.from([0, 50, 100, 150]);
    expect(correlation(a, a)).toBeCloseTo(1);
    expect(correlation(a, Float32Array.from([150, 100, 50, 0]))).toBeCloseTo(-1);
    expect(correlation(a, Float32Array.from([7, 7, 7, 7]))).toBe(0);
    expect(correlation(Float32Array.from([7, 7, 7, 7]), Float32Array.from([9, 9, 9, 9]))).toBe(1);
  });

  test('colour histograms intersect fully when equal and not at all when disjoint', () => {
    const red = colourHistogram({ data: Uint8Array.from([255, 0, 0, 250, 10, 10]), width: 2, height: 1, channels: 3 });
    const blue = colourHistogram({ data: Uint8Array.from([0, 0, 255, 10, 10, 250]), width: 2, height: 1, channels: 3 });
    expect(histogramIntersection(red, red)).toBeCloseTo(1);
    expect(histogramIntersection(red, blue)).toBe(0);
  });
});
