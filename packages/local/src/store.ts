import { randomUUID } from 'node:crypto';
import { type Accumulator, accumulate, aggregatedValue, newAccumulator } from './aggregate.js';
import { FAULT_KINDS } from './faults.js';
import type {
  Aggregation,
  Customer,
  EventFilter,
  FaultKind,
  LocalEvent,
  MeterInfo,
  MeterSpec,
  RejectedRequest,
  UsageRecord,
  UsageTotal,
} from './types.js';
import { formatQuantity } from './validate.js';

export const AGGREGATIONS: readonly Aggregation[] = ['SUM', 'MAX', 'UNIQUE_COUNT', 'LAST'];
const REJECTED_LOG_SIZE = 200;

export interface Meter extends MeterInfo {
  name: string;
}

export interface StoredEvent {
  seq: number;
  ts: number;
  quantity: number;
  metadata: Record<string, unknown>;
  meter: Meter;
  customer: Customer;
  idempotencyKey: string | null;
  source: 'track' | 'usage';
  record: UsageRecord;
}

export interface NewEvent {
  meter: Meter;
  customer: Customer;
  quantity: number;
  ts: number;
  metadata: Record<string, unknown>;
  idempotencyKey: string | null;
  source: 'track' | 'usage';
}

interface Total {
  meter: Meter;
  customer: Customer;
  acc: Accumulator;
}

function zeroFaults(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
}

/** In-memory state: meters, customers, events, idempotency keys and counters. */
export class Store {
  readonly meters = new Map<string, Meter>();
  private readonly metersByToken = new Map<string, Meter>();
  private readonly metersById = new Map<string, Meter>();
  private customers = new Map<string, Customer>();
  private customersById = new Map<string, Customer>();
  events: StoredEvent[] = [];
  private idempotency = new Map<string, StoredEvent>();
  private totals = new Map<string, Total>();
  private seq = 0;
  requests = 0;
  stored = 0;
  deduplicated = 0;
  rejectedByStatus: Record<string, number> = {};
  faults = zeroFaults();
  rejectedLog: RejectedRequest[] = [];

  addMeter(name: string, spec: string | MeterSpec | undefined): Meter {
    if (typeof name !== 'string' || name === '') throw new TypeError('meter name must be a non-empty string');
    const s: MeterSpec = typeof spec === 'string' ? { token: spec } : (spec ?? {});
    const aggregation = s.aggregation ?? 'SUM';
    if (!AGGREGATIONS.includes(aggregation)) {
      throw new TypeError(`meters.${name}.aggregation must be one of ${AGGREGATIONS.join(', ')}`);
    }
    const token = s.token ?? randomUUID();
    const id = s.id ?? randomUUID();
    if (typeof token !== 'string' || token === '')
      throw new TypeError(`meters.${name}.token must be a non-empty string`);
    if (typeof id !== 'string' || id === '')
      throw new TypeError(`meters.${name}.id must be a non-empty string`);
    if (this.meters.has(name)) throw new TypeError(`meter ${name} already exists`);
    if (this.metersByToken.has(token))
      throw new TypeError(`meters.${name}.token is already used by another meter`);
    if (this.metersById.has(id)) throw new TypeError(`meters.${name}.id is already used by another meter`);
    const meter: Meter = { name, token, id, aggregation };
    this.meters.set(name, meter);
    this.metersByToken.set(token, meter);
    this.metersById.set(id, meter);
    return meter;
  }

  meterByToken(token: string): Meter | undefined {
    return this.metersByToken.get(token);
  }

  meterById(id: string): Meter | undefined {
    return this.metersById.get(id);
  }

  private meterByAny(ref: string): Meter | undefined {
    return this.meters.get(ref) ?? this.metersByToken.get(ref) ?? this.metersById.get(ref);
  }

  customerByExternalId(externalId: string): Customer | undefined {
    return this.customers.get(externalId);
  }

  customerById(id: string): Customer | undefined {
    return this.customersById.get(id);
  }

  /** Returns the customer with this external id, creating it on first sight. */
  ensureCustomer(externalId: string): Customer {
    let customer = this.customers.get(externalId);
    if (!customer) {
      customer = { id: randomUUID(), externalId };
      this.customers.set(externalId, customer);
      this.customersById.set(customer.id, customer);
    }
    return customer;
  }

  get customerCount(): number {
    return this.customers.size;
  }

  byIdempotencyKey(key: string): StoredEvent | undefined {
    return this.idempotency.get(key);
  }

  add(input: NewEvent): StoredEvent {
    const now = new Date().toISOString();
    const record: UsageRecord = {
      id: randomUUID(),
      customer_id: input.customer.id,
      meter_id: input.meter.id,
      quantity: formatQuantity(input.quantity),
      timestamp: new Date(input.ts).toISOString(),
      created_at: now,
      meta_data: input.metadata,
    };
    const event: StoredEvent = { ...input, seq: this.seq++, record };
    this.events.push(event);
    if (input.idempotencyKey !== null) this.idempotency.set(input.idempotencyKey, event);
    const totalKey = `${input.meter.id}\u0000${input.customer.id}`;
    let total = this.totals.get(totalKey);
    if (!total) {
      total = { meter: input.meter, customer: input.customer, acc: newAccumulator() };
      this.totals.set(totalKey, total);
    }
    accumulate(total.acc, event);
    this.stored += 1;
    return event;
  }

  reject(entry: RejectedRequest): void {
    const key = String(entry.status);
    this.rejectedByStatus[key] = (this.rejectedByStatus[key] ?? 0) + 1;
    this.rejectedLog.push(entry);
    if (this.rejectedLog.length > REJECTED_LOG_SIZE) this.rejectedLog.shift();
  }

  list(filter: EventFilter = {}): StoredEvent[] {
    const meter = filter.meter === undefined ? undefined : this.meterByAny(filter.meter);
    if (filter.meter !== undefined && !meter) return [];
    const customer =
      filter.customer === undefined
        ? undefined
        : (this.customers.get(filter.customer) ?? this.customersById.get(filter.customer));
    if (filter.customer !== undefined && !customer) return [];
    if (!meter && !customer) return this.events.slice();
    return this.events.filter((e) => (!meter || e.meter === meter) && (!customer || e.customer === customer));
  }

  usage(): UsageTotal[] {
    return [...this.totals.values()]
      .map((t) => ({
        meter: t.meter.name,
        meterToken: t.meter.token,
        customer: t.customer.externalId,
        total: aggregatedValue(t.acc, t.meter.aggregation),
        eventCount: t.acc.count,
      }))
      .sort((a, b) => a.meter.localeCompare(b.meter) || a.customer.localeCompare(b.customer));
  }

  reset(): void {
    this.customers = new Map();
    this.customersById = new Map();
    this.events = [];
    this.idempotency = new Map();
    this.totals = new Map();
    this.requests = 0;
    this.stored = 0;
    this.deduplicated = 0;
    this.rejectedByStatus = {};
    this.faults = zeroFaults();
    this.rejectedLog = [];
  }
}

export function toLocalEvent(e: StoredEvent): LocalEvent {
  return {
    id: e.record.id,
    meter: e.meter.name,
    meterId: e.meter.id,
    meterToken: e.meter.token,
    customer: e.customer.externalId,
    customerId: e.customer.id,
    quantity: e.quantity,
    timestamp: e.record.timestamp,
    createdAt: e.record.created_at,
    metadata: e.metadata,
    idempotencyKey: e.idempotencyKey,
    source: e.source,
    record: e.record,
  };
}
