/** Types for the fixture generator, so TypeScript tests can draw the same scene. */
export function drawScene(width?: number, height?: number, seed?: number): { data: Buffer; width: number; height: number };
