import { Command } from '@commander-js/extra-typings';
import type { HostCheckReport, HostCheckStatus } from '../../vm/host-check.js';
import { renderTable } from '../../report/table.js';
import { createStyle, type Style } from '../../report/style.js';
import { printJson, println } from '../output.js';

export function hostCommand() {
  const host = new Command('host').description('checks of the hypervisor host');
  host.addCommand(
    new Command('check')
      .description(
        'check whether this host can launch TDs: TDX in KVM and the kernel log, the CPU flag, ' +
          'QEMU and libvirt versions, TDVF firmware and a local quote generation service',
      )
      .option('--connect <uri>', 'libvirt connection URI (default: virsh default)')
      .option(
        '--qgs-socket <path>',
        'UNIX socket of the quote generation service',
        '/var/run/tdx-qgs/qgs.socket',
      )
      .option('--json', 'print the result as JSON')
      .action(async (options) => {
        const { checkHost } = await import('../../vm/host-check.js');
        const report = await checkHost({ connect: options.connect, qgsSocket: options.qgsSocket });
        if (options.json) printJson(report);
        else printHostReport(report);
        process.exitCode = report.tdxReady ? 0 : 1;
      }),
  );
  return host;
}

function printHostReport(report: HostCheckReport) {
  const style = createStyle();
  println(
    renderTable(
      ['check', 'status', 'found', 'needed'],
      report.checks.map((check) => [
        check.title,
        colour(style, check.status),
        check.found,
        check.needed,
      ]),
    ),
  );
  if (report.tdxReady) {
    println(style.ok('This host can launch TDs.'));
    return;
  }
  println(style.fail('TDX is not available on this host: TDs cannot be launched here.'));
  println(
    'Regular VMs still work (mariadb-tdx vm create --regular), and vm create --tdx --dry-run ' +
      'writes the TD definition without starting it.',
  );
}

function colour(style: Style, status: HostCheckStatus): string {
  if (status === 'pass') return style.ok(status);
  if (status === 'fail') return style.fail(status);
  return style.warn(status);
}
