/**
 * Stand-in for @serverlessinc/sf-core/src/utils.js (see ../README.md): logging, progress and plugin writers with the
 * shapes Serverless Framework v4 gives them. Notices, warnings and errors go to stderr, command output (`writeText`)
 * to stdout; info and debug lines are not shown, as at v4's default log level. The harness is never interactive, so
 * progress is not drawn (v4 writes a progress notice at the info level there).
 */
const text = (token) => {
  if (token instanceof Error) return token.stack ? token.stack : token.message;
  if (token === undefined) return '';
  return typeof token === 'string' ? token : JSON.stringify(token);
};

const write = (prefix, tokens) => process.stderr.write(`${prefix}${tokens.map(text).join(' ')}\n`);

class Logger {
  constructor(namespace = 's') {
    this.namespace = namespace;
  }

  get(namespace) {
    return new Logger(`${this.namespace}:${namespace}`);
  }

  isInteractive() {
    return false;
  }

  error(...tokens) {
    write('✖ ', tokens);
  }

  warning(...tokens) {
    write('[!] ', tokens);
  }

  notice(...tokens) {
    write('', tokens);
  }

  success(...tokens) {
    write('✔ ', tokens);
  }

  aside(...tokens) {
    write('', tokens);
  }

  title(...tokens) {
    write('', tokens);
  }

  blankLine() {
    write('', []);
  }

  write(...tokens) {
    write('', tokens);
  }

  writeCompose() {}

  info() {}

  debug() {}

  logo() {}

  logoDevMode() {}

  log(...tokens) {
    this.notice(...tokens);
  }

  verbose() {}
}

const tasks = new Map();

class Progress {
  constructor(namespace) {
    this.namespace = namespace;
    this.message = null;
  }

  static get(name) {
    const namespace = name.startsWith('s:') ? name : `s:${name}`;
    if (!tasks.has(namespace)) tasks.set(namespace, new Progress(namespace));
    return tasks.get(namespace);
  }

  get(name) {
    return Progress.get(name);
  }

  notice(message) {
    this.message = message;
  }

  remove() {
    this.message = null;
  }

  getState() {
    return undefined;
  }

  create({ message } = {}) {
    this.notice(message);
    return this;
  }

  update(message) {
    this.notice(message);
  }

  info(message) {
    this.notice(message);
  }
}

const log = new Logger();

const progress = {
  get: (name) => Progress.get(name),
  cleanup: () => tasks.clear(),
};

const same = (value) => value;
const style = {
  bold: same,
  debug: same,
  info: same,
  notice: same,
  warning: same,
  error: same,
  aside: same,
  link: same,
  linkStrong: same,
  symbol: same,
  strong: same,
  title: same,
};

const writeText = (...tokens) => {
  const joined = tokens
    .flat(Infinity)
    .filter((t) => typeof t === 'string')
    .join('\n');
  process.stdout.write(joined.endsWith('\n') ? joined : `${joined}\n`);
};

/** What a plugin's constructor receives as `utils`, as v4 builds it: its progress is the framework's "main" task. */
const getPluginWriters = (pluginName) => {
  const logger = log.get(`sls:plugin:${String(pluginName).toLowerCase()}`);
  const logFunction = (...tokens) => logger.log(...tokens);
  for (const method of Object.getOwnPropertyNames(Logger.prototype)) {
    if (method !== 'constructor') logFunction[method] = logger[method].bind(logger);
  }
  return { log: logFunction, progress: progress.get('main'), style, writeText };
};

const stringToSafeColor = () => same;

export default { log, progress, style, writeText, getPluginWriters, stringToSafeColor };
