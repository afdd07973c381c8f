/**
 * pvmkit — a TypeScript runtime for JAM's PVM (the Polkadot Virtual Machine).
 *
 * Load a program (generic blob, standard program, or standard program with metadata),
 * instantiate it with gas, registers, memory and arguments, and run it to an exit:
 * halt, panic, page fault, host call or out of gas. Results follow Gray Paper v0.7.2
 * (plus graypaper main #497: a failing memory access still charges its gas).
 *
 * Runs unchanged in Deno, Bun, Node and browsers: nothing here imports a `node:` module.
 *
 * @example
 * ```ts
 * import { Module } from "./mod.ts";
 * // load_imm r7, 42 ; jump_ind r0 (r0 = 0xFFFF0000 → halt)
 * const bytes = new Uint8Array([0, 0, 5, 51, 7, 42, 50, 0, 0b01001]);
 * const vm = Module.load(bytes).instantiate({ gas: 100n, registers: [0xffff0000n] });
 * const exit = vm.run();
 * console.log(exit.kind, vm.getRegister(7), exit.gas); // halt 42n 98n
 * ```
 *
 * @module
 */
export {
  AUTO_HOT_MODULE_INSTRUCTIONS,
  AUTO_HOT_TIER_INSTRUCTIONS,
  AUTO_TIER_INSTRUCTIONS,
  type Backend,
  type DecodedProgram,
  type Exit,
  Instance,
  type InstantiateOptions,
  type LoadOptions,
  Module,
  type ProgramFormat,
} from "./src/engine.ts";
export { ProgramError } from "./src/program/errors.ts";
export { encodeBlob, JumpTable, parseBlob, type ProgramBlob } from "./src/program/blob.ts";
export {
  ARGS_BASE,
  HALT_ADDRESS,
  parseStandardProgram,
  STACK_TOP,
  type StandardLayout,
  standardLayout,
  type StandardProgram,
} from "./src/program/spi.ts";
export { encodeVarint } from "./src/program/reader.ts";
export { Memory, MemoryAccessError, type MemoryRegion, PAGE_SIZE, type PageAccess } from "./src/memory/memory.ts";
export {
  ISA_PROFILES,
  ISA_V072,
  type IsaProfile,
  Op,
  OPCODE_BY_CODE,
  OPCODE_BY_NAME,
  type OpcodeInfo,
  OPCODES,
  type OperandClass,
} from "./src/isa/opcodes.ts";
export { decodeInstruction, type Instruction, skipTable } from "./src/isa/decode.ts";
export { type CompiledCode, RecompilerInternalError } from "./src/recompiler/runtime.ts";
export * from "./src/isa/assembler.ts";
export * from "./src/isa/disassembler.ts";
export * from "./src/trace/jip6.ts";
export * from "./src/trace/jip6_writer.ts";
export { GAS_MODELS, type GasModel, type GasModelName, type GasSchedule, gasSchedule } from "./src/gas/model.ts";
export { ISA_GAS_VECTORS, ISA_V08_DRAFT } from "./src/isa/opcodes.ts";
export { LimitError, type Limits } from "./src/limits.ts";
export { Runtime, type RuntimeOptions, type RuntimeStats } from "./src/runtime.ts";
export { contentHash } from "./src/hash.ts";
export { clearCompiledCache, setCompiledCacheBudget, setWasmStore, type WasmStore } from "./src/recompiler/runtime.ts";
export { VERSION } from "./src/version.ts";
export { DEFAULT_MEMORY_POOL, MemoryPool } from "./src/memory/pool.ts";
export * from "./src/host/host.ts";
export * from "./src/host/observe.ts";
export * from "./src/host/jam/constants.ts";
export * from "./src/host/jam/state.ts";
export * from "./src/host/jam/state_json.ts";
export * from "./src/host/jam/general.ts";
export * from "./src/host/jam/contexts.ts";
export * from "./src/host/jam/invocations.ts";
export * from "./src/host/jam/refine.ts";
export * from "./src/host/jam/params.ts";
export * from "./src/host/jam/accumulate_privileged.ts";
export * from "./src/host/jam/accumulate_services.ts";
export * from "./src/host/jam/accumulate_preimages.ts";
export {
  encodePolkaVm,
  isPolkaVm,
  parsePolkaVm,
  POLKAVM_MAGIC,
  type PolkaVmExport,
  type PolkaVmLayout,
  polkaVmLayout,
  type PolkaVmLayoutOptions,
  type PolkaVmProgram,
  type PolkaVmSection,
  type PolkaVmSource,
} from "./src/program/polkavm.ts";
export * from "./src/host/polkavm.ts";
export { ISA_POLKAVM_32, ISA_POLKAVM_64 } from "./src/isa/opcodes.ts";
export {
  encodeJar,
  encodeJarCode,
  isJar,
  JAR_V2,
  type JarCapEntry,
  type JarCapSpec,
  type JarLayout,
  type JarProgram,
  parseJar,
  parseJarCode,
} from "./src/program/jar.ts";
export { Kernel, KernelError, type KernelExit, type KernelOptions } from "./src/kernel/kernel.ts";
export {
  type DataCapAccess,
  type KernelHostMachine,
  kernelRegistry,
  Protocol,
  runKernelWithHost,
} from "./src/kernel/host.ts";
export { jarProtocolRegistry, type JarServiceOptions, JarServiceState } from "./src/kernel/protocol.ts";
export { readCapBytes, writeCapBytes } from "./src/kernel/cap_bytes.ts";
export { type Cap, type CapKind, ChildStatus } from "./src/kernel/caps.ts";
export { KernelVm, type VmState } from "./src/kernel/vm.ts";
export { KERNEL_AUTO_TIER_GAS, type KernelBackend } from "./src/kernel/exec.ts";
export { ISA_JAVM } from "./src/isa/opcodes.ts";
export { type DataObject, PageStore, UntypedPool } from "./src/kernel/pages.ts";
export { CodeImage } from "./src/kernel/code.ts";
export { DEFAULT_RESIDENT_MEMORIES, Residency } from "./src/kernel/residency.ts";
export type { MachineState } from "./src/interpreter/interpreter.ts";
export { JavmCostModel, javmMemoryCycles } from "./src/gas/javm.ts";
export { type JamEntryExports, polkaVmToStandard } from "./src/program/polkavm_jam.ts";
export type { PolkaVmHeap } from "./src/interpreter/interpreter.ts";
