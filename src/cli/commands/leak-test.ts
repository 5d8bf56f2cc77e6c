import { Command, Option } from '@commander-js/extra-typings';
import type { LeakTestReport, LeakTestVmResult, LeakVerdict } from '../../vm/leak-test.js';
import { renderTable } from '../../report/table.js';
import { createStyle, type Style } from '../../report/style.js';
import { parseInteger } from '../options.js';
import { createStepReporter, printJson, println } from '../output.js';
import { withInterrupt } from '../progress.js';
import { resolveVmRoot, VM_DIR_HELP } from '../vm-options.js';

export function leakTestCommand() {
  return new Command('leak-test')
    .description(
      "the host administrator's experiment: plant fresh customer records in each VM over " +
        'verified TLS, run the demo workload, dump each VM from the host and search the dumps; ' +
        'a regular VM shows the records, a TD must not',
    )
    .requiredOption('--vms <names>', 'comma-separated VM names, e.g. td-1,regular-1')
    .option(
      '--customers <n>',
      'customers planted per VM (four values each)',
      parseInteger(1, 1000),
      5,
    )
    .addOption(
      new Option('--format <name>', 'dump format')
        .choices(['elf', 'kdump-zlib'] as const)
        .default('elf' as const),
    )
    .option('--dump-dir <path>', 'keep the dumps in this directory (default: deleted afterwards)')
    .option('--vm-dir <path>', VM_DIR_HELP)
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'do not report steps on standard error')
    .action(async (options) => {
      const [{ leakTest }, { scanDump }] = await Promise.all([
        import('../../vm/leak-test.js'),
        import('../../vm/leak-scan.js'),
      ]);
      const vmRoot = await resolveVmRoot(options.vmDir);
      const report = await withInterrupt((signal) =>
        leakTest({
          vmRoot,
          names: options.vms
            .split(',')
            .map((name) => name.trim())
            .filter(Boolean),
          customers: options.customers,
          format: options.format,
          dumpDir: options.dumpDir,
          keepDumps: options.dumpDir !== undefined,
          scanner: scanDump,
          onStep: createStepReporter(options.quiet === true || options.json === true),
          signal,
        }),
      );
      if (options.json) printJson(report);
      else printReport(report);
      process.exitCode = report.passed ? 0 : 1;
    });
}

const VERDICT_TEXT: Record<LeakVerdict, string> = {
  readable: 'readable by the host (expected for a regular VM)',
  protected: 'no planted value in the dump',
  leaked: 'LEAK: planted values in a TD dump',
  'debug-td': 'debug TD: memory readable by design',
  'not-a-td': 'NOT A TD: runs without TDX or under TCG',
  inconclusive: 'nothing found: the control proves nothing',
};

function printReport(report: LeakTestReport) {
  const style = createStyle();
  const rows: [string, (vm: LeakTestVmResult) => string][] = [
    ['kind', (vm) => (vm.kind === 'td' ? 'TD' : 'regular VM')],
    [
      'TD attributes',
      (vm) =>
        vm.tdAttributes
          ? `${vm.tdAttributes.value} (debug ${vm.tdAttributes.debug ? 'ON' : 'off'})`
          : '-',
    ],
    ['guest check', guestVerdict],
    ['hypervisor', (vm) => `${vm.backend}, ${vm.accel}`],
    ['values planted', (vm) => String(vm.planted)],
    ['values found in dump', (vm) => `${vm.found} (${vm.hits} hits)`],
    [
      'example',
      (vm) =>
        vm.examples[0]
          ? `${vm.examples[0].label} (${vm.examples[0].encoding}) at GPA ${vm.examples[0].address ?? '?'}`
          : '-',
    ],
    ['addresses re-read', (vm) => `${vm.addressesConfirmed} of ${vm.addressesChecked} match`],
    ['control values found', (vm) => `${vm.controlsFound} of ${vm.controls}`],
    [
      'dump',
      (vm) =>
        `${(vm.dump.bytes / 1024 ** 2).toFixed(0)} MiB ${vm.dump.format} in ${vm.dump.seconds.toFixed(1)} s`,
    ],
    ['verdict', (vm) => verdict(style, vm.verdict)],
  ];
  println(
    renderTable(
      ['', ...report.vms.map((vm) => vm.name)],
      rows.map(([label, cell]) => [label, ...report.vms.map(cell)]),
    ),
  );
  for (const note of report.notes) println(`note: ${note}`);
  println(report.passed ? style.ok('result: as expected') : style.fail('result: NOT as expected'));
}

function guestVerdict(vm: LeakTestVmResult): string {
  if (vm.guestSaysTd === undefined) return 'unknown';
  return vm.guestSaysTd ? 'TD' : 'not a TD';
}

function verdict(style: Style, value: LeakVerdict): string {
  const text = VERDICT_TEXT[value];
  return value === 'readable' || value === 'protected' ? style.ok(text) : style.fail(text);
}
