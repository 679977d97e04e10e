// CPU accounting from Linux /proc, so a figure can be read against what else the machine was doing; null elsewhere.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc counters (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process has used so far. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // utime and stime are fields 14 and 15; counting from after the command name, indexes 11 and 12.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Busy and total ticks of all CPUs together, from the first line of /proc/stat. */
export function machineTicks() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const ticks = fields.map(Number);
    const idle = ticks[3] + (ticks[4] ?? 0);
    const total = ticks.slice(0, 8).reduce((sum, t) => sum + t, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Share of the machine's CPU time (all cores) that was busy between two machineTicks() samples, in percent. */
export function busyPercent(before, after) {
  if (!before || !after || after.total === before.total) return null;
  return Number(((100 * (after.busy - before.busy)) / (after.total - before.total)).toFixed(1));
}
