/** The CLI version printed by `--version`; a test keeps it equal to cli/package.json. */
export const VERSION = '0.1.0';
