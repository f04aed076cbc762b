import type { ResolvedOptions } from '../config/options.js';
import { FluxrateValidationError } from '../contracts/errors.js';
import type { QueuedEvent } from '../contracts/event.js';
import type { Outbox } from '../contracts/outbox.js';
import type { TrackEvent } from '../contracts/types.js';
import { kUniqueKey } from '../contracts/unique-key.js';
import type { AggregationStage } from './aggregation.js';
import type { Ledger } from './ledger.js';
import {
  checkId,
  checkMetadata,
  checkQuantity,
  checkTimestamp,
  newEventKey,
  resolveMeter,
} from './validate-event.js';

/**
 * The front of the data path, all synchronous and I/O-free: validates an input (naming the field at
 * fault), fixes its idempotency key, applies the bound (`maxQueueSize` counts the
 * outbox and open aggregation groups), and hands it to the aggregation stage or the outbox.
 */
export class Admission {
  readonly #options: ResolvedOptions;
  readonly #ledger: Ledger;
  readonly #outbox: Outbox;
  readonly #onAppend: () => void;
  stage: AggregationStage | undefined;
  /** Exact coalescing past the high-water mark (the same rules as aggregation, on by default). */
  coalescer: AggregationStage | undefined;
  open = true;

  constructor(options: ResolvedOptions, ledger: Ledger, outbox: Outbox, onAppend: () => void) {
    this.#options = options;
    this.#ledger = ledger;
    this.#outbox = outbox;
    this.#onAppend = onAppend;
  }

  /** Events held: in the outbox, plus open aggregation groups (each becomes one event). */
  get held(): number {
    return this.#outbox.size + (this.stage?.openGroups ?? 0) + (this.coalescer?.openGroups ?? 0);
  }

  track(input: TrackEvent): void {
    const event = this.#validate(input);
    const meter = event.meter.name;
    if (!this.open) return this.#ledger.dropped(event, 'after-shutdown', false);
    const allow = this.#options.allowCustomer;
    if (allow && !allow(event.customerId)) {
      return this.#ledger.skip({ reason: 'not-allowed', meter, customerId: event.customerId });
    }
    if (this.#options.disabled)
      return this.#ledger.skip({ reason: 'disabled', meter, customerId: event.customerId });
    // A caller's key (an order id, a client Idempotency-Key) must reach Fluxrate as it is, so Fluxrate can
    // dedupe it across windows, restarts and instances: only keys unique by construction are merged.
    const aggregate = this.#options.aggregate;
    const stage =
      this.stage && event.unique && (!aggregate?.meters || aggregate.meters.has(meter))
        ? this.stage
        : undefined;
    const held = this.held;
    const coalescer = !stage && event.unique && held >= this.#options.coalesceAt ? this.coalescer : undefined;
    const into = stage ?? coalescer;
    // At the bound only an input that merges into an open group (costing no memory) is still accepted.
    if (held >= this.#options.maxQueueSize && !into?.merges(event)) {
      return this.#ledger.dropped(event, 'overflow', false);
    }
    this.#ledger.accept(event);
    if (into) into.add(event);
    else this.enqueue(event);
  }

  /** Puts an accepted event (or a closed window's aggregate) into the outbox. */
  enqueue(event: QueuedEvent): void {
    this.finalize(event);
    this.#outbox.append(event);
  }

  /** Counted as outstanding for flush; the dispatcher runs on a later turn (and builds the body, once). */
  finalize = (event: QueuedEvent): void => {
    this.#ledger.enqueued(event);
    this.#onAppend();
  };

  #validate(input: TrackEvent): QueuedEvent {
    if (typeof input !== 'object' || input === null) {
      throw new FluxrateValidationError('event', 'track() expects an event object');
    }
    const meter = resolveMeter(this.#options.meters, input.meter);
    const generated = input.idempotencyKey === undefined;
    const { idLength, metadataBytes } = this.#options.limits;
    return {
      meter,
      customerId: checkId('customerId', input.customerId, idLength),
      quantity: checkQuantity(input.quantity),
      timestamp: checkTimestamp(input.timestamp, Date.now()),
      idempotencyKey: generated ? newEventKey() : checkId('idempotencyKey', input.idempotencyKey, idLength),
      metadataJson: checkMetadata(input.metadata, meter, metadataBytes),
      // Keys generated here or from the route meter's request UUID cannot repeat.
      unique: generated || (input as { [kUniqueKey]?: boolean })[kUniqueKey] === true,
      attempts: 0,
      firstAttemptAt: 0,
      notBefore: 0,
      failedAt: 0,
      generation: 0,
      body: '',
    };
  }
}
