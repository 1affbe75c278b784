const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * hudson.Util#getTimeSpanString as used in queue `why` texts ("Expires in 4.9 sec"): two units
 * when the big one is < 10, seconds with one decimal below 10 s, "N ms" below 100 ms.
 */
export function timeSpanString(ms: number): string {
  const d = Math.max(0, Math.floor(ms));
  const two = (big: number, bigLabel: string, small: number, smallLabel: string): string =>
    big >= 10 ? `${big} ${bigLabel}` : `${big} ${bigLabel} ${small} ${smallLabel}`;
  const days = Math.floor(d / DAY);
  const hours = Math.floor((d % DAY) / HOUR);
  const minutes = Math.floor((d % HOUR) / MINUTE);
  const seconds = Math.floor((d % MINUTE) / SECOND);
  const millis = d % SECOND;
  if (days > 0) return two(days, 'day', hours, 'hr');
  if (hours > 0) return two(hours, 'hr', minutes, 'min');
  if (minutes > 0) return two(minutes, 'min', seconds, 'sec');
  if (seconds >= 10) return `${seconds} sec`;
  if (seconds >= 1) return `${seconds + Math.floor(millis / 100) / 10} sec`;
  if (millis >= 100) return `${Math.floor(millis / 10) / 100} sec`;
  return `${millis} ms`;
}
