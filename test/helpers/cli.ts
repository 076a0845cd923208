/**
 * The built server binary for node tests: scripts/start-cli.mjs, which the
 * browser tests and the screenshots script start it with too.
 */
export { cliPath, type RunningCli, type StartCliOptions, startCli } from '../../scripts/start-cli.mjs';
