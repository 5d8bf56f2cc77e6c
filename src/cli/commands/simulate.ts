import { Command } from '@commander-js/extra-typings';
import { writeFile } from 'node:fs/promises';
import { ConfigError } from '../../errors.js';
import { renderPairs } from '../../report/table.js';
import { createStyle } from '../../report/style.js';
import { printJson, println } from '../output.js';

const SIMULATED_BANNER = 'SIMULATED: not TDX hardware; quotes chain to a local test root';

export function simulateCommand() {
  const simulate = new Command('simulate').description(
    'SIMULATED TDs for machines without TDX: real quote layout, local test certificate chain',
  );

  simulate
    .command('td')
    .description('create a simulated TD: test PKI, signed test collateral, measurements, policy')
    .requiredOption('--dir <path>', 'new directory for the simulated TD')
    .option('--mrtd <hex>', 'MRTD, 96 hex digits (default random)')
    .option('--rtmr0 <hex>', 'RTMR0, 96 hex digits (default random)')
    .option('--debug', 'set TDATTRIBUTES.DEBUG (a debug TD, which policies reject)')
    .option('--tee-tcb-svn <hex>', 'TEE_TCB_SVN, 32 hex digits (default 04010200 then zeros)')
    .option('--platform-from <dir>', 'reuse the test PKI and collateral of another simulated TD')
    .option('--json', 'print the result as JSON')
    .action(async (options) => {
      const { createSimulatedTd } = await import('../../attest/evidence/simulated/td.js');
      const summary = await createSimulatedTd(
        options.dir,
        {
          mrTd: options.mrtd,
          rtmr0: options.rtmr0,
          debug: options.debug,
          teeTcbSvn: options.teeTcbSvn,
        },
        options.platformFrom,
      );
      if (options.json) return printJson(summary);
      const style = createStyle();
      println(style.warn(SIMULATED_BANNER));
      println(style.ok(`created simulated TD ${summary.dir}`));
      println(
        renderPairs([
          ['MRTD', summary.mrTd],
          ['TDATTRIBUTES', summary.tdAttributes],
          ['TEE_TCB_SVN', summary.teeTcbSvn],
          ['test root', `${summary.rootCa} (kbs serve --trust-simulated-root)`],
          ['test collateral', `${summary.collateral} (kbs serve --collateral)`],
          ['policy', `${summary.policy} (pins this MRTD)`],
        ]),
      );
    });

  simulate
    .command('quote')
    .description('write a SIMULATED quote of a simulated TD for the given REPORTDATA')
    .requiredOption('--td <dir>', 'simulated TD directory')
    .option('--report-data <hex>', 'REPORTDATA, up to 128 hex digits (zero-padded)', '')
    .requiredOption('--out <file>', 'file to write the quote to')
    .option('--json', 'print the result as JSON')
    .action(async (options) => {
      if (!/^(?:[0-9a-fA-F]{2}){0,64}$/.test(options.reportData)) {
        throw new ConfigError('INVALID_OPTION', '--report-data must be up to 128 hex digits');
      }
      const { simulatedEvidence } = await import('../../attest/evidence/simulated/provider.js');
      const reportData = Buffer.alloc(64);
      Buffer.from(options.reportData, 'hex').copy(reportData);
      const quote = await (await simulatedEvidence(options.td)).quote(reportData);
      await writeFile(options.out, quote);
      const result = { out: options.out, bytes: quote.length, simulated: true };
      if (options.json) return printJson(result);
      println(createStyle().warn(SIMULATED_BANNER));
      println(`wrote a ${quote.length}-byte SIMULATED quote to ${options.out}`);
    });
  return simulate;
}
