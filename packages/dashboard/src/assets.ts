import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A static file served by the dashboard under a content-hashed URL. */
export interface Asset {
  /** The URL path under the mount: `/assets/dashboard.<hash>.js`. */
  path: string;
  type: string;
  body: Buffer;
  etag: string;
}

function load(file: string, type: string): Asset {
  // Assets ship beside dist/ in the package (see package.json "files").
  const body = readFileSync(new URL(`../assets/${file}`, import.meta.url));
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  const [stem, ext] = file.split('.') as [string, string];
  return { path: `/assets/${stem}.${hash}.${ext}`, type, body, etag: `"${hash}"` };
}

let cached: { script: Asset; style: Asset } | null = null;

/** The dashboard's one script and one stylesheet, read once. */
export function dashboardAssets(): { script: Asset; style: Asset } {
  cached ??= { script: load('dashboard.js', 'text/javascript; charset=utf-8'), style: load('dashboard.css', 'text/css; charset=utf-8') };
  return cached;
}
