// Checks what every packed tarball holds: LICENSE, README, metadata, type declarations, and the
// sources every source map points at (maps ship with their sources, decision 14).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';

const folder = process.argv[2];
const problems = [];
for (const tarball of readdirSync(folder).filter((f) => f.endsWith('.tgz'))) {
  const unpacked = mkdtempSync(join(tmpdir(), 'spool-tarball-'));
  try {
    execFileSync('tar', ['-xzf', join(folder, tarball), '-C', unpacked]);
    const root = join(unpacked, 'package');
    const files = new Set(execFileSync('find', ['.', '-type', 'f'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => normalize(f)));
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const say = (message) => problems.push(`${manifest.name}: ${message}`);
    for (const required of ['LICENSE', 'README.md']) if (!files.has(required)) say(`no ${required}`);
    for (const key of ['license', 'repository', 'homepage', 'keywords', 'types', 'engines']) if (manifest[key] === undefined) say(`no "${key}" in package.json`);
    if (manifest.types && !files.has(normalize(manifest.types))) say(`"types" names ${manifest.types}, which is not in the tarball`);
    if (!readFileSync(join(root, 'LICENSE'), 'utf8').startsWith('MIT License')) say('LICENSE is not the MIT licence');
    let maps = 0;
    for (const file of files) {
      if (!file.endsWith('.map')) continue;
      maps += 1;
      const map = JSON.parse(readFileSync(join(root, file), 'utf8'));
      for (const source of map.sources) {
        const target = normalize(join(dirname(file), map.sourceRoot ?? '', source));
        if (!files.has(target)) say(`${file} points at ${target}, which is not in the tarball`);
      }
    }
    const mb = (size) => `${(size / 1024).toFixed(0)} kB`;
    const size = readFileSync(join(folder, tarball)).length;
    console.log(`${manifest.name}: ${files.size} files, ${maps} source maps, tarball ${mb(size)}`);
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
