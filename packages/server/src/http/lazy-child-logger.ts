import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, LogFn } from 'pino'

/**
 * A request's logger, made only when something logs through it. Fastify gives every request a
 * child logger carrying its request ID; building one serializes the bindings, which cost more
 * than the rest of a small request's logging. Most requests log one line, written by the request
 * log with the parent logger, so most never need theirs.
 */
export class LazyChildLogger implements FastifyBaseLogger {
  readonly #parent: FastifyBaseLogger
  readonly #bindings: Bindings
  readonly #options: ChildLoggerOptions
  #child: FastifyBaseLogger | undefined

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
  }

  get level(): string {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level
  }

  set level(level: string) {
    this.#real().level = level
  }

  readonly fatal: LogFn = (...args: unknown[]) => {
    this.#forward('fatal', args)
  }
  readonly error: LogFn = (...args: unknown[]) => {
    this.#forward('error', args)
  }
  readonly warn: LogFn = (...args: unknown[]) => {
    this.#forward('warn', args)
  }
  readonly info: LogFn = (...args: unknown[]) => {
    this.#forward('info', args)
  }
  readonly debug: LogFn = (...args: unknown[]) => {
    this.#forward('debug', args)
  }
  readonly trace: LogFn = (...args: unknown[]) => {
    this.#forward('trace', args)
  }
  readonly silent: LogFn = () => undefined

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options)
  }

  #forward(method: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: unknown[]): void {
    const real = this.#real()
    Reflect.apply(real[method], real, args)
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options)
    return this.#child
  }
}
