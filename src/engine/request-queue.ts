/**
 * The engine's requests in arrival order: each runs after the ones before it have finished, a
 * failed one does not stall the rest, and a cancel marks a request (queued or running) so that its
 * work stops at its next check.
 */
export class RequestQueue {
  private tail: Promise<void> = Promise.resolve();
  /** Ids enqueued and not finished (queued or running), and those asked to stop. */
  private readonly pending = new Set<number>();
  private readonly cancelled = new Set<number>();

  /** Run `work` after everything enqueued before it; `id` null for a request nobody can cancel. */
  enqueue(id: number | null, work: () => Promise<void>): Promise<void> {
    if (id !== null) this.pending.add(id);
    const done = this.tail.then(work).finally(() => {
      if (id !== null) this.pending.delete(id);
    });
    this.tail = done.catch(() => undefined); // a failed request must not stall the ones behind it
    return done;
  }

  /** Ask the request with this id to stop; an id not queued or running is ignored. */
  cancel(id: number): void {
    if (this.pending.has(id)) this.cancelled.add(id);
  }

  isCancelled(id: number): boolean {
    return this.cancelled.has(id);
  }

  /** The request has answered: forget that it was asked to stop. */
  settle(id: number): void {
    this.cancelled.delete(id);
  }
}
