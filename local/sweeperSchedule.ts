import type { SweeperHandler } from "../handlers/sweeper/handler";
import { describeError, type Logger } from "../handlers/log";

/**
 * The sweeper's EventBridge schedule, locally: one run every `intervalSeconds`, never two at
 * once (a run that outlasts the interval delays the next, where EventBridge would overlap them;
 * the sweeper is safe either way, this is just quieter).
 */
export class SweeperSchedule {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly sweeper: SweeperHandler, private readonly intervalSeconds: number, private readonly logger: Logger) {}

  start(): void {
    this.schedule();
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.current = this.sweeper({ source: "local.schedule" })
        .then(() => undefined)
        .catch((error: unknown) => this.logger.error("local.sweep_failed", describeError(error)))
        .finally(() => {
          this.current = undefined;
          this.schedule();
        });
    }, this.intervalSeconds * 1000);
  }
}
