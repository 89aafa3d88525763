/**
 * Document export: upload a document (Markdown, HTML, plain text), convert it to PDF in a
 * background job that reports its progress, follow it live, download the PDF.
 */
export { mountDocumentExport, exportStatus } from './mount.js';
export type { DocumentExportOptions, ExportStatus } from './mount.js';
export type { ExampleMount } from '@spool-examples/web-kit';
export { defineExportJob, EXPORT_JOB, EXPORT_QUEUE, DEFAULT_BLOCK_DELAY_MS, MAX_PACING_MS, pdfName } from './export-job.js';
export type { ExportArgs, ExportResult, ExportJobOptions } from './export-job.js';
export { DocumentStore, exportsDir, uploadsDir, tempDir, isDocumentId } from './document-store.js';
export { DocumentError, decodeDocument, formatOf, ACCEPTED_EXTENSIONS } from './document-format.js';
export type { DocumentFormat, DocumentErrorCode } from './document-format.js';
export { parseDocumentBlocks } from './document-blocks.js';
export type { Block, Run, ParsedDocument } from './document-blocks.js';
export { writePdf } from './pdf-writer.js';
export { exportSettingsFromEnv, DEFAULT_MAX_UPLOAD_BYTES } from './settings.js';
export type { ExportSettings } from './settings.js';
export { startDocumentExport } from './start.js';
export type { StartDocumentExportOptions, RunningDocumentExport } from './start.js';
