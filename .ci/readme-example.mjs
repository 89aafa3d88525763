// Prints the README's `<!-- example: readme -->` block; with a second argument, with its storage
// URL replaced by that one (the PostgreSQL and MySQL passes of the packed-install check).
import { readFileSync } from 'node:fs';

const [readme, storageUrl] = process.argv.slice(2);
const match = /<!-- example: readme -->\n```ts\n([\s\S]*?)```/.exec(readFileSync(readme, 'utf8'));
if (!match) throw new Error(`no "<!-- example: readme -->" block in ${readme}`);
let code = match[1];
if (storageUrl !== undefined) {
  const replaced = code.replace(/storage: 'sqlite:[^']*'/, `storage: ${JSON.stringify(storageUrl)}`);
  if (replaced === code) throw new Error("the README example has no `storage: 'sqlite:…'` to replace");
  code = replaced;
}
process.stdout.write(`${code}\nexport {};\n`);
