// The subset of the WebAssembly JavaScript API that the matcher uses. Node.js provides the API
// globally, but @types/node does not declare it (TypeScript has it only in the DOM libraries).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: object);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Global {
    readonly value: unknown;
  }
}
