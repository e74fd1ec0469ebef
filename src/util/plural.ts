/** `1 evaluation`, `2 evaluations`: a count with its noun, for messages. */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
