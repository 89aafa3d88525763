import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

import type { ExportStatus } from '../src/mount.js';

/** The fixture documents. */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A fresh temporary folder, removed by the returned function. */
export function tempFolder(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every file under a folder, as paths relative to it (sorted). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const visit = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) visit(path);
      else out.push(path);
    }
  };
  if (statSync(dir, { throwIfNoEntry: false })) visit('');
  return out.sort();
}

/** Uploads a document to the JSON API. */
export async function upload(baseUrl: string, fileName: string, content: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  form.append('document', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), fileName);
  return fetch(`${baseUrl}/api/exports`, { method: 'POST', body: form, headers });
}

/** Reads a job's status from the API. */
export async function jobStatus(baseUrl: string, jobId: string): Promise<ExportStatus> {
  const res = await fetch(`${baseUrl}/api/jobs/${jobId}`);
  if (res.status !== 200) throw new Error(`GET /api/jobs/${jobId}: ${res.status} ${await res.text()}`);
  return (await res.json()) as ExportStatus;
}

/** Polls the status API until the job has finished (bounded); calls `seen` with every status read. */
export async function waitForFinish(baseUrl: string, jobId: string, seen?: (status: ExportStatus) => void, pollMs = 25): Promise<ExportStatus> {
  for (let round = 0; round < 2000; round += 1) {
    const status = await jobStatus(baseUrl, jobId);
    seen?.(status);
    if (status.state === 'succeeded' || status.state === 'failed' || status.state === 'deleted') return status;
    await sleep(pollMs);
  }
  throw new Error(`job ${jobId} did not finish`);
}

/** The text of every page of a PDF, read with pdf.js, white space collapsed. */
export async function pdfText(bytes: Uint8Array): Promise<{ pages: number; text: string }> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), verbosity: 0, isEvalSupported: false }).promise;
  try {
    const parts: string[] = [];
    for (let n = 1; n <= pdf.numPages; n += 1) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      for (const item of content.items) if ('str' in item) parts.push(item.str, item.hasEOL ? ' ' : '');
    }
    return { pages: pdf.numPages, text: parts.join('').replace(/\s+/g, ' ') };
  } finally {
    await pdf.destroy();
  }
}
