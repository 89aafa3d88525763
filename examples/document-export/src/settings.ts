import { DEFAULT_BLOCK_DELAY_MS } from './export-job.js';

/** Default largest upload: 5 MB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

/** The example's settings that both the web process and a separate worker read from the environment. */
export interface ExportSettings {
  /** `EXPORT_STORE_DIR`, default `./data/exports`. */
  storeDir: string;
  /** `EXPORT_BLOCK_DELAY_MS`, default 150. */
  blockDelayMs: number;
  /** `EXPORT_MAX_UPLOAD_BYTES`, default 5 MB (5242880). */
  maxUploadBytes: number;
  /**
   * `SPOOL_FILES`: the file store every process shares, e.g. `s3://exports/documents?endpoint=...`.
   * Default: none, and the folder `storeDir` is the store.
   */
  files?: string;
}

/** Reads {@link ExportSettings} from environment variables; every problem is reported at once. */
export function exportSettingsFromEnv(env: NodeJS.ProcessEnv): ExportSettings {
  const problems: string[] = [];
  const number = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) problems.push(`${name}: expected a whole number >= ${min}, got ${JSON.stringify(raw)}`);
    return value;
  };
  const settings = {
    storeDir: env.EXPORT_STORE_DIR?.trim() || './data/exports',
    blockDelayMs: number('EXPORT_BLOCK_DELAY_MS', DEFAULT_BLOCK_DELAY_MS, 0),
    maxUploadBytes: number('EXPORT_MAX_UPLOAD_BYTES', DEFAULT_MAX_UPLOAD_BYTES, 1),
    ...(env.SPOOL_FILES?.trim() ? { files: env.SPOOL_FILES.trim() } : {}),
  };
  if (problems.length > 0) throw new RangeError(`Invalid document export settings: ${problems.join('; ')}`);
  return settings;
}
