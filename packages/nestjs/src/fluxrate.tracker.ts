import type { MeterName, Tracker } from '@fluxrate/core';

/**
 * Injection token (and type) of the module's tracker: `constructor(private readonly tracker: FluxrateTracker)`
 * or `@InjectTracker() tracker: Tracker`. An abstract class, so Nest resolves it from constructor types.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: token class typed as the Tracker interface
export abstract class FluxrateTracker<M extends string = MeterName> {
  // A private brand keeps the class from being structurally empty.
  declare private readonly __fluxrateTracker?: M;
}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see above
export interface FluxrateTracker<M extends string = MeterName> extends Tracker<M> {}
