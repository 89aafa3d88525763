#!/usr/bin/env node
// The `spool` command. A file that exists before the build, so that npm links the command when it
// installs the package (in this repository that is before `npm run build` has made dist/).
try {
  await import('../dist/cli/main.js');
} catch (error) {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write('spool: the CLI is not built yet; run `npm run build` first.\n');
    process.exit(1);
  }
  throw error;
}
