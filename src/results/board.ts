import type { JobDelivery } from './payloads.js';

/**
 * Where `submit --listen` hands webhook deliveries to the jobs waiting for them. A delivery stored before its job
 * started waiting is kept, so the order of "webhook arrives" and "job starts waiting" does not matter.
 */
export class ResultBoard {
  private readonly arrived = new Map<string, JobDelivery>();
  private readonly waiters = new Map<string, (d: JobDelivery) => void>();

  put(delivery: JobDelivery): void {
    const waiter = this.waiters.get(delivery.jobId);
    if (waiter) {
      this.waiters.delete(delivery.jobId);
      waiter(delivery);
    } else {
      this.arrived.set(delivery.jobId, delivery);
    }
  }

  /** The job's delivery, or null once `ms` passes or `signal` aborts. */
  wait(jobId: string, ms: number, signal: AbortSignal): Promise<JobDelivery | null> {
    const early = this.arrived.get(jobId);
    if (early) {
      this.arrived.delete(jobId);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      const finish = (d: JobDelivery | null) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (this.waiters.get(jobId) === settle) this.waiters.delete(jobId);
        resolve(d);
      };
      const settle = (d: JobDelivery) => finish(d);
      const onAbort = () => finish(null);
      const timer = setTimeout(() => finish(null), ms);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(jobId, settle);
    });
  }
}
