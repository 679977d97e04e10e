// Peak resident memory of a process and all its descendants together (document workers are child processes, so
// the peak of one process, as GNU time reports it, would miss most of a run's memory). Linux only: /proc.
import { readFileSync } from 'node:fs';

/** Sum of VmRSS (KiB) over `pid` and its descendants now; null when /proc cannot be read. */
export function treeRssKiB(pid) {
  let total = 0;
  const stack = [pid];
  let seen = false;
  while (stack.length > 0) {
    const p = stack.pop();
    try {
      const status = readFileSync(`/proc/${p}/status`, 'latin1');
      const m = /^VmRSS:\s+(\d+)\s+kB/mu.exec(status);
      if (m) total += Number(m[1]);
      seen = true;
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, 'latin1').trim().split(/\s+/u)) if (child) stack.push(Number(child));
    } catch {
      // The process ended between two reads.
    }
  }
  return seen ? total : null;
}

/** Samples `treeRssKiB(pid)` every `ms` until stopped; `stop()` returns the peak in KiB (null when never readable). */
export function watchTreeRss(pid, ms = 100) {
  let peak = null;
  const sample = () => {
    const now = treeRssKiB(pid);
    if (now !== null) peak = Math.max(peak ?? 0, now);
  };
  sample();
  const timer = setInterval(sample, ms);
  return () => {
    clearInterval(timer);
    return peak;
  };
}
