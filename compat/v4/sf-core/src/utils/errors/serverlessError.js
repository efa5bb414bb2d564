/** Stand-in for @serverlessinc/sf-core/src/utils/errors/serverlessError.js (see ../../../README.md). */
export default class ServerlessError extends Error {
  constructor(message, code, options = {}) {
    super(message);
    this.name = 'ServerlessError';
    this.code = code;
    if (options.stack === false) this.stack = undefined;
  }
}
