// A sleep that something else can end early: a freed slot, or shutdown (S-8). One sleeper at
// a time; wake() with nobody asleep does nothing.
export class WakeableSleep {
  private wakeUp: () => void = () => undefined;

  // Resolves after `ms` (never, when it is not finite) or at the next wake(), whichever is first.
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms)
        ? setTimeout(() => done(), ms)
        : undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.wakeUp = () => undefined;
        resolve();
      };
      this.wakeUp = done;
    });
  }

  wake(): void {
    this.wakeUp();
  }
}
