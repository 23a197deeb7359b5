/**
 * The one base error of StreamPulse. Every package throws (a subclass of) this so
 * the CLI can print a code, what went wrong, why (the cause) and how to fix it
 * (the remedy) instead of a stack trace.
 */
export class StreamPulseError extends Error {
  readonly code: string;
  readonly remedy: string;

  constructor(code: string, message: string, options: { remedy: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StreamPulseError';
    this.code = code;
    this.remedy = options.remedy;
  }

  /** A multi-line, human-readable rendering (code, message, cause, remedy). */
  describe(): string {
    const lines = [`${this.code}: ${this.message}`];
    if (this.cause !== undefined) {
      const cause = this.cause instanceof Error ? this.cause.message : String(this.cause);
      lines.push(`  cause: ${cause}`);
    }
    lines.push(`  fix: ${this.remedy}`);
    return lines.join('\n');
  }
}

/** One problem found in a contract file, located precisely. */
export interface ContractIssue {
  /** Stable machine code, e.g. `CONTRACT_UNKNOWN_FIELD`. */
  readonly code: string;
  /** File path as given to the loader (relative paths stay relative). */
  readonly file: string;
  /** 1-based line and column of the offending node. */
  readonly line: number;
  readonly column: number;
  /** Field path inside the file, e.g. `columns[3].type`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  readonly remedy: string;
}

export function formatIssue(issue: ContractIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  const field = issue.path === '' ? '' : ` ${issue.path}:`;
  return `${where}${field} ${issue.message}\n    fix: ${issue.remedy}  [${issue.code}]`;
}

/** Thrown by `loadContractsOrThrow` when any contract is invalid; carries every issue. */
export class ContractValidationError extends StreamPulseError {
  readonly issues: readonly ContractIssue[];

  constructor(issues: readonly ContractIssue[]) {
    const files = new Set(issues.map((i) => i.file)).size;
    super('CONTRACT_INVALID', `${issues.length} problem(s) in ${files} contract file(s):\n${issues.map((i) => formatIssue(i)).join('\n')}`, {
      remedy: 'Fix each listed problem, then run `pnpm streampulse contracts validate`.',
    });
    this.issues = issues;
  }
}
