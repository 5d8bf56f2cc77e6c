// Scan benchmark: mariadb-tdx scan against the usual tools on the same 2 GiB dump-like file,
// measured in one run with a warm page cache.
//
//   npm run build && node bench/scan/run.mjs [--out bench/scan/out] [--counts 10,1000,20000]
//
// Each command runs under /usr/bin/time, which reports elapsed time, CPU time and peak RSS.
// GB/s is the file size over elapsed time; "GB per CPU-s" is the file size over user + system
// time, which varies less on a shared machine. Ratios compare mariadb-tdx with each tool on the
// same needle set. grep runs with LC_ALL=C, its fastest mode for byte strings.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench/scan/out' },
    counts: { type: 'string', default: '10,1000,20000' },
  },
});
const out = resolve(args.out);
const dump = join(out, 'dump.bin');
const bin = resolve('bin/mariadb-tdx.js');
if (!existsSync(dump)) {
  execFileSync(process.execPath, [resolve('bench/scan/generate.mjs'), '--out', out], {
    stdio: 'inherit',
  });
}
const size = statSync(dump).size;
const scratch = mkdtempSync(join(tmpdir(), 'scan-bench-'));

/** Runs a shell command under /usr/bin/time and returns its timings. */
function measure(command) {
  const timing = join(scratch, 'time.txt');
  const result = spawnSync(
    '/usr/bin/time',
    ['-o', timing, '-f', '%e %U %S %M', 'bash', '-c', command],
    {
      env: { ...process.env, LC_ALL: 'C' },
      // Standard output is a pipe: GNU grep stops at the first match when it writes to /dev/null.
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 26,
    },
  );
  const [elapsed, user, system, maxRssKiB] = readFileSync(timing, 'utf8')
    .trim()
    .split('\n')
    .pop()
    .split(' ')
    .map(Number);
  return { exit: result.status, elapsed, cpu: user + system, maxRss: maxRssKiB * 1024 };
}

const q = (path) => `'${path}'`;
const tools = (count) => {
  const needles = q(join(out, `needles-${count}.txt`));
  const list = [
    ['strings -a | grep -F', `strings -a ${q(dump)} | grep -F -c -f ${needles}`],
    ['grep -a -F', `grep -a -F -c -f ${needles} ${q(dump)}`],
    ['rg -a -F', `rg -a -F -c -f ${needles} ${q(dump)}`],
    [
      'mariadb-tdx scan (UTF-8)',
      `node ${q(bin)} scan ${q(dump)} --values ${needles} --encodings utf8 --json -q`,
    ],
  ];
  if (count === 1000) {
    list.push([
      'mariadb-tdx scan (all encodings)',
      `node ${q(bin)} scan ${q(dump)} --values ${q(join(out, 'needles-1000.json'))} --json -q`,
    ]);
  }
  return list;
};

const gbps = (seconds) => size / seconds / 1e9;
const rows = [];
measure(`cat ${q(dump)} > /dev/null`); // warm the page cache
const ceiling = measure(`cat ${q(dump)} > /dev/null`);
rows.push({ needles: '-', tool: 'cat > /dev/null', ...ceiling });

for (const count of args.counts.split(',').map(Number)) {
  const measured = tools(count).map(([tool, command]) => {
    process.stderr.write(`  ${count} needles: ${tool}\n`);
    return { needles: count, tool, ...measure(command) };
  });
  const ours = measured.find((m) => m.tool === 'mariadb-tdx scan (UTF-8)');
  for (const m of measured)
    rows.push({ ...m, ratio: ours.elapsed / m.elapsed, cpuRatio: ours.cpu / m.cpu });
}

const header =
  '| needles | tool | s | GB/s | CPU s | GB per CPU-s | peak RSS MiB | mariadb-tdx UTF-8 is × faster (wall / CPU) |';
const lines = [
  `Input: ${(size / 2 ** 30).toFixed(1)} GiB dump-like file; ${availableParallelism()} CPUs (${cpus()[0]?.model}); load average at start ${loadavg()[0].toFixed(2)}.`,
  '',
  header,
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.needles} | ${r.tool.replaceAll('|', '\\|')} | ${r.elapsed.toFixed(2)} | ${gbps(r.elapsed).toFixed(2)} | ${r.cpu.toFixed(2)} | ${gbps(r.cpu).toFixed(2)} | ${(r.maxRss / 2 ** 20).toFixed(0)} | ${r.ratio === undefined ? '' : `${(1 / r.ratio).toFixed(1)} / ${(1 / r.cpuRatio).toFixed(1)}`} |`,
  ),
];
console.log(lines.join('\n'));
writeFileSync(join(out, 'results.json'), JSON.stringify({ size, rows }, null, 2));
rmSync(scratch, { recursive: true, force: true });
