import type { Outbox, OutboxHost, QueuedEvent, Settlement } from '@fluxrate/core';
import type { Redis } from 'ioredis';
import { Appender, appenderCounts, reportOverflow } from './appender.js';
import { decodeEntry } from './codec.js';
import { Consumer } from './consumer.js';
import { FleetPause } from './fleet-pause.js';
import type { AggregatorLink, EntryDiverter } from './forwarder-aggregate.js';
import { type ResolvedRedisOptions, resolveRedisOptions } from './options.js';
import { instrumentRedisOutbox } from './otel-redis.js';
import { ownClient, retryStrategy } from './redis-client.js';
import { RetryWaiting } from './retry-waiting.js';
import type { RawEntry } from './stream-reply.js';
import { streamStats } from './stream-stats.js';
import type { RedisOutboxLocalStats, RedisOutboxOptions, RedisOutboxStats } from './types.js';

/** How many events may wait for a retry per place of `prefetch` (4 096 with the default 256). */
const WAITING_PER_PREFETCH = 16;

/**
 * The `Outbox` on a Redis Stream shared by a fleet. `append` buffers in memory and the appender writes
 * one batch per turn; once Redis confirms a batch the events belong to the consumer group (`handedOff`),
 * and any consumer, this process included, delivers them as revived events. Held entries (read ahead,
 * leased, waiting to retry) stay pending on this consumer until settled; if it dies they are taken over.
 */
export class RedisOutbox implements Outbox {
  readonly kind = 'redis';
  readonly options: ResolvedRedisOptions;
  readonly #source: Redis | string;
  #main: Redis | undefined;
  #reader: Redis | undefined;
  #host: OutboxHost | undefined;
  #appender: Appender | undefined;
  #consumer: Consumer | undefined;
  /** Held entries: event -> stream id. */
  readonly #held = new Map<QueuedEvent, string>();
  readonly #ids = new Set<string>();
  #ready: QueuedEvent[] = [];
  /** Waiting to retry (held, but outside `prefetch`: up to WAITING_PER_PREFETCH x prefetch of them). */
  readonly #waiting = new RetryWaiting();
  #evicted = false;
  #diverter: EntryDiverter | undefined;
  #pause: FleetPause | undefined;
  readonly #counts = { appended: 0, overflow: 0, read: 0, claimed: 0, acked: 0 };
  #unobserve: (() => void) | undefined;

  constructor(options: RedisOutboxOptions) {
    this.options = resolveRedisOptions(options);
    this.#source = options.redis;
  }

  open(host: OutboxHost): QueuedEvent[] {
    this.#host = host;
    const main = this.#client();
    const { stream, maxLen, batchSize, appendIntervalMs } = this.options;
    this.#appender = new Appender(main, stream, maxLen, batchSize, appendIntervalMs, {
      confirmed: (events) => this.#confirmed(events),
      overflow: (events) => this.#overflow(events),
      fault: (error) => host.fault('redis-append', error),
      unexpected: (error) => host.fault('redis-append-unexpected', error),
    });
    this.#unobserve = instrumentRedisOutbox(this, this.options.meterProvider);
    if (this.options.consume) {
      this.#pause = new FleetPause(() => main, `${stream}:pause`, host.fault);
      const reader = main.duplicate({ retryStrategy, maxRetriesPerRequest: null });
      reader.on('error', (error) => host.fault('redis-connection', error));
      this.#reader = reader;
      this.#consumer = new Consumer(main, reader, this.options, {
        room: () => this.#room(),
        heldIds: () => (this.#diverter ? [...this.#ids, ...this.#diverter.ids()] : [...this.#ids]),
        admit: (entries, claimed) => this.#admit(entries, claimed),
        fault: (kind, error) => host.fault(kind, error),
      });
      this.#consumer.start();
    }
    return [];
  }

  /** Places to read into: waiting retries take none of `prefetch`, but all held stay under 16 x prefetch. */
  #room(): number {
    const { prefetch } = this.options;
    const active = this.#held.size - this.#waiting.size + (this.#diverter?.openGroups ?? 0);
    return Math.min(prefetch - active, WAITING_PER_PREFETCH * prefetch - this.#held.size);
  }

  /**
   * `fluxrate-forwarder --aggregate` (call before `open`): entries the diverter takes skip delivery here,
   * its held ids are kept fresh like ours, and its open groups count against `prefetch`.
   */
  divert(diverter: EntryDiverter): AggregatorLink {
    this.#diverter = diverter;
    const { stream, group, consumer } = this.options;
    return {
      redis: this.#client(),
      stream,
      group,
      consumer,
      roomFreed: () => this.#consumer?.notifyRoom(),
      fault: (kind, error) => this.#host?.fault(kind, error),
    };
  }

  #client(): Redis {
    this.#main ??=
      typeof this.#source === 'string'
        ? ownClient(this.#source, (error) => this.#host?.fault('redis-connection', error))
        : this.#source;
    return this.#main;
  }

  append(event: QueuedEvent): void {
    this.#appender!.add(event);
  }

  #confirmed(events: QueuedEvent[]): void {
    this.#counts.appended += events.length;
    if (!this.#evicted) this.#host!.handedOff(events);
  }

  #overflow(events: QueuedEvent[]): void {
    this.#counts.overflow += events.length;
    if (this.#evicted) return;
    reportOverflow(this.#host!, this.options.stream, this.options.maxLen, events);
  }

  #admit(entries: RawEntry[], claimed: boolean): void {
    const host = this.#host!;
    let admitted = 0;
    for (const { id, fields } of entries) {
      if (this.#ids.has(id)) continue; // already held here (our own entry, idle too long)
      const decoded = decodeEntry(fields);
      if (!decoded) {
        // Not ours to deliver: dead-lettered raw, and removed so it cannot block the group.
        host.corrupt(
          JSON.stringify({ stream: this.options.stream, id, fields }),
          new Error(`stream entry ${id} is not a Fluxrate event`),
        );
        this.#consumer!.ack(id);
        continue;
      }
      if (this.#diverter?.take(id, decoded)) {
        admitted++; // held by the aggregator, counted as read
        continue;
      }
      const event = host.revive(decoded.stored, false);
      // The body built once at admission is sent verbatim, as the appending process built it.
      if (decoded.body) event.body = decoded.body;
      this.#held.set(event, id);
      this.#ids.add(id);
      this.#ready.push(event);
      admitted++;
    }
    this.#counts.read += admitted;
    if (claimed) this.#counts.claimed += admitted;
    if (admitted > 0) host.wake();
  }

  lease(max: number, now: number): QueuedEvent[] {
    const out: QueuedEvent[] = [];
    this.#waiting.due(max, now, out); // due retries first, as the memory outbox does
    if (out.length < max) out.push(...this.#ready.splice(0, max - out.length));
    return out;
  }

  nextDueAt(): number | undefined {
    return this.#waiting.nextDueAt();
  }

  settle(event: QueuedEvent, settlement: Settlement): void {
    const id = this.#held.get(event);
    if (id === undefined) return;
    if (settlement.kind === 'retry') {
      // Stays pending on this consumer, its idle time kept fresh; if this process dies it is taken over.
      this.#waiting.add(event, settlement.at);
      this.#consumer!.notifyRoom(); // its prefetch place is free while it waits
      return;
    }
    this.#held.delete(event);
    this.#ids.delete(id);
    if (settlement.kind === 'dropped') {
      // Dropped here (shutdown deadline) is not settled for the fleet: hand it back to the group.
      void this.#consumer!.release([id]);
    } else {
      this.#counts.acked++;
      this.#consumer!.ack(id);
    }
    this.#consumer!.notifyRoom();
  }

  /** One 429 budget for the fleet (`fleet-pause.ts`): stored once, read by every consumer of the stream. */
  readonly pause = (untilMs: number): void => this.#pause?.pause(untilMs);
  readonly pausedUntil = (now: number): number => this.#pause?.until(now) ?? 0;

  hasten(at: number): void {
    this.#waiting.hasten(at);
  }

  get size(): number {
    return (this.#evicted ? 0 : (this.#appender?.size ?? 0)) + this.#held.size;
  }

  stop(): void {
    this.#consumer?.stop();
  }

  evict(): QueuedEvent[] {
    this.#evicted = true;
    this.#consumer?.stop();
    const unconfirmed = this.#appender ? this.#appender.pending() : [];
    const held = [...this.#ready, ...this.#waiting.drain()];
    const ids = held.map((event) => this.#held.get(event)!);
    for (const event of held) this.#held.delete(event);
    for (const id of ids) this.#ids.delete(id);
    this.#ready = [];
    void this.#consumer?.release(ids);
    return [...unconfirmed, ...held];
  }

  async close(): Promise<void> {
    const { closeTimeoutMs } = this.options;
    this.#consumer?.stop();
    const unconfirmed = (await this.#appender?.drain(closeTimeoutMs)) ?? [];
    // Reported even after evict(): those were reported as kept, and these never reached Redis.
    const lost = `${unconfirmed.length} event(s) not confirmed by Redis before close (may be lost)`;
    if (unconfirmed.length > 0) this.#host?.fault('redis-close', new Error(lost));
    await this.#consumer?.close(closeTimeoutMs);
    const left = [...this.#ids];
    if (left.length > 0) await this.#consumer?.release(left);
    this.#unobserve?.(); // a collection after this would read a closed outbox
    this.#reader?.disconnect();
    if (typeof this.#source === 'string') this.#main?.disconnect();
  }

  /** This process's counts, no I/O (`stats()` adds the fleet-wide ones, read from Redis). */
  localStats(): RedisOutboxLocalStats {
    return { ...this.#counts, ...appenderCounts(this.#appender), held: this.#held.size };
  }

  /** Fleet-wide stream length, pending count, lag and oldest entry, and this process's counts. */
  async stats(): Promise<RedisOutboxStats> {
    const { stream, group } = this.options;
    return { ...(await streamStats(this.#client(), stream, group)), ...this.localStats() };
  }
}

/** The Redis Streams outbox for `createTracker({ outbox: redisOutbox({ redis }) })`. */
export function redisOutbox(options: RedisOutboxOptions): RedisOutbox {
  return new RedisOutbox(options);
}
