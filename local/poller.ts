import type { Message } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { describeError, type Logger } from "../handlers/log";
import { LOCAL_AWS } from "./emulators";
import { lambdaContext } from "./lambdaContext";
import type { SqsEventSource } from "./sqsEvents";

export interface PollerOptions {
  events: SqsEventSource;
  /** The function the mapping invokes (the worker). */
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;
  functionName: string;
  /** The function's timeout: the context counts down from it, and an invocation past it fails as a whole. */
  timeoutSeconds: number;
  /** Records per invocation at most. @default 10 */
  batchSize: number;
  /** Seconds to keep receiving to fill a batch. @default 0 */
  maxBatchingWindowSeconds: number;
  /** Invocations at most in parallel (the mapping's maximum concurrency). @default 10 */
  maxConcurrency: number;
  /** Long-poll wait of each receive. @default 20 (Lambda's own) */
  waitSeconds?: number;
  logger: Logger;
}

/**
 * Lambda's SQS event source mapping, locally: `maxConcurrency` pollers long-poll the queue, each
 * invokes the function with a batch and then deletes what it did not report as failed (partial
 * batch response). Failed records come back when their visibility ends; the queue's redrive
 * policy moves them to the DLQ after `maxReceiveCount` receives.
 */
export class EventSourcePoller {
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private running = 0;

  constructor(private readonly options: PollerOptions) {}

  /** Starts the pollers. */
  start(): void {
    for (let index = 0; index < this.options.maxConcurrency; index++) this.loops.push(this.loop());
  }

  /** Invocations running now. */
  get inFlight(): number {
    return this.running;
  }

  /**
   * Stops receiving and waits for the batches being processed to finish and be settled, so a
   * shutdown loses no work: messages received but not yet invoked come back after their
   * visibility timeout (or, across a restart, through the startup recovery pass).
   */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let messages: Message[];
      try {
        messages = await this.receiveBatch(signal);
      } catch (error) {
        if (signal.aborted) break;
        this.options.logger.warn("poller.receive_failed", describeError(error));
        await pause(1_000, signal);
        continue;
      }
      if (messages.length > 0) await this.invoke(messages);
    }
  }

  /**
   * One batch: a long poll for the first message, what else is there at once, then more
   * receives within the batching window until the batch is full.
   */
  private async receiveBatch(signal: AbortSignal): Promise<Message[]> {
    const { events, batchSize, maxBatchingWindowSeconds } = this.options;
    // SQS answers a long poll as soon as any message is there; local-aws-sqs waits until it has
    // MaxNumberOfMessages or the wait ends. Asking for one, then for the rest without waiting,
    // is the same batch on both, without a 20-second delay locally.
    const messages = await events.receive(1, this.options.waitSeconds ?? 20, signal);
    if (messages.length > 0 && batchSize > 1) messages.push(...(await events.receive(batchSize - 1, 0)));
    const windowEnds = Date.now() + maxBatchingWindowSeconds * 1000;
    while (messages.length > 0 && messages.length < batchSize && Date.now() < windowEnds && !signal.aborted) {
      const waitSeconds = Math.min(20, Math.floor((windowEnds - Date.now()) / 1000));
      try {
        messages.push(...(await events.receive(batchSize - messages.length, waitSeconds, signal)));
      } catch (error) {
        if (signal.aborted) break;
        throw error;
      }
      if (waitSeconds === 0) break;
    }
    return messages;
  }

  private async invoke(messages: Message[]): Promise<void> {
    const { events, handler, functionName, timeoutSeconds, logger } = this.options;
    this.running++;
    try {
      const context = lambdaContext(functionName, timeoutSeconds, LOCAL_AWS.region);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutSeconds * 1000)));
      let response: SQSBatchResponse | void | undefined;
      try {
        const outcome = await Promise.race([handler(events.toEvent(messages), context), timedOut]);
        if (outcome === "timeout") {
          // Lambda kills the invocation: the whole batch comes back after its visibility timeout.
          logger.error("poller.invocation_timed_out", { functionName, records: messages.length, timeoutSeconds });
        } else {
          response = outcome;
        }
      } catch (error) {
        // A failed invocation deletes nothing, as on Lambda.
        logger.error("poller.invocation_failed", { functionName, records: messages.length, ...describeError(error) });
      } finally {
        clearTimeout(timer);
      }
      await events.settle(messages, response);
    } catch (error) {
      logger.error("poller.settle_failed", { functionName, records: messages.length, ...describeError(error) });
    } finally {
      this.running--;
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
