/** Errors retrying cannot fix by itself: they are reported once per kind (see persistent-faults.ts). */
export type PersistentFault = 'tls' | 'header' | 'dns' | 'proxy';

/** How one attempt ended: what the transport tells the dispatcher and the retry policy decides on. */
export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; status?: number; error?: string; retryAfterMs?: number; persistent?: PersistentFault }
  | { kind: 'failed'; status: number; detail: string };
