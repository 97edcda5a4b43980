/**
 * One piece of work at a time per key (a cluster id), in arrival order, in
 * this process: the scheduler's passes and the API's reconciles and deletes of
 * one cluster, and the check-and-write of the API's applies and deletes.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const settled = result.catch(() => undefined);
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return result;
  }

  /** The work queued or running now, each settling when it ends. */
  pending(): Promise<unknown>[] {
    return [...this.tails.values()];
  }
}
