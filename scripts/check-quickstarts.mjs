#!/usr/bin/env node
// Runs every README quick start the way a new user would: `npm pack`s the published packages,
// installs ONLY those tarballs (and their registry dependencies and peers) into a fresh
// project outside the workspace, type-checks the blocks against the packed .d.ts files with
// no @types/node, then runs each block there with node, in one shared directory and in README
// order (so two quick starts that write the same `runs/` directory collide here as they would
// for a user). Blocks are marked ```ts quickstart key=value...; see scripts/quickstart-blocks.mjs.
//
// Then runs the `dpo-ts` command of the installed @dpo-ts/cli on docs/examples (train, sample).
//
// Also checks what a user meets before any quick start: each tarball holds its LICENSE and no
// tests, test helpers, fixtures or build scripts; `require()` of each package says it is
// ESM-only; and a model created before `selectBackend()` says to call it.
//
// Usage: node scripts/check-quickstarts.mjs [--keep] [--verbose] [--only <text>] [--list]
//   (the packages must be built: `npm run check:quickstarts` builds first)
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { applySubstitutions, extractQuickstarts } from './quickstart-blocks.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT_MS = 10 * 60_000;
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const verbose = args.includes('--verbose');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const run = promisify(execFile);

/** Published packages (not private), in the root README's order. */
async function publishedPackages() {
  const order = ['core', 'lm', 'diffusion', 'reward', 'rlhf'];
  const dirs = (await readdir(join(ROOT, 'packages'))).sort((a, b) => rank(order, a) - rank(order, b));
  const packages = [];
  for (const dir of dirs) {
    const manifest = JSON.parse(await readFile(join(ROOT, 'packages', dir, 'package.json'), 'utf8'));
    if (!manifest.private) packages.push({ dir: join(ROOT, 'packages', dir), manifest });
  }
  return packages;
}

function rank(order, name) {
  const i = order.indexOf(name);
  return i === -1 ? order.length : i;
}

/** Markdown files searched for blocks: package READMEs first (in package order), then the rest. */
async function markdownFiles(packages) {
  const docs = (await readdir(join(ROOT, 'docs'), { recursive: true })).filter(
    (f) => f.endsWith('.md') && !f.startsWith('api'),
  );
  const files = [
    ...packages.map((p) => join(p.dir, 'README.md')),
    join(ROOT, 'README.md'),
    ...docs.sort().map((f) => join(ROOT, 'docs', f)),
  ];
  return files.filter((f) => existsSync(f));
}

function log(line) {
  process.stdout.write(`${line}\n`);
}

/** Runs a command; resolves with its exit code and combined output (never rejects). */
function runCommand(command, commandArgs, options) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), signal, output });
    });
  });
}

function tail(text, lines = 40) {
  return text
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((l) => `    ${l}`)
    .join('\n');
}

const packages = await publishedPackages();
const blocks = [];
for (const file of await markdownFiles(packages)) {
  const name = relative(ROOT, file);
  blocks.push(...extractQuickstarts(await readFile(file, 'utf8'), name));
}
const selected = blocks.filter((b) => only === undefined || `${b.file}:${b.line}`.includes(only));
if (args.includes('--list')) {
  for (const b of selected) log(`${b.file}:${b.line} ${JSON.stringify(b.substitutions)}`);
  process.exit(0);
}
if (selected.length === 0) throw new Error(`no quickstart blocks found${only ? ` matching "${only}"` : ''}`);

const started = Date.now();
const work = await mkdtemp(join(tmpdir(), 'dpo-ts-quickstarts-'));
const project = join(work, 'project');
const failures = [];
try {
  // 1. Pack, the way `npm publish` would.
  const tarballs = join(work, 'tarballs');
  await mkdir(tarballs);
  const packed = [];
  for (const { dir, manifest } of packages) {
    if (!existsSync(join(dir, 'dist', 'index.js')))
      throw new Error(`${manifest.name} is not built: run \`npm run build\` first`);
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: dir });
    const [info] = JSON.parse(stdout);
    packed.push(join(tarballs, info.filename));
    // What a user does not need: tests, their helpers and fixtures, build scripts, compiled examples.
    const extra = info.files
      .map((f) => f.path)
      .filter((f) =>
        /\.test(-helper)?\.[cm]?[jt]s$|\.test(-helper)?\.d\.ts$|^(scripts|fixtures|examples|dist\/examples)\//.test(f),
      );
    if (extra.length > 0)
      failures.push(`${manifest.name}'s tarball ships files users do not need: ${extra.slice(0, 10).join(', ')}`);
    for (const required of ['LICENSE', 'README.md', 'package.json', 'esm-only.cjs']) {
      if (!info.files.some((f) => f.path === required)) failures.push(`${manifest.name}'s tarball lacks ${required}`);
    }
    log(`packed ${info.filename} (${(info.size / 1024).toFixed(0)} kB, ${info.entryCount} files)`);
  }

  // 2. A fresh project that knows nothing of the workspace: the tarballs and the registry only.
  const tfjsCore = packages.find((p) => p.manifest.name === '@dpo-ts/core').manifest.peerDependencies[
    '@tensorflow/tfjs-core'
  ];
  await mkdir(join(project, 'src'), { recursive: true });
  await writeFile(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'quickstart-check', private: true, type: 'module' }, null, 2)}\n`,
  );
  const install = await runCommand(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', ...packed, `@tensorflow/tfjs-core@${tfjsCore}`],
    { cwd: project },
  );
  if (install.code !== 0) throw new Error(`npm install of the tarballs failed:\n${tail(install.output)}`);
  log(`installed the ${packed.length} tarballs into ${project}`);

  // 3. What a user meets first: require() and a model before selectBackend().
  for (const { manifest } of packages) {
    const result = await runCommand(process.execPath, ['-e', `require(${JSON.stringify(manifest.name)})`], {
      cwd: project,
    });
    if (result.code === 0 || !result.output.includes(`${manifest.name} is ESM-only`)) {
      failures.push(
        `require('${manifest.name}') should throw "${manifest.name} is ESM-only ...":\n${tail(result.output, 8)}`,
      );
    }
  }
  const noBackend = await runCommand(
    process.execPath,
    ['--input-type=module', '-e', "import { GPT } from '@dpo-ts/lm'; new GPT({ vocabSize: 4, contextLength: 4 });"],
    { cwd: project },
  );
  if (noBackend.code === 0 || !noBackend.output.includes('call `await selectBackend()`')) {
    failures.push(
      `new GPT() before selectBackend() should say "call \`await selectBackend()\`":\n${tail(noBackend.output, 8)}`,
    );
  }
  log(`require() and no-backend messages: ${failures.length === 0 ? 'ok' : 'FAILED'}`);

  // 4. Type-check every block and every public entry point without @types/node.
  const entries = packages.flatMap(({ manifest }) =>
    Object.keys(manifest.exports ?? { '.': null })
      .filter((key) => typeof manifest.exports[key] === 'object')
      .map((key) => manifest.name + key.slice(1)),
  );
  await writeFile(
    join(project, 'src', 'public-types.ts'),
    `${entries.map((entry, i) => `import type * as entry${i} from '${entry}';`).join('\n')}\nexport type Everything = [${entries.map((_, i) => `typeof entry${i}`).join(', ')}];\n`,
  );
  const names = selected.map((_, i) => `quickstart-${String(i + 1).padStart(2, '0')}`);
  for (const [i, block] of selected.entries()) {
    await writeFile(
      join(project, 'src', `${names[i]}.${block.language}`),
      `// ${block.file}:${block.line}\n${applySubstitutions(block)}\nexport {};\n`,
    );
  }
  await writeFile(
    join(project, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          allowJs: true,
          // Every @types package installed (tfjs-core's own: long, seedrandom, ...) but no
          // @types/node, checked below: the public .d.ts files must not need it. console comes
          // from lib.dom.
          lib: ['ES2022', 'DOM'],
          skipLibCheck: false,
          rootDir: 'src',
          outDir: 'dist',
        },
        include: ['src'],
      },
      null,
      2,
    )}\n`,
  );
  if (existsSync(join(project, 'node_modules', '@types', 'node'))) {
    throw new Error('@types/node got installed with the tarballs: a published package must not depend on it');
  }
  const tsc = await runCommand(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    { cwd: project },
  );
  if (tsc.code !== 0)
    failures.push(
      `tsc (strict, no @types/node) over the quick starts and public types failed:\n${tail(tsc.output, 60)}`,
    );
  log(
    `type-check of ${selected.length} blocks and ${entries.length} entry points (no @types/node): ${tsc.code === 0 ? 'ok' : 'FAILED'}`,
  );

  // 5. Run each block, in order, in the one project directory.
  if (tsc.code === 0) {
    for (const [i, block] of selected.entries()) {
      const t0 = Date.now();
      const result = await runCommand(process.execPath, [join('dist', `${names[i]}.js`)], { cwd: project });
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      const where = `${block.file}:${block.line}`;
      if (result.code === 0) log(`ok   ${where} (${seconds} s)${verbose ? `\n${tail(result.output, 12)}` : ''}`);
      else {
        log(`FAIL ${where} (${seconds} s, exit ${result.signal ?? result.code})`);
        failures.push(`${where} failed (exit ${result.signal ?? result.code}):\n${tail(result.output)}`);
      }
    }
  }

  // 6. The `dpo-ts` command from the installed @dpo-ts/cli on docs/examples, at 2 steps: train
  // then sample, for a language model and a diffusion model (about half a minute); then PPO and
  // DDPO at one step.
  const examples = join(ROOT, 'docs', 'examples');
  const dpoTs = join(project, 'node_modules', '.bin', 'dpo-ts');
  const commands = [
    [
      'train',
      'dpo',
      '--config',
      join(examples, 'lm-dpo.json'),
      '--set',
      'training.totalSteps=2',
      '--out',
      'runs/cli-dpo',
    ],
    ['sample', '--model', 'runs/cli-dpo/model', '--prompt', 'The hotel room', '--max-new-tokens', '8'],
    ['train', 'diffusion-dpo', '--config', join(examples, 'diffusion-dpo.json'), '--set', 'training.totalSteps=2'],
    ['sample', '--model', 'runs/diffusion-dpo/model', '--steps', '2', '--out', 'cli-grid.png'],
    // RL from the base model and the MNIST model, at 1 small step each.
    [
      'train',
      'ppo',
      '--config',
      join(examples, 'ppo.json'),
      '--set',
      'training.totalSteps=1',
      '--set',
      'training.batchSize=4',
      '--set',
      'training.responseLength=8',
    ],
    ['sample', '--model', 'runs/ppo/model', '--prompt', 'The hotel room', '--max-new-tokens', '8'],
    ['train', 'ddpo', '--config', join(examples, 'ddpo.json'), '--set', 'training.totalSteps=1'],
  ];
  for (const command of commands) {
    const t0 = Date.now();
    const result = await runCommand(dpoTs, command, { cwd: project });
    const shown = `dpo-ts ${command.slice(0, 2).join(' ')}`;
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    if (result.code === 0) log(`ok   ${shown} (${seconds} s)${verbose ? `\n${tail(result.output, 6)}` : ''}`);
    else {
      log(`FAIL ${shown} (${seconds} s, exit ${result.signal ?? result.code})`);
      failures.push(`${shown} failed (exit ${result.signal ?? result.code}):\n${tail(result.output)}`);
      break;
    }
  }
} finally {
  if (keep) log(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}

log(`${selected.length} quick starts, ${failures.length} failures, ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (failures.length > 0) {
  for (const failure of failures) process.stderr.write(`\n${failure}\n`);
  process.exit(1);
}
