/** Small formatters shared by the progress view and the commands. Times are shown in UTC so CI logs are unambiguous. */

/** `08:45:30 UTC` */
export function clock(date: Date): string {
  return `${date.toISOString().slice(11, 19)} UTC`;
}

/** `2026-11-28 08:45:30 UTC` */
export function dateTime(date: Date): string {
  return `${date.toISOString().slice(0, 10)} ${clock(date)}`;
}

/** `45s`, `3m 10s`, `2h 05m` */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** `20%`, `5.5%`, `0.25%`: at most two decimals, no trailing zeros. */
export function percent(value: number): string {
  return `${Number(value.toFixed(2))}%`;
}

export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

export function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
