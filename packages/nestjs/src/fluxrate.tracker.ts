import type { MeterName, Tracker } from '@fluxrate/core';

/**
 * Injection token (and type) of the module's tracker: `constructor(private readonly tracker: FluxrateTracker)`
 * or `@InjectTracker() tracker: Tracker`. An abstract class, so Nest resolves it from constructor types;
 * the merged interface gives it the `Tracker` methods.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging lint/correctness/noUnusedVariables: a token class typed as the Tracker interface (M is used by the merged interface)
export abstract class FluxrateTracker<M extends string = MeterName> {}
export interface FluxrateTracker<M extends string = MeterName> extends Tracker<M> {}
