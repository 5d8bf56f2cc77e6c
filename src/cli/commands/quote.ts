import { Command } from '@commander-js/extra-typings';
import { collateralFetchCommand } from './quote-collateral.js';
import { quoteVerifyCommand } from './quote-verify.js';

/** `quote verify` and `quote collateral fetch`. */
export function quoteCommand() {
  const collateral = new Command('collateral')
    .description('download and cache the Intel collateral that quote verification needs')
    .addCommand(collateralFetchCommand().exitOverride())
    .exitOverride();
  return new Command('quote')
    .description('verify Intel TDX quotes offline and manage their collateral')
    .addCommand(quoteVerifyCommand().exitOverride())
    .addCommand(collateral);
}
