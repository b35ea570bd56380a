/** What went wrong with the command itself (its flags or its input files), not the system: exit 2. */
export class UsageError extends Error {}
