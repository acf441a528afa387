// Compiles every service and library to dist/ with swc (keeps Nest decorator
// metadata, rewrites @parley/* path aliases to relative requires). Type checking
// is separate: `npm run typecheck`.
import { transformFile } from '@swc/core';
import { mkdir, readdir, rm, writeFile, copyFile, rename } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
const paths = Object.fromEntries(Object.entries(compilerOptions.paths).map(([k, v]) => [k, v.map((p) => `./${p}`)]));

async function* walk(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === 'node_modules') continue;
      yield* walk(p);
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !/\.spec\.ts$/.test(e.name)) yield p;
  }
}

const started = Date.now();
// --clean wipes dist/ first; otherwise files are replaced atomically (temp + rename), so
// processes that start while a build runs never load a half-written file.
if (process.argv.includes('--clean')) await rm(out, { recursive: true, force: true });
const writeAtomic = async (file, data) => {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
};
let n = 0;
const jobs = [];
for (const top of ['libs', 'services', 'bench']) {
  let exists = true;
  try {
    await readdir(join(root, top));
  } catch {
    exists = false;
  }
  if (!exists) continue;
  for await (const file of walk(join(root, top))) {
    jobs.push(
      (async () => {
        const rel = relative(root, file);
        const { code, map } = await transformFile(file, {
          swcrc: false,
          filename: file,
          sourceMaps: true,
          jsc: {
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
            target: 'es2022',
            keepClassNames: true,
            baseUrl: root,
            paths,
          },
          module: { type: 'commonjs' },
        });
        const dest = join(out, rel.replace(/\.ts$/, '.js'));
        await mkdir(dirname(dest), { recursive: true });
        if (map) await writeAtomic(`${dest}.map`, map);
        await writeAtomic(dest, `${code}\n//# sourceMappingURL=${dest.split('/').pop()}.map\n`);
        n += 1;
      })(),
    );
  }
}
await Promise.all(jobs);
await copyFile(join(root, 'package.json'), join(out, 'package.json'));
console.log(`built ${n} files into dist/ in ${Date.now() - started} ms`);
