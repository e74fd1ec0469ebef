/** Types for the fixture generator, so TypeScript tests can draw the same scene. */
export function drawScene(width?: number, height?: number, seed?: number): { data: Buffer; width: number; height: number };
/** mulberry32: the seeded generator the drawing uses. */
export function random(seed: number): () => number;
