/**
 * A hand-written WebAssembly binary emitter for the PVM recompiler: LEB128 encoding and a
 * growable byte buffer (`ByteWriter`), opcode tables (`W`, `WFC`, `T`), a function-body
 * builder (`Code`) and a module builder (`ModuleBuilder`). It targets the Node 20 feature
 * baseline: MVP plus multi-value, bulk memory, sign extension, non-trapping float-to-int,
 * tail calls and reference types. No dependencies; runs in any JavaScript runtime.
 *
 * @example
 * ```ts
 * import { Code, ModuleBuilder, T, W } from "./mod.ts";
 * // Tail-recursive factorial: fact(n, acc) = n == 0 ? acc : fact(n - 1, acc * n)
 * const mb = new ModuleBuilder();
 * const sig = mb.type([T.i64, T.i64], [T.i64]);
 * const c = new Code(2);
 * c.localGet(0);
 * c.op(W.i64_eqz);
 * c.if();
 * c.localGet(1);
 * c.return();
 * c.end();
 * c.localGet(0);
 * c.i64Const(1);
 * c.op(W.i64_sub);
 * c.localGet(1);
 * c.localGet(0);
 * c.op(W.i64_mul);
 * c.returnCall(0);
 * const fact = mb.addFunction(sig, c.finish());
 * mb.exportFunction("fact", fact);
 * const { exports } = new WebAssembly.Instance(new WebAssembly.Module(mb.build()));
 * console.log((exports.fact as (n: bigint, acc: bigint) => bigint)(20n, 1n)); // 2432902008176640000n
 * ```
 *
 * @module
 */
export { ByteWriter, encodeS32, encodeS64, encodeU32, sizeU32 } from "./encoder.ts";
export { isBlockTypeCode, PREFIX_FC, T, W, WFC } from "./opcodes.ts";
export { Code } from "./code.ts";
export { ModuleBuilder } from "./module.ts";
