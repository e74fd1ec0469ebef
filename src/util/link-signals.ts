/** One signal that aborts when any of `signals` does (with its reason); dispose() unhooks it. */
export function linkSignals(signals: Array<AbortSignal | undefined>): { signal?: AbortSignal; dispose(): void } {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 0) return { dispose() {} };
  if (present.length === 1) return { signal: present[0], dispose() {} };
  const controller = new AbortController();
  const already = present.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
    return { signal: controller.signal, dispose() {} };
  }
  const listeners = present.map((s) => {
    const onAbort = () => controller.abort(s.reason);
    s.addEventListener('abort', onAbort, { once: true });
    return () => s.removeEventListener('abort', onAbort);
  });
  return { signal: controller.signal, dispose: () => listeners.forEach((off) => off()) };
}
