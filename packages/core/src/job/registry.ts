import { ConfigError, UnknownJobError } from '../errors.js';
import type { JobDefinition, JobOptions } from './definition.js';
import { defineJob, isJobDefinition } from './definition.js';
import type { JobContext } from './job-context.js';
import type { JobClass } from './method-call.js';

/** How a registered class is instantiated and named. */
export interface ClassRegistration<T = object> {
  /** The stable name stored with its jobs. Default: the class name (set it when minifying). */
  name?: string;
  /** Makes the instance that runs a job (dependency injection). Default: `new Class()`. */
  factory?: (ctx: JobContext) => T | Promise<T>;
  /** Job options for every method of the class. */
  options?: JobOptions;
}

interface ClassEntry {
  name: string;
  cls: JobClass;
  factory: (ctx: JobContext) => object | Promise<object>;
  options: JobOptions;
  methods: Map<string, JobDefinition>;
}

/** The job definitions and classes a Spool instance knows, by name. */
export class JobRegistry {
  private readonly definitions = new Map<string, JobDefinition>();
  private readonly classesByName = new Map<string, ClassEntry>();
  private readonly classesByCtor = new Map<JobClass, ClassEntry>();

  /** Adds job definitions; a different definition under an existing name is a ConfigError. */
  add(...definitions: JobDefinition[]): void {
    for (const definition of definitions) {
      if (!isJobDefinition(definition)) {
        throw new ConfigError([{ path: 'jobs', message: 'expected job definitions made by defineJob(name, handler, options)' }]);
      }
      const existing = this.definitions.get(definition.name);
      if (existing && existing !== definition) {
        throw new ConfigError([{ path: 'jobs', message: `two different job definitions are named "${definition.name}"; names must be unique` }]);
      }
      this.definitions.set(definition.name, definition);
    }
  }

  /** Registers a class whose methods can be enqueued with `enqueue(Class, (s) => s.method(...))`. */
  addClass<T extends object>(cls: JobClass<T>, registration: ClassRegistration<T> = {}): string {
    const name = registration.name ?? cls.name;
    if (!name) throw new ConfigError([{ path: 'register', message: 'an anonymous class needs { name }' }]);
    const existing = this.classesByName.get(name);
    if (existing && existing.cls !== cls) {
      throw new ConfigError([{ path: 'register', message: `two different classes are registered as "${name}"` }]);
    }
    const factory =
      registration.factory ??
      (() => {
        const Concrete = cls as unknown as new () => T;
        return new Concrete();
      });
    const entry: ClassEntry = { name, cls, factory, options: registration.options ?? {}, methods: new Map() };
    this.classesByName.set(name, entry);
    this.classesByCtor.set(cls, entry);
    return name;
  }

  /** The registered name of a class, or an UnknownJobError that says how to register it. */
  classNameOf(cls: JobClass): string {
    const entry = this.classesByCtor.get(cls);
    if (!entry) {
      throw new UnknownJobError(
        `The class ${cls.name || '(anonymous)'} is not registered. Call spool.register(${cls.name || 'TheClass'}) before enqueueing its methods.`,
      );
    }
    return entry.name;
  }

  /** The definition for a stored job name (a definition, or `Class.method` of a registered class), or null. */
  find(name: string): JobDefinition | null {
    const definition = this.definitions.get(name);
    if (definition) return definition;
    const dot = name.lastIndexOf('.');
    if (dot <= 0) return null;
    const entry = this.classesByName.get(name.slice(0, dot));
    if (!entry) return null;
    const method = name.slice(dot + 1);
    const cached = entry.methods.get(method);
    if (cached) return cached;
    if (typeof (entry.cls.prototype as Record<string, unknown>)[method] !== 'function') return null;
    const methodDefinition = defineJob(
      name,
      async (args: unknown, ctx: JobContext) => {
        const instance = (await entry.factory(ctx)) as Record<string, (...a: unknown[]) => unknown>;
        return instance[method]!(...(Array.isArray(args) ? args : []));
      },
      entry.options,
    );
    entry.methods.set(method, methodDefinition);
    return methodDefinition;
  }

  /** The definition for a name, or an UnknownJobError listing what is known. */
  get(name: string): JobDefinition {
    const definition = this.find(name);
    if (definition) return definition;
    throw new UnknownJobError(
      `No job named "${name}" is registered. Known: ${this.names().join(', ') || '(none)'}. ` +
        'Pass its definition in `jobs` or register its class.',
    );
  }

  /** Names of every plain definition, and `Class.*` for every registered class. */
  names(): string[] {
    return [...this.definitions.keys(), ...[...this.classesByName.keys()].map((c) => `${c}.*`)];
  }

  /** Every exact job name this registry can run: definitions, and each method of each registered class. */
  fetchableNames(): string[] {
    const names = [...this.definitions.keys()];
    for (const entry of this.classesByName.values()) {
      for (const method of methodNames(entry.cls)) names.push(`${entry.name}.${method}`);
    }
    return names;
  }
}

/** Names of the methods an instance of `cls` has, own and inherited (not Object's). */
function methodNames(cls: JobClass): string[] {
  const names = new Set<string>();
  for (let proto = cls.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (key !== 'constructor' && typeof descriptor?.value === 'function') names.add(key);
    }
  }
  return [...names];
}
