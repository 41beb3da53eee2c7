// Fails when the committed client (src/api/generated/openapi.ts) is not what `npm run generate:api` makes from
// ../docs/openapi.json today: it runs that same command with its output sent to a temp file, then compares bytes.
// The command is read from package.json, so the two cannot drift apart.
//
//   npm run check:generated      exit 0: up to date; 1: stale or missing (run `npm run generate:api`); 2: cannot run
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** @returns {{ code: number, message: string }} */
function check() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const command = String(pkg.scripts?.['generate:api'] ?? '');
  const [tool, ...args] = command.trim().split(/\s+/);
  const out = args.findIndex((a) => a === '-o' || a === '--output');
  const target = out < 0 ? undefined : args[out + 1];
  if (tool !== 'openapi-typescript' || target === undefined) {
    return { code: 2, message: `"generate:api" should be "openapi-typescript <document> -o <file>", not ${JSON.stringify(command)}` };
  }

  const cliPkg = JSON.parse(readFileSync(join(root, 'node_modules/openapi-typescript/package.json'), 'utf8'));
  const bin = typeof cliPkg.bin === 'string' ? cliPkg.bin : cliPkg.bin['openapi-typescript'];
  const dir = mkdtempSync(join(tmpdir(), 'check-generated-'));
  try {
    const fresh = join(dir, 'openapi.ts');
    const tmpArgs = args.map((a, i) => (i === out + 1 ? fresh : a));
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/openapi-typescript', bin), ...tmpArgs], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    } catch {
      return { code: 2, message: `\`${command}\` failed (see above)` };
    }
    const want = readFileSync(fresh, 'utf8');
    let have;
    try {
      have = readFileSync(join(root, target), 'utf8');
    } catch {
      return { code: 1, message: `${target} is missing: run \`npm run generate:api\` and commit it` };
    }
    if (have === want) return { code: 0, message: `${target} is what ${args[0]} gives` };
    const a = have.split('\n');
    const b = want.split('\n');
    let line = 0;
    while (line < Math.max(a.length, b.length) && a[line] === b[line]) line += 1;
    return {
      code: 1,
      message:
        `${target} is stale: it differs from what ${args[0]} gives, from line ${line + 1}:\n` +
        `  committed: ${JSON.stringify(a[line] ?? '<end of file>')}\n` +
        `  generated: ${JSON.stringify(b[line] ?? '<end of file>')}\n` +
        'Run `npm run generate:api` and commit the result.',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { code, message } = check();
(code === 0 ? console.log : console.error)(`check:generated: ${message}`);
process.exitCode = code;
