import type { Aggregation, Outbox, QueuedEvent } from '@fluxrate/core';
import { AggregationStage, reviveEvent } from '@fluxrate/core/adapter';
import type { Redis } from 'ioredis';
import { type DecodedEntry, encodeEvent } from './codec.js';
import { retryRedis } from './redis-retry.js';
import { scriptRunner } from './script-runner.js';
import { AGGREGATE_SCRIPT } from './scripts.js';

const runAggregate = scriptRunner(AGGREGATE_SCRIPT);
/** Idle time given to inputs handed back by a refused close, so any consumer's next `XAUTOCLAIM` takes them. */
const HANDED_BACK_IDLE_MS = 1_000_000_000;
const NO_METERS = new Map();

type Meter = QueuedEvent['meter'];

/** What a `RedisOutbox` asks of the forwarder's aggregator for the entries it reads. */
export interface EntryDiverter {
  /** Takes an entry read from the stream (true), or leaves it to delivery (false). */
  take(id: string, entry: DecodedEntry): boolean;
  /** Ids held here (inputs of open and closing windows): kept fresh like delivery's held entries. */
  ids(): string[];
  /** Open groups: each becomes one entry when its window closes, so they count against `prefetch`. */
  readonly openGroups: number;
}

/** Where the aggregator runs: the stream, its group, this consumer, a client, and a room signal. */
export interface AggregatorLink {
  redis: Redis;
  stream: string;
  group: string;
  consumer: string;
  /** Open groups fell (a window closed): the read loop may have room again. */
  roomFreed(): void;
  fault(kind: string, error: unknown): void;
}

export interface AggregateStats {
  /** Entries merged into windows (each input counted once, duplicates of a key included). */
  inputs: number;
  /** Inputs whose key was already in an open window (an append retried after a lost reply): merged once. */
  duplicates: number;
  /** Windows closed by the script, and the aggregate entries they wrote. */
  windows: number;
  aggregates: number;
  /** Windows whose close wrote nothing (an input was taken over, or a retry found it closed): handed back. */
  refused: number;
  /** Inputs in open windows now. */
  open: number;
}

/**
 * `fluxrate-forwarder --aggregate`: the exact aggregation stage of core, applied to the aggregatable
 * entries of the stream. Inputs stay pending on this consumer (not acked) while their window is open;
 * when it closes, one script writes the window's aggregates and acks+deletes its inputs atomically, so a
 * kill before the script leaves the inputs to be taken over and aggregated again, and a kill after
 * leaves only the aggregates (keys `agg_{stage instance}_{window}_{part}_{group}`: unique per forwarder
 * process and window, and fixed before the script runs, so a retried script cannot write two).
 */
export class StreamAggregator implements EntryDiverter {
  readonly #link: AggregatorLink;
  readonly #stage: AggregationStage;
  readonly #maxInputs: number;
  /** Open windows' inputs: idempotency key -> stream ids (a key appended twice merges once). */
  readonly #open = new Map<string, string[]>();
  /** Every id held: open and closing windows. */
  readonly #ids = new Set<string>();
  readonly #closing = new Set<Promise<void>>();
  readonly #meters = new Map<string, Meter>();
  readonly #abort = new AbortController();
  #closed = false;
  readonly #counts = { inputs: 0, duplicates: 0, windows: 0, aggregates: 0, refused: 0 };

  /** `outbox`: the forwarder's `RedisOutbox`, before it is opened; its entries are taken from now on. */
  constructor(
    outbox: { divert(diverter: EntryDiverter): AggregatorLink },
    windowMs: number,
    maxInputs: number,
  ) {
    this.#link = outbox.divert(this);
    this.#maxInputs = maxInputs;
    // The stage only holds inputs (`hold`: they are in the stream already) and releases closed windows.
    const sink: Pick<Outbox, 'hold' | 'release' | 'append'> = {
      hold: () => undefined,
      release: (keys, aggregates) => this.#release(keys, aggregates),
      append: () => undefined,
    };
    // Windows stay open a full window after their first input: entries read late (a backlog, a
    // takeover) merge as much as live ones.
    this.#stage = new AggregationStage(windowMs, sink as Outbox, () => undefined, windowMs);
  }

  get openGroups(): number {
    return this.#stage.openGroups;
  }

  ids(): string[] {
    return [...this.#ids];
  }

  stats(): AggregateStats {
    return { ...this.#counts, open: this.#open.size };
  }

  take(id: string, entry: DecodedEntry): boolean {
    const aggregation = entry.aggregation;
    if (this.#closed || aggregation === undefined) return false;
    if (this.#ids.has(id)) return true; // held here already (our own entry, idle too long)
    // Bounded: windows still closing (Redis refusing scripts) leave new entries to plain delivery.
    if (this.#ids.size >= 2 * this.#maxInputs) return false;
    if (this.#open.size >= this.#maxInputs) this.#stage.closeAll();
    const { stored } = entry;
    this.#ids.add(id);
    this.#counts.inputs++;
    const same = this.#open.get(stored.idempotencyKey);
    if (same) {
      same.push(id);
      this.#counts.duplicates++;
      return true;
    }
    this.#open.set(stored.idempotencyKey, [id]);
    const event = reviveEvent(stored, NO_METERS);
    event.meter = this.#meter(event.meter, aggregation);
    this.#stage.add(event, true);
    return true;
  }

  /** The forwarder knows no meters: the entry carries its meter's aggregation. */
  #meter(meter: Meter, aggregation: Aggregation): Meter {
    const key = `${meter.name}\u0000${meter.token}\u0000${aggregation}`;
    let known = this.#meters.get(key);
    if (!known) {
      if (this.#meters.size > 1_000) this.#meters.clear();
      known = { ...meter, aggregation };
      this.#meters.set(key, known);
    }
    return known;
  }

  #release(keys: string[], aggregates: QueuedEvent[]): void {
    const ids: string[] = [];
    for (const key of keys) {
      for (const id of this.#open.get(key) ?? []) ids.push(id);
      this.#open.delete(key);
    }
    const { group, consumer } = this.#link;
    const args = [group, consumer, String(HANDED_BACK_IDLE_MS), String(aggregates.length)];
    for (const event of aggregates) args.push(encodeEvent(event, false));
    for (const id of ids) args.push(id);
    const closing: Promise<void> = this.#close(ids, aggregates.length, args).finally(() => {
      this.#closing.delete(closing);
    });
    this.#closing.add(closing);
    this.#link.roomFreed();
  }

  async #close(ids: string[], aggregates: number, args: string[]): Promise<void> {
    const { redis, stream } = this.#link;
    try {
      const reply = (await retryRedis(
        () => runAggregate(redis, stream, args),
        this.#abort.signal,
        (error) => this.#link.fault('redis-aggregate', error),
      )) as unknown[];
      if (Number(reply[0]) === 1) {
        this.#counts.windows++;
        this.#counts.aggregates += aggregates;
      } else {
        this.#counts.refused++;
      }
    } catch (error) {
      // Aborted at the shutdown deadline (or, reported, a failure no retry was written for): the inputs
      // stay pending here and are taken over after claimIdleMs.
      if (!this.#abort.signal.aborted) this.#link.fault('redis-aggregate-unexpected', error);
    } finally {
      for (const id of ids) this.#ids.delete(id);
    }
  }

  /** Shutdown: closes every open window and waits (at most `timeoutMs`) for their scripts. */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    this.#stage.closeAll();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.#closing),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.#abort.abort();
    this.#stage.stop();
  }
}
