/** How one job ended: its result (`cached` when it was already stored), or why it failed for good. */
export type JobOutcome =
  | {
      /** The job finished with a result. */
      readonly status: 'done';
      /** The job's key ({@link jobKey}). */
      readonly key: string;
      /** The kind's JSON result. */
      readonly result: unknown;
      /** True when the result came from the result store instead of a run. */
      readonly cached: boolean;
    }
  | {
      /** The job failed for good: it threw (on the queue: on its last attempt), or a worker refused it. */
      readonly status: 'failed';
      /** The job's key ({@link jobKey}). */
      readonly key: string;
      /** Why: the error's message (on the queue, BullMQ's failed reason with the attempts made). */
      readonly error: string;
    };
