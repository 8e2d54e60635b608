// A flag a process raises once its start-up work is done, reported by /readyz.
export class StartupGate {
  private done = false;
  private failure: string | null = null;
  readonly probe = {
    name: "startup",
    check: async () => {
      if (this.failure) throw new Error(this.failure);
      if (!this.done) throw new Error("waiting for the database and migrations");
    },
  };
  open(): void {
    this.done = true;
  }
  fail(reason: string): void {
    this.failure = reason;
  }
}
