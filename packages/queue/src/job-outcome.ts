/** How one job ended: its result (`cached` when it was already stored), or why it failed for good. */
export type JobOutcome =
  | { readonly status: 'done'; readonly key: string; readonly result: unknown; readonly cached: boolean }
  | { readonly status: 'failed'; readonly key: string; readonly error: string };
