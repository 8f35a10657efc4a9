const MiB = 1024 * 1024;

/** Limits of error reporting (BERTH_REPORT_* in config.ts). */
export type ReportSettings = Readonly<{
  /** One event, decompressed. */
  maxEventBytes: number;
  /** One envelope or store body, decompressed. */
  maxEnvelopeBytes: number;
  /** Events accepted per project per minute; past it, 429 with Retry-After. */
  ratePerMinute: number;
  retentionDays: number;
  /** Events kept per group (the newest); counts keep going. */
  eventsPerGroup: number;
}>;

export const defaultReportSettings: ReportSettings = Object.freeze({
  maxEventBytes: 1 * MiB,
  maxEnvelopeBytes: 20 * MiB,
  ratePerMinute: 6000,
  retentionDays: 30,
  eventsPerGroup: 100,
});
