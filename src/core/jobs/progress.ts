/**
 * percentComplete for executionDetails, from the build's start time and Jenkins' estimate
 * (`estimatedDuration`, -1 when Jenkins has no previous build). Capped at 99 until the build ends,
 * since an estimate overrun must not look finished.
 */
export function percentComplete(startedAt: number | undefined, estimatedDurationMs: number | undefined, now: number): number {
  if (!startedAt || !estimatedDurationMs || estimatedDurationMs <= 0) return 0;
  const ratio = (now - startedAt) / estimatedDurationMs;
  return Math.max(0, Math.min(99, Math.floor(ratio * 100)));
}

export function formatDuration(ms: number): string {
  const totalSeconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Keeps the end of `text` within `max` characters (failure messages quote the log's last lines). */
export function keepTail(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(text.length - max + 2);
  const newline = cut.indexOf('\n');
  return '…\n' + (newline >= 0 && newline < 200 ? cut.slice(newline + 1) : cut);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}
