/** How a Fluxrate meter combines events. */
export type Aggregation = 'SUM' | 'MAX' | 'UNIQUE_COUNT' | 'LAST';

/** Every aggregation, for the option parsers (`meters`, `FLUXRATE_METERS`). */
export const AGGREGATIONS: readonly Aggregation[] = ['SUM', 'MAX', 'UNIQUE_COUNT', 'LAST'];

/** A configured meter as the tracker resolved it at construction. */
export interface ResolvedMeter {
  name: string;
  token: string;
  aggregation: Aggregation;
  /** Fluxrate's internal meter id, for the REST transport. */
  id: string | undefined;
}
