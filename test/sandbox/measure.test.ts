import { describe, expect, test } from 'vitest';
import { bandStats } from '../../src/sandbox/measures/bands.js';
import { blockiness } from '../../src/sandbox/measures/blockiness.js';
import { edgeStats } from '../../src/sandbox/measures/edges.js';
import type { GreyImage } from '../../src/sandbox/measures/image.js';
import { motionStats } from '../../src/sandbox/measures/motion.js';
import { resampleStats } from '../../src/sandbox/measures/resample.js';
import { colourHistogram, correlation, histogramIntersection, thumbnail } from '../../src/sandbox/measures/summaries.js';
import { lumaStats } from '../../src/sandbox/measures/tones.js';

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

  test('edge width: a pixel-sharp edge reads under 1 px, the same edge blurred wider; flat images have no edges', () => {
    const step = (soft: number) => (x: number) => 40 + 160 / (1 + Math.exp(-(x - 47.5) / soft));
    const crisp = edgeStats(grey(200, 200, step(0.01)));
    const soft = edgeStats(grey(200, 200, step(2)));
    expect(crisp.width).toBeLessThan(1);
    expect(soft.width).toBeGreaterThan(crisp.width * 2);
    expect(edgeStats(grey(200, 200, () => 90))).toMatchObject({ width: Infinity, edges: 0 });
  });

  test('motion streak: a texture smeared 9 px along the diagonal shows the comb of zeros; the texture itself and even stripes do not', () => {
    let seed = 17;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    // Random grey per pixel: detail at every scale the streak removes.
    const size = 400;
    const side = size + 16;
    const noise = Array.from({ length: side * side }, () => 40 + 170 * rnd());
    const texture = (x: number, y: number) => noise[(y + 8) * side + x + 8];
    const smeared = (x: number, y: number) => {
      let sum = 0;
      for (let k = 0; k < 9; k++) sum += texture(x - k, y - k);
      return sum / 9;
    };
    const clean = motionStats(grey(size, size, texture));
    const streak = motionStats(grey(size, size, smeared));
    expect(clean.score).toBeGreaterThan(-0.65);
    expect(streak.score).toBeLessThan(-0.65);
    expect(streak.direction).toBe(45);
    expect(streak.length).toBeCloseTo(9 * Math.SQRT2, 0);
    // Slats 7 px light, 7 px dark: the same zeros, but the energy is all there.
    expect(motionStats(grey(size, size, (x) => (Math.floor(x / 7) % 2 ? 200 : 60))).score).toBeGreaterThan(-0.65);
    expect(motionStats(grey(size, size, () => 90))).toMatchObject({ score: 0, direction: null });
  });

  test('resampling trace: a texture enlarged 2× shows the period-2 pattern; the texture itself and a JPEG-like block pattern do not', () => {
    let seed = 29;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const side = 161;
    const src = Array.from({ length: side * side }, () => 40 + 170 * rnd());
    const at = (x: number, y: number) => src[y * side + x];
    // Bilinear 2×: even pixels are source pixels, odd ones halfway between two.
    const enlarged = (x: number, y: number) => {
      const x0 = x >> 1;
      const y0 = y >> 1;
      const fx = (x & 1) / 2;
      const fy = (y & 1) / 2;
      const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
      const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
      return top * (1 - fy) + bottom * fy;
    };
    const up = resampleStats(grey(320, 320, enlarged));
    expect(up.parity).toBeGreaterThan(0.035);
    // Odd pixels interpolated: their second difference is small (the sign says which phase).
    expect(up.parityX).toBeLessThan(-0.5);
    expect(up.parityY).toBeLessThan(-0.5);
    expect(resampleStats(grey(160, 160, at)).parity).toBeLessThan(0.035);
    // Blocks of 8 at random levels (steps up as often as down), each with a bump symmetric about
    // its middle: a strong grid, no period 2.
    const level = Array.from({ length: 40 * 40 }, () => 60 + 120 * rnd());
    const blocks = (x: number, y: number) => level[(y >> 3) * 40 + (x >> 3)] + 15 * Math.cos((Math.PI * ((x & 7) - 3.5)) / 4) + 10 * Math.cos((Math.PI * ((y & 7) - 3.5)) / 8);
    expect(resampleStats(grey(320, 320, blocks)).parity).toBeLessThan(0.01);
    expect(resampleStats(grey(64, 64, () => 90))).toEqual({ parityX: 0, parityY: 0, parity: 0, centredX: 0, centredY: 0, centred: 0 });
  });

  test('resampling trace: one strong edge on a multiple of 8 rows in a drawn image is not a trace', () => {
    // The bench's 600-px image: ramps stored in whole levels, a square from row 201 and a disc.
    // Rows are read in bands of 8; an edge between rows 200 and 201 once counted at one parity only.
    const drawn = (x: number, y: number) => {
      const inSquare = x > 150 && x < 300 && y > 200 && y < 350;
      const inDisc = (x - 420) ** 2 + (y - 300) ** 2 < 90 ** 2;
      return inSquare ? 200 : inDisc ? 60 : 20 + Math.round((x / 600) * 60) + Math.round((y / 600) * 130);
    };
    const stats = resampleStats(grey(600, 600, drawn));
    expect(Math.abs(stats.parityY)).toBeLessThan(0.01);
    expect(stats.parity).toBeLessThan(0.035 / 2);
  });

  test('centred resampling trace: a texture enlarged 2× between pixel centres (PIL-style) shows it in x and y; the texture itself does not', () => {
    let seed = 31;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const side = 161;
    const src = Array.from({ length: side * side }, () => 40 + 170 * rnd());
    const at = (x: number, y: number) => src[Math.min(side - 1, y) * side + Math.min(side - 1, x)];
    // Bilinear, centred: output 2i samples the source at i − ¼, output 2i + 1 at i + ¼.
    const axis = (o: number): [number, number, number] => [o >> 1, (o & 1 ? 1 : -1) + (o >> 1), 0.25];
    const enlarged = (x: number, y: number) => {
      const [x0, x1, fx] = axis(x);
      const [y0, y1, fy] = axis(y);
      const row = (yy: number) => at(x0, Math.max(0, yy)) * (1 - fx) + at(Math.max(0, x1), Math.max(0, yy)) * fx;
      return row(y0) * (1 - fy) + row(y1) * fy;
    };
    const up = resampleStats(grey(320, 320, enlarged));
    // Both phases are mirror images: no parity, but the centred trace in both directions.
    expect(up.parity).toBeLessThan(0.035);
    expect(up.centredX).toBeGreaterThan(0.3);
    expect(up.centredY).toBeGreaterThan(0.3);
    expect(up.centred).toBe(Math.min(up.centredX, up.centredY));
    expect(resampleStats(grey(160, 160, at)).centred).toBeLessThan(0.1);
    // Drawn art: flat bars whose steps all sit at even positions. Each step's second differences
    // have opposite signs (negative products, all at one parity): not a centred trace.
    const bars = (x: number, y: number) => 60 + 30 * ((Math.floor(x / 6) * 7) % 5) + 20 * ((Math.floor(y / 10) * 3) % 4);
    expect(resampleStats(grey(320, 320, bars)).centred).toBe(0);
  });

  test('edge width does not change when the image is dimmed', () => {
    const f = (lo: number, hi: number) => (x: number, y: number) => lo + (hi - lo) / (1 + Math.exp(-(((x + y) % 40) - 20) / 1.5));
    const bright = edgeStats(grey(200, 200, f(60, 220)));
    const dim = edgeStats(grey(200, 200, f(15, 55)));
    expect(dim.width).toBeCloseTo(bright.width, 1);
  });

  test('noise sigma reads the added noise, not the texture', () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    const noisy = bandStats(grey(256, 256, () => Math.max(0, Math.min(255, 128 + 20 * gauss()))));
    expect(noisy.noiseSigma).toBeGreaterThan(15);
    expect(noisy.noiseSigma).toBeLessThan(25);
    // Stripes in half the picture, smooth elsewhere: texture, not noise.
    const textured = bandStats(grey(256, 256, (x, y) => (y < 128 ? ((x >> 1) % 2 ? 60 : 200) : 120)));
    expect(textured.noiseSigma).toBeLessThan(1);
  });

  test('blockiness: about 1 without a grid, high when steps sit on the 8 px grid', () => {
    expect(blockiness(grey(64, 64, (x, y) => (x * 3 + y * 2) % 256))).toBeCloseTo(1, 0);
    expect(blockiness(grey(64, 64, (x, y) => ((x >> 3) * 37 + (y >> 3) * 53) % 200))).toBeGreaterThan(5);
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
