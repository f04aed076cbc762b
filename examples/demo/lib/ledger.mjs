/**
 * What the demo expects Fluxrate to have recorded, from the responses it received:
 * per framework x meter x customer, a quantity total and an event count.
 * `active_users` is a UNIQUE_COUNT meter, so its value is the number of distinct user ids.
 */
export class Ledger {
  #rows = new Map();

  #row(framework, meter, customer) {
    const key = `${framework}\0${meter}\0${customer}`;
    let row = this.#rows.get(key);
    if (!row) {
      row = { framework, meter, customer, sum: 0, events: 0, users: new Set() };
      this.#rows.set(key, row);
    }
    return row;
  }

  /** One billable request that succeeded (2xx, fully received). */
  record(framework, meter, customer, quantity, userId) {
    const row = this.#row(framework, meter, customer);
    row.events += 1;
    row.sum += quantity;
    if (userId !== undefined) row.users.add(userId);
  }

  /** Makes sure a row exists (shown as 0 expected) for every framework x meter x customer. */
  touch(framework, meter, customer) {
    this.#row(framework, meter, customer);
  }

  /** Rows sorted by framework, meter, customer, with `value` aggregated as the meter does. */
  rows() {
    return [...this.#rows.values()]
      .map((row) => ({
        framework: row.framework,
        meter: row.meter,
        customer: row.customer,
        value: row.meter === 'active_users' ? row.users.size : row.sum,
        events: row.events,
        users: row.users,
      }))
      .sort(
        (a, b) =>
          a.framework.localeCompare(b.framework) ||
          a.meter.localeCompare(b.meter) ||
          a.customer.localeCompare(b.customer),
      );
  }
}
