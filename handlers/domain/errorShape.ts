/**
 * Restores what Pulumi's closure serializer loses when it copies an `Error` subclass into Lambda
 * code: it rewrites `super(message)` as `Error.call(this, message)`, which sets neither
 * `message`, `cause` nor `stack`, and it links a class's `prototype` to its parent's only when
 * the class declares methods, so `instanceof Error` (or of a base class) turns false.
 * Call it at the end of a base error's constructor. In ordinary Node.js it changes nothing.
 */
export function restoreErrorShape(error: Error, message: string, options?: { cause?: unknown }): void {
  // The constructors' own chain (Leaf → Base → Error) survives serialization: relink prototypes along it.
  let constructor: unknown = error.constructor;
  while (typeof constructor === "function" && constructor !== Error && constructor !== Object) {
    const parent: unknown = Object.getPrototypeOf(constructor);
    if (typeof parent !== "function") break;
    if (Object.getPrototypeOf(constructor.prototype) !== parent.prototype) Object.setPrototypeOf(constructor.prototype, parent.prototype);
    constructor = parent;
  }
  if (error.message !== message) {
    error.message = message;
    if (options && "cause" in options) error.cause = options.cause;
    Error.captureStackTrace?.(error, error.constructor);
  }
}
