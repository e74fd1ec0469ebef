import { describe, expect, test } from 'vitest';
import sharp from 'sharp';
import { analyseImage, UndecodableImageError, type PixelStats } from '../../src/sandbox/pixels.js';
import { runJudges, type JudgeResult } from '../../src/sandbox/judges/index.js';
import { judgeSharpness, MAX_EDGE_WIDTH } from '../../src/sandbox/judges/sharpness.js';
import { judgeNoise } from '../../src/sandbox/judges/noise.js';
import { judgeCompression } from '../../src/sandbox/judges/compression.js';
import { judgeEffectiveResolution } from '../../src/sandbox/judges/effective-resolution.js';
import { judgeExposure } from '../../src/sandbox/judges/exposure.js';
import { judgeContrast } from '../../src/sandbox/judges/contrast.js';
import { judgeResolution } from '../../src/sandbox/judges/resolution.js';
import { judgeAspectRatio, parseAspectRatio } from '../../src/sandbox/judges/aspect-ratio.js';
import { judgeReference, similarity } from '../../src/sandbox/judges/reference.js';
import { judgeDecode } from '../../src/sandbox/judges/decode.js';
import { computeVerdict } from '../../src/sandbox/verdict.js';
import { blurred, brightened, darkened, flat, natural, resized, scene } from './images.js';
import { enlargeCentred2x, readPhoto } from './photo-set.js';

const judgeAll = (image: PixelStats, attributes: Record<string, unknown> = {}, prompt: string | null = 'a red house') =>
  runJudges({ image, declaredMime: null, references: [], attributes, prompt });
const byName = (judges: JudgeResult[], name: string) => judges.find((j) => j.name === name)!;

describe('sharpness', () => {
  for (const [label, make] of [
    ['drawn scene', () => scene()],
    ['natural-ish picture', () => natural()],
  ] as const) {
    test(`a blurred copy of a ${label} scores lower and fails; the original passes`, async () => {
      const original = await make();
      const sharpStats = await analyseImage(original);
      const softStats = await analyseImage(await blurred(original, 3));
      expect(softStats.edges.width).toBeGreaterThan(sharpStats.edges.width * 2);
      expect(judgeSharpness(sharpStats).passed).toBe(true);
      const soft = judgeSharpness(softStats);
      expect(soft.passed).toBe(false);
      expect(soft.issues[0]).toMatchObject({ category: 'technical', subcategory: 'blur' });
      expect(soft.reasoning).toContain(`${MAX_EDGE_WIDTH} px`);
    });
  }

  test('more blur reads as wider edges, step by step', async () => {
    const original = await scene();
    const widths = [];
    for (const sigma of [0.8, 1.5, 3]) widths.push((await analyseImage(await blurred(original, sigma))).edges.width);
    expect(widths[0]).toBeLessThan(widths[1]);
    expect(widths[1]).toBeLessThan(widths[2]);
  });

  test('the same blur reads about the same at any image size', async () => {
    const widths = [];
    for (const [w, h] of [[640, 480], [1600, 1200]]) widths.push((await analyseImage(await blurred(await scene(w, h), 2))).edges.width);
    expect(widths[0]).toBeGreaterThan(MAX_EDGE_WIDTH);
    expect(widths[1]).toBeGreaterThan(MAX_EDGE_WIDTH);
    expect(widths[1] / widths[0]).toBeGreaterThan(0.7);
    expect(widths[1] / widths[0]).toBeLessThan(1.4);
  });

  test('darkening does not make a sharp image look blurred', async () => {
    const stats = await analyseImage(await darkened(await scene()));
    expect(judgeSharpness(stats).passed).toBe(true);
  });

  test('a uniform image has no detail and fails', async () => {
    const judge = judgeSharpness(await analyseImage(await flat(600, 600, 128)));
    expect(judge.passed).toBe(false);
    expect(judge.issues[0].subcategory).toBe('no_detail');
  });
});

describe('exposure', () => {
  test('a dark copy fails as underexposed with the measured numbers; the original passes', async () => {
    const original = await scene();
    expect(judgeExposure(await analyseImage(original)).passed).toBe(true);
    const judge = judgeExposure(await analyseImage(await darkened(original)));
    expect(judge.passed).toBe(false);
    expect(judge.issues.map((i) => i.subcategory)).toEqual(['underexposed']);
    expect(judge.issueLabel).toMatch(/^Underexposed: mean luma \d+\/255, [\d.]+% of pixels crushed to black$/);
    expect(judge.reasoning).toMatch(/mean luma [\d.]+\/255/);
    expect(judge.subPoints.mean_luma.passed).toBe(false);
  });

  test('a dark natural picture fails too', async () => {
    expect(judgeExposure(await analyseImage(await darkened(await natural()))).passed).toBe(false);
  });

  test('a washed-out copy fails as overexposed', async () => {
    const judge = judgeExposure(await analyseImage(await brightened(await scene())));
    expect(judge.passed).toBe(false);
    expect(judge.issues.map((i) => i.subcategory)).toEqual(['overexposed']);
  });
});

describe('contrast', () => {
  test('a flat grey image is washed out (major); the scene passes', async () => {
    expect(judgeContrast(await analyseImage(await scene())).passed).toBe(true);
    const judge = judgeContrast(await analyseImage(await flat(600, 600, 128)));
    expect(judge.passed).toBe(false);
    expect(judge.severity).toBe('major');
    expect(judge.issues[0].subcategory).toBe('washed_out');
    expect(judge.evidence).toContain('luma_std=0');
  });

  test('a pale, high-key look is only a minor flaw; a grey veil over the whole range is major', async () => {
    const pale = judgeContrast(await analyseImage(await sharp(await scene()).linear(0.15, 200).png().toBuffer()));
    expect(pale).toMatchObject({ passed: false, severity: 'minor' });
    expect(pale.issues[0].subcategory).toBe('low_contrast');
    const veiled = judgeContrast(await analyseImage(await sharp(await scene()).linear(0.4, 0.3 * 255).png().toBuffer()));
    expect(veiled).toMatchObject({ passed: false, severity: 'major' });
    expect(veiled.issueLabel).toMatch(/^Washed out: tones span \d+–\d+ of 0–255$/);
  });
});

describe('compression, noise and effective resolution', () => {
  test('JPEG quality 3 fails compression_artifacts; quality 90 passes', async () => {
    expect(judgeCompression(await analyseImage(await sharp(await natural()).jpeg({ quality: 90 }).toBuffer())).passed).toBe(true);
    const judge = judgeCompression(await analyseImage(await sharp(await natural()).jpeg({ quality: 3 }).toBuffer()));
    expect(judge.passed).toBe(false);
    expect(judge.issues[0].subcategory).toBe('compression_artifacts');
  });

  test('added noise fails the noise judge; the drawn scene passes', async () => {
    expect(judgeNoise(await analyseImage(await scene())).passed).toBe(true);
    const { data, info } = await sharp(await scene()).raw().toBuffer({ resolveWithObject: true });
    let seed = 1;
    const noisy = Buffer.from(data.map((v) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return Math.max(0, Math.min(255, v + ((seed % 61) - 30)));
    }));
    const judge = judgeNoise(await analyseImage(await sharp(noisy, { raw: { width: info.width, height: info.height, channels: info.channels } }).png().toBuffer()));
    expect(judge.passed).toBe(false);
    expect(judge.issues[0].subcategory).toBe('noise');
  });

  test('a small image enlarged 4× fails effective_resolution; the original size passes', async () => {
    expect(judgeEffectiveResolution(await analyseImage(await scene(960, 720))).passed).toBe(true);
    const enlarged = await sharp(await scene(240, 180)).resize(960, 720).png().toBuffer();
    const judge = judgeEffectiveResolution(await analyseImage(enlarged));
    expect(judge.passed).toBe(false);
    expect(judge.issues[0].subcategory).toBe('upscaled');
  });

  test('a photograph enlarged 2× fails by its period-2 trace alone, as PNG and JPEG; the same photograph shrunk to that size passes', async () => {
    const photo = await readPhoto('lady-bird.jpg');
    const small = await sharp(photo).resize(320, 320, { fit: 'inside' }).png().toBuffer();
    for (const format of ['png', 'jpeg'] as const) {
      const save = (img: sharp.Sharp) => (format === 'png' ? img.png() : img.jpeg({ quality: 90 })).toBuffer();
      const clean = judgeEffectiveResolution(await analyseImage(await save(sharp(photo).resize(640, 640, { fit: 'inside' }))));
      expect(clean.passed, clean.reasoning).toBe(true);
      const judge = judgeEffectiveResolution(await analyseImage(await save(sharp(small).resize(640, 640, { fit: 'inside' }))));
      expect(judge.passed, format).toBe(false);
      expect(judge.subPoints).toMatchObject({ fine_detail: { passed: true }, edge_width: { passed: true }, resampling_trace: { passed: false } });
      expect(judge.reasoning).toContain('period-2 trace');
    }
  });

  test('a photograph enlarged 2× the centred way (PIL, OpenCV) fails by its centred trace alone, as PNG and JPEG; the same photograph shrunk to that size passes', async () => {
    const photo = await readPhoto('lady-bird.jpg');
    const enlarged = await enlargeCentred2x(sharp(photo).resize(320, 320, { fit: 'inside' }));
    const pixels = await enlarged.png().toBuffer();
    for (const format of ['png', 'jpeg'] as const) {
      const save = (img: sharp.Sharp) => (format === 'png' ? img.png() : img.jpeg({ quality: 90 })).toBuffer();
      const clean = judgeEffectiveResolution(await analyseImage(await save(sharp(photo).resize(640, 640, { fit: 'inside' }))));
      expect(clean.passed, clean.reasoning).toBe(true);
      expect(clean.subPoints.centred_resampling_trace.passed).toBe(true);
      const judge = judgeEffectiveResolution(await analyseImage(await save(sharp(pixels))));
      expect(judge.passed, format).toBe(false);
      expect(judge.subPoints).toMatchObject({
        fine_detail: { passed: true },
        edge_width: { passed: true },
        resampling_trace: { passed: true },
        centred_resampling_trace: { passed: false },
      });
      expect(judge.reasoning).toContain('centred 2× trace');
      expect(judge.evidence.join(' ')).toMatch(/centred_trace=0\.\d+ \(x 0\.\d+, y 0\.\d+\)/);
    }
  });
});

describe('resolution', () => {
  test('300×300 fails the default 512 px gate; min_side 256 makes it pass', async () => {
    const stats = await analyseImage(await resized(await scene(), 300, 300));
    const strict = judgeResolution(stats, {});
    expect(strict.passed).toBe(false);
    expect(strict.severity).toBe('gate');
    expect(strict.reasoning).toContain('300 px');
    expect(judgeResolution(stats, { min_side: 256 }).passed).toBe(true);
    expect(judgeResolution(stats, { min_side: '256' }).passed).toBe(true);
  });

  test('an unusable min_side falls back to 512 and says so', async () => {
    const stats = await analyseImage(await scene(640, 480));
    const judge = judgeResolution(stats, { min_side: 'big' });
    expect(judge.passed).toBe(false);
    expect(judge.evidence.join(' ')).toContain('not a whole number');
  });
});

describe('aspect ratio', () => {
  test('parses the common spellings', () => {
    expect(parseAspectRatio('16:9')?.ratio).toBeCloseTo(16 / 9);
    expect(parseAspectRatio('4/3')?.ratio).toBeCloseTo(4 / 3);
    expect(parseAspectRatio('3x2')?.ratio).toBeCloseTo(1.5);
    expect(parseAspectRatio(1.5)?.ratio).toBe(1.5);
    expect(parseAspectRatio('1.5')?.ratio).toBe(1.5);
    expect(parseAspectRatio('square')?.ratio).toBe(1);
    expect(parseAspectRatio('wide')).toBeNull();
    expect(parseAspectRatio(0)).toBeNull();
  });

  test('a 768×576 image passes 4:3, fails 16:9, and is not judged when nothing was asked', async () => {
    const stats = await analyseImage(await scene());
    expect(judgeAspectRatio(stats, { aspect_ratio: '4:3' }).passed).toBe(true);
    const wrong = judgeAspectRatio(stats, { aspect_ratio: '16:9' });
    expect(wrong.passed).toBe(false);
    expect(wrong.issueLabel).toContain('4:3');
    const info = judgeAspectRatio(stats, {});
    expect(info).toMatchObject({ passed: true, weight: 0, severity: 'info' });
    expect(info.reasoning).toContain('No aspect ratio was requested');
  });

  test('generator sizes rounded to 64 px still count as the requested ratio', async () => {
    const stats = await analyseImage(await resized(await scene(), 1344, 768));
    expect(judgeAspectRatio(stats, { aspect_ratio: '16:9' }).passed).toBe(true);
  });
});

describe('reference similarity', () => {
  test('high for the same image (even resized), low for an unrelated one', async () => {
    const image = await analyseImage(await scene());
    const same = await analyseImage(await resized(await scene(), 1024, 768));
    const unrelated = await analyseImage(await natural());
    expect(similarity(image, image).score).toBeCloseTo(1, 5);
    expect(similarity(image, same).score).toBeGreaterThan(0.9);
    expect(similarity(image, unrelated).score).toBeLessThan(0.3);
    expect(judgeReference(image, same, { index: 0, kind: 'style', description: null }).passed).toBe(true);
    const miss = judgeReference(image, unrelated, { index: 1, kind: 'source_face', description: 'The person' });
    expect(miss.passed).toBe(false);
    expect(miss.name).toBe('reference_similarity_2');
    expect(miss.description).toContain('does not recognise identity');
  });
});

describe('decoding', () => {
  test('bytes that are not an image are refused', async () => {
    await expect(analyseImage(Buffer.from('hello, not an image'))).rejects.toBeInstanceOf(UndecodableImageError);
  });

  test('a truncated file that still yields pixels fails the decode gate', async () => {
    const full = await sharp(await scene()).jpeg().toBuffer();
    const stats = await analyseImage(full.subarray(0, Math.floor(full.length * 0.6)));
    expect(stats.decodeWarning).not.toBeNull();
    const judge = judgeDecode(stats, 'image/jpeg');
    expect(judge.passed).toBe(false);
    expect(judge.severity).toBe('gate');
  });

  test('a declared type that differs from the content is noted, not failed', async () => {
    const judge = judgeDecode(await analyseImage(await scene()), 'image/jpeg');
    expect(judge.passed).toBe(true);
    expect(judge.evidence.join(' ')).toContain('declared image/jpeg but the content is png');
  });

  test('EXIF orientation is applied before measuring', async () => {
    const rotated = await sharp(await scene()).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const stats = await analyseImage(rotated);
    expect([stats.width, stats.height]).toEqual([576, 768]);
  });
});

describe('all judges and the verdict', () => {
  test('the same input gives identical judges twice', async () => {
    const bytes = await natural();
    const a = judgeAll(await analyseImage(bytes), { aspect_ratio: '4:3' });
    const b = judgeAll(await analyseImage(Buffer.from(bytes)), { aspect_ratio: '4:3' });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  test('every judge reports passed, confidence, weight, reasoning, evidence and issues', async () => {
    const judges = judgeAll(await analyseImage(await blurred(await scene())));
    for (const j of judges) {
      expect(typeof j.reasoning).toBe('string');
      expect(j.reasoning.length).toBeGreaterThan(10);
      expect(j.confidence).toBeGreaterThanOrEqual(0);
      expect(j.confidence).toBeLessThanOrEqual(1);
      expect(Array.isArray(j.evidence)).toBe(true);
      if (j.passed === false) expect(j.issues.length).toBeGreaterThan(0);
    }
    expect(byName(judges, 'prompt_adherence')).toMatchObject({ passed: null, weight: 0 });
  });

  test('a sharp, well-exposed image passes with a perfect score', async () => {
    const judges = judgeAll(await analyseImage(await scene()));
    const verdict = computeVerdict(judges, { task_type: 'illustration', task_description: null, generation_prompt: 'a red house' });
    expect(verdict).toMatchObject({ overall_passed: true, weighted_pass_rate: 1, top_issues: [], primary_action_code: null });
    expect(verdict.top_strengths).toEqual([
      'image_decode',
      'resolution',
      'effective_resolution',
      'sharpness',
      'exposure',
      'contrast',
      'compression_artifacts',
      'noise',
    ]);
    expect(verdict.action).toEqual({ primary_action: 'none', failure_summary: null, improved_prompt: null });
    expect(verdict.check_summary).toMatchObject({ offline: true, not_judged: ['prompt_adherence', 'semantic_content', 'identity'] });
    expect(String(verdict.check_summary.note)).toContain('prompt adherence and semantic judging are not done offline');
  });

  test('a major failure fails the verdict and the action improves the prompt', async () => {
    const judges = judgeAll(await analyseImage(await blurred(await scene())));
    const verdict = computeVerdict(judges, { task_type: 'illustration', task_description: null, generation_prompt: 'a red house.' });
    expect(verdict.overall_passed).toBe(false);
    // sharpness (2) and effective_resolution (1) of 10: blur leaves no pixel-scale detail either.
    expect(verdict.weighted_pass_rate).toBeCloseTo(7 / 10, 4);
    expect(verdict.top_issues[0]).toBe('Image is blurry');
    expect(verdict.gate_failures).toEqual([]);
    expect(verdict.action.primary_action).toBe('regenerate');
    expect(verdict.action.improved_prompt).toBe('a red house, sharp focus, crisp fine details');
    expect(verdict.primary_action_code).toBe('regenerate');
  });

  test('a gate failure is listed and fails the verdict; a minor one only lowers the score', async () => {
    const small = judgeAll(await analyseImage(await resized(await scene(), 300, 300)));
    const smallVerdict = computeVerdict(small, { task_type: 'logo', task_description: null, generation_prompt: null });
    expect(smallVerdict.overall_passed).toBe(false);
    expect(smallVerdict.gate_failures).toEqual([
      expect.objectContaining({ output_key: 'resolution', module: 'sandbox.resolution' }),
    ]);
    expect(smallVerdict.action.improved_prompt).toMatch(/^logo, high resolution/);

    const lowContrast = judgeAll(await analyseImage(await sharp(await scene()).linear(0.15, 200).png().toBuffer()));
    expect(byName(lowContrast, 'contrast')).toMatchObject({ passed: false, severity: 'minor' });
    const verdict = computeVerdict(lowContrast, { task_type: 'x', task_description: null, generation_prompt: null });
    expect(byName(lowContrast, 'sharpness').passed).toBe(true);
    expect(verdict.overall_passed).toBe(true);
    expect(verdict.weighted_pass_rate).toBeCloseTo(9 / 10, 4);
    expect(verdict.top_issues[0]).toMatch(/^Low contrast/);
  });
});
