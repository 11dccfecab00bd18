// Work that takes turns: at most N jobs at once, the rest started in arrival order as jobs end.
// Shared by unary calls (call-queue.ts) and the messages of agents' sessions (agent-session.ts), so
// that a burst of either is answered first-come first-served within one budget
// (--max-concurrent-calls) instead of all advancing a step at a time and all finishing late.

export class Turns {
  private active = 0;
  // A FIFO as an array with a moving head: shift() would copy a 10,000-entry queue each time.
  private queue: (() => boolean)[] = [];
  private head = 0;
  private pumping = false;

  constructor(readonly max: number) {}

  /** Jobs running now. */
  get running(): number {
    return this.active;
  }

  /** Jobs waiting for their turn. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /**
   * Starts `job` when its turn comes (at once when fewer than max run). The job returns false when
   * it no longer needs its turn (its caller went away); otherwise it calls release() once when done.
   */
  run(job: () => boolean): void {
    this.queue.push(job);
    this.pump();
  }

  /** The turn of a job that runs until an await: resolves when it may go on; release() when done. */
  take(): Promise<void> {
    return new Promise((resolve) => this.run(() => (resolve(), true)));
  }

  release(): void {
    this.active--;
    this.pump();
  }

  private pump(): void {
    // A job that ends at once releases inside the loop: the loop goes on, instead of a nested one.
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.active < this.max && this.head < this.queue.length) {
        const job = this.queue[this.head]!;
        this.queue[this.head++] = undefined as never;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        this.active++;
        if (!job()) this.active--;
      }
    } finally {
      this.pumping = false;
    }
  }
}
