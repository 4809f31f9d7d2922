// Progress text with an estimated time left, from the work done so far and the time it took.

/** Seconds left at the rate so far; null before anything is done (no rate yet). */
export function etaSeconds(done: number, total: number, elapsedMs: number): number | null {
  if (!(done > 0) || !(total > 0) || !(elapsedMs >= 0)) return null;
  return Math.max(0, ((total - done) * elapsedMs) / done / 1000);
}

/** 7 → "7 s", 65 → "1:05", 3725 → "1:02:05". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** "12 of 48 steps · about 34 s left" (the progress bar's aria-valuetext and caption). */
export function progressText(done: number, total: number, elapsedMs: number, unit: string): string {
  if (total <= 0) return 'idle';
  const head = `${done} of ${total} ${unit}`;
  if (done >= total) return `${head} · done`;
  const eta = etaSeconds(done, total, elapsedMs);
  return eta === null ? `${head} · estimating time left…` : `${head} · about ${formatDuration(eta)} left`;
}
