/**
 * What a request budget has sent and been answered lately: the send times of the last second,
 * whether each answer of the last two seconds was a 429, and the totals. The budget's rate and
 * its reading of a 429 are decided from these figures.
 */
export class Traffic {
  #sent = 0;
  #limited = 0;
  /** Send times within the last second. */
  #recent: number[] = [];
  /** When the first request went out (a limit's window began with it). */
  #firstSentAt: number | undefined;
  /** Answers of the last two seconds: was each a 429? */
  #answers: Array<{ at: number; limited: boolean }> = [];
  #answered = false;
  #lastRead429At = -Infinity;

  /** Requests sent so far. */
  get sent(): number {
    return this.#sent;
  }

  /** Answers that were 429s so far. */
  get limited(): number {
    return this.#limited;
  }

  get firstSentAt(): number | undefined {
    return this.#firstSentAt;
  }

  /** The service has answered at least once. */
  get answered(): boolean {
    return this.#answered;
  }

  /** When a read (a poll) was last refused with a 429. */
  get lastRead429At(): number {
    return this.#lastRead429At;
  }

  /** Notes a request going out at `at`; returns how many went before it (its ticket). */
  sendAt(at: number): number {
    const ticket = this.#sent++;
    this.#firstSentAt ??= at;
    this.#recent.push(at);
    if (this.#recent.length > 512 || (this.#recent[0] ?? at) < at - 1000) this.#recent = this.#recent.filter((t) => t > at - 1000);
    return ticket;
  }

  /** Requests sent after `since` (within the last second). */
  sentAfter(since: number): number {
    return this.#recent.filter((t) => t > since).length;
  }

  /** Notes an answer: a 429 or not, to a read (GET) or not. */
  answer(now: number, read: boolean, limited: boolean): void {
    this.#answered = true;
    this.#answers.push({ at: now, limited });
    if (this.#answers.length > 1024) this.#answers = this.#answers.filter((a) => a.at > now - 2000);
    if (!limited) return;
    if (read) this.#lastRead429At = now;
    this.#limited++;
  }

  /**
   * Share of the answers of the last two seconds that were 429 (1 when there were few answers).
   * Forgets older answers, so `limitedLately` counts the same two seconds after it.
   */
  recent429Share(now: number): number {
    this.#answers = this.#answers.filter((a) => a.at > now - 2000);
    if (this.#answers.length < 10) return 1;
    return this.#answers.filter((a) => a.limited).length / this.#answers.length;
  }

  /** 429s among the answers kept (the last two seconds' as of the last `recent429Share`). */
  get limitedLately(): number {
    return this.#answers.filter((a) => a.limited).length;
  }
}
