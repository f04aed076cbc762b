import type { Redis } from 'ioredis';
import type { ResolvedRedisOptions } from './options.js';
import { readOwnPending } from './own-pending.js';
import { retryRedis } from './redis-retry.js';
import { scriptRunner } from './script-runner.js';
import { ACK_SCRIPT } from './scripts.js';
import { entriesOfClaim, entriesOfRead, type RawEntry } from './stream-reply.js';

const runAck = scriptRunner(ACK_SCRIPT);
/** How long one blocking read waits; also the longest `stop()` waits for the read loop. */
const BLOCK_MS = 1_000;
/** Idle time given to entries handed back on shutdown, so any consumer's next `XAUTOCLAIM` takes them. */
const RELEASED_IDLE_MS = 1_000_000_000;

export interface ConsumerHost {
  /** Free places in the prefetch buffer. */
  room(): number;
  /** Ids held here (read ahead, leased, waiting to retry): their idle time is kept fresh. */
  heldIds(): string[];
  /** Entries read from the stream (`claimed`: taken over from another consumer). */
  admit(entries: RawEntry[], claimed: boolean): void;
  fault(kind: string, error: unknown): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * The read side of a consumer-group member: a blocking `XREADGROUP` loop on its own connection fills the
 * prefetch buffer; a timer keeps the idle time of held entries fresh (so nobody takes over live work)
 * and takes over entries idle on other consumers (dead ones) with `XAUTOCLAIM`; settled entries are
 * acknowledged and deleted in batches, one round trip per turn.
 */
export class Consumer {
  #reading = false;
  #loop: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #roomWaiter: (() => void) | undefined;
  #acks: string[] = [];
  /** The batch of acks being sent (retried until Redis takes it). */
  #ackBatch: string[] = [];
  /** The reader (re)connected: a read's reply may have been lost with the old connection (see own-pending.ts). */
  #recover = false;
  #ackScheduled = false;
  #acking: Promise<void> | undefined;
  readonly #abort = new AbortController();
  #claiming = false;
  #heartbeatEvery = 10_000;
  #heartbeatAt = 0;
  /** The reader connection's client id, to end a blocking read at once on stop (`CLIENT UNBLOCK`). */
  #readerId: string | undefined;

  constructor(
    private readonly main: Redis,
    private readonly reader: Redis,
    private readonly options: ResolvedRedisOptions,
    private readonly host: ConsumerHost,
  ) {}

  start(): void {
    this.#reading = true;
    this.reader.on('ready', () => {
      this.#recover = true;
    });
    this.#loop = this.#readLoop();
    // Takeover is checked often (entries handed back on shutdown are claimable at once); the idle time
    // of held entries is refreshed well within claimIdleMs.
    const every = Math.max(100, Math.min(this.options.claimIdleMs / 3, 1_000));
    this.#heartbeatEvery = Math.max(100, Math.min(this.options.claimIdleMs / 3, 10_000));
    this.#timer = setInterval(() => void this.#tick(), every);
    this.#timer.unref();
  }

  /** Stops reading (held entries stay held until settled or released). */
  stop(): void {
    if (!this.#reading) return;
    this.#reading = false;
    this.#roomWaiter?.();
    // The blocked read returns as if timed out; entries it already took are handed back by the loop.
    if (this.#readerId) this.main.call('CLIENT', 'UNBLOCK', this.#readerId).catch(() => undefined);
  }

  /** The prefetch buffer has room again. */
  notifyRoom(): void {
    const waiter = this.#roomWaiter;
    this.#roomWaiter = undefined;
    waiter?.();
  }

  ack(id: string): void {
    this.#acks.push(id);
    if (this.#ackScheduled || this.#acking) return;
    this.#ackScheduled = true;
    setImmediate(() => {
      this.#ackScheduled = false;
      this.#acking = this.#flushAcks().finally(() => {
        this.#acking = undefined;
        if (this.#acks.length > 0) this.ack(this.#acks.pop()!);
      });
    });
  }

  async #flushAcks(): Promise<void> {
    while (this.#acks.length > 0) {
      const ids = this.#acks.splice(0, 1_000);
      this.#ackBatch = ids;
      try {
        await retryRedis(
          () => runAck(this.main, this.options.stream, [this.options.group, ...ids]),
          this.#abort.signal,
          (error) => this.host.fault('redis-ack', error),
        );
      } catch (error) {
        // Closed before Redis took the acks (or, reported, a failure no retry was written for): the
        // entries stay pending and are taken over and re-sent later with the same idempotency keys,
        // which Fluxrate deduplicates.
        if (!this.#abort.signal.aborted) this.host.fault('redis-ack-unexpected', error);
        return;
      }
    }
  }

  /** Hands entries back to the group at once (shutdown): their idle time is set high, so they are taken over. */
  async release(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const { stream, group, consumer } = this.options;
    try {
      const idle = ['IDLE', String(RELEASED_IDLE_MS), 'JUSTID'];
      await this.main.call('XCLAIM', stream, group, consumer, '0', ...ids, ...idle);
    } catch (error) {
      // Not handed back: they are taken over after `claimIdleMs` instead.
      this.host.fault('redis-release', error);
    }
  }

  async ensureGroup(): Promise<void> {
    const { stream, group } = this.options;
    try {
      // From 0: entries appended before the group existed are delivered too.
      await this.main.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('BUSYGROUP')) throw error;
    }
  }

  async #readLoop(): Promise<void> {
    const { stream, group, consumer } = this.options;
    let failures = 0;
    let groupReady = false;
    while (this.#reading) {
      try {
        if (!groupReady) {
          await this.ensureGroup();
          this.#readerId = String(await this.reader.call('CLIENT', 'ID'));
          groupReady = true;
          // Abandoned work first: take over before reading new entries fills the prefetch.
          await this.#tick();
          this.#recover ||= failures > 0;
        }
        if (this.#recover) await this.#recoverOwn();
        const room = this.host.room();
        if (room <= 0) {
          await new Promise<void>((resolve) => {
            this.#roomWaiter = resolve;
          });
          continue;
        }
        const reply = await this.reader.call(
          'XREADGROUP',
          'GROUP',
          group,
          consumer,
          'COUNT',
          String(room),
          'BLOCK',
          String(BLOCK_MS),
          'STREAMS',
          stream,
          '>',
        );
        failures = 0;
        const entries = entriesOfRead(reply);
        if (entries.length === 0) continue;
        if (this.#reading) this.host.admit(entries, false);
        else await this.release(entries.map((e) => e.id));
      } catch (error) {
        if (!this.#reading) break;
        // Recreate the group if Redis lost it, and learn the reader's new client id after a reconnect.
        groupReady = false;
        if (!String((error as Error)?.message).startsWith('NOGROUP')) this.host.fault('redis-read', error);
        failures++;
        await sleep(Math.min(2_000, 50 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  /** After a lost connection: our pending entries not held, not being acked (a read whose reply was lost). */
  async #recoverOwn(): Promise<void> {
    this.#recover = false;
    const held = new Set([...this.host.heldIds(), ...this.#acks, ...this.#ackBatch]);
    const lost = await readOwnPending(this.reader, this.options, this.host.room(), (id) => held.has(id));
    if (lost.length > 0) this.host.admit(lost, false);
  }

  /** Keeps held entries fresh, then takes over entries idle on other consumers. */
  async #tick(): Promise<void> {
    if (this.#claiming || !this.#reading) return;
    this.#claiming = true;
    const { stream, group, consumer, claimIdleMs } = this.options;
    try {
      if (Date.now() - this.#heartbeatAt >= this.#heartbeatEvery) {
        this.#heartbeatAt = Date.now();
        const held = this.host.heldIds();
        for (let i = 0; i < held.length; i += 500) {
          await this.main.call('XCLAIM', stream, group, consumer, '0', ...held.slice(i, i + 500), 'JUSTID');
        }
      }
      let cursor = '0-0';
      do {
        const room = this.host.room();
        if (room <= 0 || !this.#reading) break;
        const args = [stream, group, consumer, String(claimIdleMs), cursor, 'COUNT', String(room)];
        const reply = await this.main.call('XAUTOCLAIM', ...args);
        const claim = entriesOfClaim(reply);
        cursor = claim.cursor;
        if (claim.entries.length > 0) this.host.admit(claim.entries, true);
      } while (cursor !== '0-0');
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOGROUP')) this.host.fault('redis-claim', error);
    } finally {
      this.#claiming = false;
    }
  }

  /** Stops the loops and waits (bounded) for the last acks. */
  async close(timeoutMs: number): Promise<void> {
    this.stop();
    if (this.#timer) clearInterval(this.#timer);
    // A read stuck on an unreachable Redis ends when the caller disconnects the reader.
    await Promise.race([this.#loop, sleep(BLOCK_MS + 500)]);
    const deadline = Date.now() + timeoutMs;
    while ((this.#acks.length > 0 || this.#acking || this.#ackScheduled) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.#abort.abort();
  }
}
