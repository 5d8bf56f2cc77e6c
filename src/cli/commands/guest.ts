import { Command } from '@commander-js/extra-typings';
import type { GuestCheckReport } from '../../vm/guest-check.js';
import { renderTable } from '../../report/table.js';
import { createStyle } from '../../report/style.js';
import { printJson, println } from '../output.js';

export function guestCommand() {
  const guest = new Command('guest').description('checks inside a VM');
  guest.addCommand(
    new Command('check')
      .description(
        'inside a VM: check that it is a TD (TDX guest detected, memory encryption active) and ' +
          'that the configfs-tsm quote interface is present; run as root for every check',
      )
      .option('--json', 'print the result as JSON')
      .action(async (options) => {
        const { checkGuest } = await import('../../vm/guest-check.js');
        const report = await checkGuest();
        if (options.json) printJson(report);
        else printGuestReport(report);
        process.exitCode = report.isTd && report.quoteInterface ? 0 : 1;
      }),
  );
  return guest;
}

function printGuestReport(report: GuestCheckReport) {
  const style = createStyle();
  println(
    renderTable(
      ['check', 'status', 'observed', 'expected in a TD'],
      report.checks.map((check) => [
        check.title,
        check.status === 'pass'
          ? style.ok('pass')
          : check.status === 'fail'
            ? style.fail('fail')
            : style.warn('unknown'),
        check.observed,
        check.expected,
      ]),
    ),
  );
  if (!report.isTd) {
    println(
      style.fail(
        'This is not a TD: its memory is not encrypted against the host, so whoever controls the hypervisor (if this is a VM) or the machine can read it.',
      ),
    );
  } else if (!report.quoteInterface) {
    println(style.warn('This is a TD, but quotes cannot be requested through configfs-tsm.'));
  } else {
    println(style.ok('This is a TD with memory encryption and a quote interface.'));
  }
}
