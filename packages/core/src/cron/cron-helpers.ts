/** Builders of common cron expressions, as Hangfire's `Cron.Daily()`. Times are in the job's time zone. */
export const cron = {
  /** Every minute. */
  minutely: (): string => '* * * * *',
  /** Every `n` minutes. */
  everyMinutes: (n: number): string => `*/${n} * * * *`,
  /** Every hour at `minute`. */
  hourly: (minute = 0): string => `${minute} * * * *`,
  /** Every day at `hour`:`minute`. */
  daily: (hour = 0, minute = 0): string => `${minute} ${hour} * * *`,
  /** Every week on `dayOfWeek` (0 = Sunday) at `hour`:`minute`. */
  weekly: (dayOfWeek = 1, hour = 0, minute = 0): string => `${minute} ${hour} * * ${dayOfWeek}`,
  /** Every month on `day` at `hour`:`minute`. */
  monthly: (day = 1, hour = 0, minute = 0): string => `${minute} ${hour} ${day} * *`,
  /** Every year on `month` (1-12) `day` at `hour`:`minute`. */
  yearly: (month = 1, day = 1, hour = 0, minute = 0): string => `${minute} ${hour} ${day} ${month} *`,
} as const;
