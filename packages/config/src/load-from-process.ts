import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors.js';
import { type Config, type Env, loadConfig } from './load-config.js';

/** Exit code for invalid configuration or command-line usage. */
export const EXIT_INVALID_CONFIG = 2;

export const DEFAULT_CONFIG_FILE = 'matchflow.yaml';

export interface ConfigSource {
  /** Absolute path of the file read, or undefined when running on defaults alone. */
  file: string | undefined;
  text: string | undefined;
}

/**
 * Find the config file: `MATCHFLOW_CONFIG` when set (it must exist), else `./matchflow.yaml`
 * when present, else none (defaults plus environment).
 */
export function readConfigSource(env: Env, cwd: string): ConfigSource {
  const explicit = env.MATCHFLOW_CONFIG;
  if (explicit) {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file)) {
      throw new ConfigError([
        { path: '', message: `config file ${file} does not exist`, origin: 'env MATCHFLOW_CONFIG' },
      ]);
    }
    return { file, text: readFileSync(file, 'utf8') };
  }
  const file = path.resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(file) ? { file, text: readFileSync(file, 'utf8') } : { file: undefined, text: undefined };
}

/** Read and validate the configuration the way every matchflow process does. */
export function loadConfigFromProcess(env: Env, cwd: string): Config & { configFile: string | undefined } {
  const source = readConfigSource(env, cwd);
  const config = loadConfig(env, source.text, {
    fileName: source.file,
    baseDir: source.file ? path.dirname(source.file) : cwd,
  });
  return { ...config, configFile: source.file };
}

export interface ExitingLoaderIo {
  env: Env;
  cwd: string;
  writeError: (text: string) => void;
  exit: (code: number) => never;
}

/**
 * For `main()` of every app: the config, or a report of every bad key on stderr and exit 2.
 * No stack trace: a config mistake is the user's to fix, not a crash.
 */
export function loadConfigOrExit(io: ExitingLoaderIo): Config & { configFile: string | undefined } {
  try {
    return loadConfigFromProcess(io.env, io.cwd);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.writeError(`matchflow: ${error.message}\n`);
      return io.exit(EXIT_INVALID_CONFIG);
    }
    throw error;
  }
}
