/** `1 evaluation`, `2 evaluations`: a count with its noun, for messages (`words` for a plural not made with -s). */
export const plural = (n: number, word: string, words = `${word}s`): string => `${n} ${n === 1 ? word : words}`;
