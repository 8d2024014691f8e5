/**
 * The safety counters every run reports from its clients' history (the
 * simulator, the demos, the dashboard's load, the HIL campaigns, the
 * single-fault table and the soak): one definition, so the names and their
 * meaning stay the same in every report and JSON result.
 */

/** Requests as the clients saw them. */
export interface HistoryCounts {
  /** Distinct requests a client had an ok reply for. */
  readonly acknowledged: number;
  /** Acknowledged requests whose effect the pair no longer holds. */
  readonly lost: number;
  /** Requests the pair executed more than once. */
  readonly duplicated: number;
}

/** With the times two boards served at once. */
export interface SafetyCounts extends HistoryCounts {
  readonly splitBrain: number;
}
