export { DASHBOARD_PATH, EXAMPLES } from './examples.js';
export type { ExampleEntry } from './examples.js';
export { mountExamples, startShowcase } from './showcase.js';
export type { MountedExamples, Showcase, ShowcaseOptions } from './showcase.js';
