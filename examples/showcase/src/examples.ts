/** Where the dashboard is served. */
export const DASHBOARD_PATH = '/spool';

/** One example of the showcase: where it is mounted and what it shows. */
export interface ExampleEntry {
  id: 'push' | 'export' | 'queue' | 'cleanup';
  path: string;
  title: string;
  story: string;
  /** Where to start: a page, or the API's description. */
  start: string;
  /**
   * Jobs of this example one process runs at once: pushes wait on the network (many at once), PDF
   * conversions use the CPU (a few), the cleanup runs alone.
   */
  concurrency: number;
}

/** The examples, in the order the index page lists them. */
export const EXAMPLES: readonly ExampleEntry[] = [
  {
    id: 'push',
    path: '/push',
    title: 'Message push',
    story: 'A Web API answers at once and pushes messages to devices in the background; a flaky simulated gateway shows automatic retries.',
    start: '/push/',
    concurrency: 200,
  },
  {
    id: 'export',
    path: '/export',
    title: 'Document export',
    story: 'Upload Markdown, HTML or text; a background job turns it into a PDF, reporting progress; the page follows it live and offers the download.',
    start: '/export/',
    concurrency: 2,
  },
  {
    id: 'queue',
    path: '/queue',
    title: 'In-process queue versus Spool',
    story: 'The same emails through a bounded in-memory queue (producers wait when it is full, a restart loses what waits) and through Spool (accepted at once, kept across restarts).',
    start: '/queue/',
    concurrency: 2,
  },
  {
    id: 'cleanup',
    path: '/cleanup',
    title: 'Nightly cleanup',
    story: 'A recurring job deletes the document export\'s old PDFs and uploads every night in a configured time zone; pause it or run it now from the dashboard.',
    start: '/cleanup/',
    concurrency: 1,
  },
];
