/** One thing wrong with the configuration, at one key. */
export interface ConfigIssue {
  /** Dotted key path, e.g. `competitions[0].source`; empty for the document as a whole. */
  path: string;
  message: string;
  /** Where the bad value came from when it was not the file: `env MATCHFLOW_…`. */
  origin?: string;
}

/** The configuration is invalid; `issues` lists every problem found, not just the first. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  readonly file: string | undefined;

  constructor(issues: readonly ConfigIssue[], file?: string) {
    super(formatIssues(issues, file));
    this.name = 'ConfigError';
    this.issues = issues;
    this.file = file;
  }
}

/** Human-readable report: one line per issue, each naming its key. */
export function formatIssues(issues: readonly ConfigIssue[], file?: string): string {
  const where = file ? ` (${file})` : '';
  const lines = issues.map((issue) => {
    const key = issue.path === '' ? '(config)' : issue.path;
    const origin = issue.origin ? ` [from ${issue.origin}]` : '';
    return `  - ${key}: ${issue.message}${origin}`;
  });
  const noun = issues.length === 1 ? 'problem' : 'problems';
  return `invalid configuration${where}: ${issues.length} ${noun}\n${lines.join('\n')}`;
}
