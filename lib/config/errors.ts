/**
 * The error type for a configuration that cannot be used. It names the field
 * (as a dotted path such as `accounts[1].baseUrl`) and what is wrong with it,
 * so start-up can print one clear line and admin API callers get a 400 that
 * points at their mistake.
 *
 * @module
 */

/** A configuration problem tied to one field. */
export class ConfigError extends Error {
  /** Dotted path of the offending field, e.g. `groups[0].accounts[2]`. */
  readonly field: string;
  /** What is wrong, without the field. */
  readonly problem: string;

  constructor(field: string, problem: string) {
    super(field ? `${field}: ${problem}` : problem);
    this.name = "ConfigError";
    this.field = field;
    this.problem = problem;
  }
}
