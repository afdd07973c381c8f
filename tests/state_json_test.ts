// The service-state JSON format of `--state` files (src/host/jam/state_json.ts): loading
// (defaults, derived footprint, explicit items/octets), saving what was loaded or set
// since (deleted entries left out), and a typed error naming the field for bad input.
// Footprints by hand from the GP: a storage entry adds 1 item and 34 + |key| + |value|
// octets; a preimage request adds 2 items and 81 + length octets.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { stateFromJson, StateJsonError, stateToJson } from "../src/host/jam/state_json.ts";

const HASH = "0x" + "11".repeat(32);
const b = (...x: number[]) => new Uint8Array(x);

describe("state JSON", () => {
  it("loads info with defaults, storage, preimages and lookups; derives items and octets", () => {
    const state = stateFromJson({
      services: {
        "7": {
          info: { balance: "18446744073709551615", created: 4, parent: 2 },
          storage: { "0x01": "0x0203", "0x": "0x" },
          preimages: { [HASH]: "0xaabb" },
          lookups: [{ hash: HASH, length: 2, slots: [3, 9] }],
        },
        "8": {},
      },
    });
    const info = state.info(7)!;
    assert.deepEqual(
      [info.balance, info.created, info.parent, info.gratis, info.codeHash],
      [(1n << 64n) - 1n, 4, 2, 0n, new Uint8Array(32)],
    );
    // storage 0x01 → 0x0203: 34 + 1 + 2; "" → "": 34; request of length 2: 81 + 2
    assert.deepEqual([info.items, info.octets], [4, 37n + 34n + 83n]);
    assert.deepEqual(state.storage(7, b(1)), b(2, 3));
    assert.deepEqual(state.preimage(7, new Uint8Array(32).fill(0x11)), b(0xaa, 0xbb));
    assert.deepEqual(state.request(7, new Uint8Array(32).fill(0x11), 2), [3, 9]);
    assert.deepEqual(state.info(8)?.items, 0);
  });

  it("keeps items and octets as given", () => {
    const state = stateFromJson({
      services: { "1": { info: { items: 9, octets: 500 }, storage: { "0x01": "0x02" } } },
    });
    assert.deepEqual([state.info(1)!.items, state.info(1)!.octets], [9, 500n]);
  });

  it("saves everything loaded or set since, without deleted entries, sorted", () => {
    const loaded = stateFromJson({
      services: { "3": { info: { balance: 1000 }, storage: { "0x02": "0x05", "0x01": "0x09" } } },
    });
    loaded.setStorage(3, b(1), undefined);
    loaded.setStorage(3, b(0xff), b(7));
    loaded.setInfo(4, { ...loaded.info(3)!, items: 0, octets: 0n, balance: 5n });
    const json = stateToJson(loaded) as { services: Record<string, { storage: unknown; info: { balance: string } }> };
    assert.deepEqual(Object.keys(json.services), ["3", "4"]);
    assert.deepEqual(json.services["3"].storage, { "0x02": "0x05", "0xff": "0x07" });
    assert.equal(json.services["4"].info.balance, "5");
    // a round trip gives the same JSON
    assert.deepEqual(stateToJson(stateFromJson(json)), json);
  });

  it("bad input: a StateJsonError naming the field", () => {
    const cases: [unknown, string][] = [
      [[], "(top level)"],
      [{ services: [] }, "services"],
      [{ services: { x: {} } }, "services.x"],
      [{ services: { "4294967296": {} } }, "services.4294967296"],
      [{ services: { "1": { info: { balance: -1 } } } }, "services.1.info.balance"],
      [{ services: { "1": { info: { balance: "18446744073709551616" } } } }, "services.1.info.balance"],
      [{ services: { "1": { info: { created: 4294967296 } } } }, "services.1.info.created"],
      [{ services: { "1": { info: { codeHash: "0x00" } } } }, "services.1.info.codeHash"],
      [{ services: { "1": { storage: { "0x1": "0x" } } } }, "services.1.storage (key 0x1)"],
      [{ services: { "1": { storage: { "0x01": 5 } } } }, "services.1.storage.0x01"],
      [{ services: { "1": { preimages: { "0x01": "0x" } } } }, "services.1.preimages (key 0x01)"],
      [{ services: { "1": { lookups: {} } } }, "services.1.lookups"],
      [
        { services: { "1": { lookups: [{ hash: HASH, length: 1, slots: [1, 2, 3, 4] }] } } },
        "services.1.lookups.0.slots",
      ],
      [{ services: { "1": { lookups: [{ hash: HASH, length: 1, slots: ["a"] }] } } }, "services.1.lookups.0.slots.0"],
      // Misspelt fields are refused, not ignored.
      [{ service: {} }, "service"],
      [{ services: { "1": { storrage: {} } } }, "services.1.storrage"],
      [{ services: { "1": { info: { balanse: "5" } } } }, "services.1.info.balanse"],
      [{ privileges: [] }, "privileges"],
      [{ privileges: { manager: -1 } }, "privileges.manager"],
      [{ privileges: { assigners: [1, "x"] } }, "privileges.assigners.1"],
      [{ privileges: { alwaysAccumulate: { "7": "-5" } } }, "privileges.alwaysAccumulate.7"],
      [{ privileges: { alwaysAccumulate: { seven: "5" } } }, "privileges.alwaysAccumulate.seven"],
      [{ authQueues: { "0": [HASH, "0x00"] } }, "authQueues.0.1"],
      [{ authQueues: { core: [] } }, "authQueues.core"],
      [{ stagingSet: ["0x" + "00".repeat(335)] }, "stagingSet.0"],
      [{ stagingSet: {} }, "stagingSet"],
    ];
    for (const [json, path] of cases) {
      assert.throws(() => stateFromJson(json), (e: unknown) => e instanceof StateJsonError && e.path === path, path);
    }
  });

  it("privileges, authorization queues and staging keys load, and save back only when set", () => {
    const key = (fill: number) => "0x" + fill.toString(16).padStart(2, "0").repeat(336);
    const chain = {
      privileges: { manager: 1, assigners: [2, 3], delegator: 4, registrar: 5, alwaysAccumulate: { "9": "1000" } },
      authQueues: { "0": [HASH], "1": [] },
      stagingSet: [key(1), key(2)],
    };
    const state = stateFromJson({ services: {}, ...chain });
    const p = state.privileges();
    assert.deepEqual([p.manager, p.assigners, p.delegator, p.registrar], [1, [2, 3], 4, 5]);
    assert.deepEqual([...p.alwaysAccumulate], [[9, 1000n]]);
    assert.deepEqual(state.authQueue(0), [new Uint8Array(32).fill(0x11)]);
    assert.deepEqual(state.authQueue(1), []);
    assert.equal(state.authQueue(2), undefined);
    assert.deepEqual(state.stagingSet()?.map((k) => k[0]), [1, 2]);
    // What a run changes is saved, and loads back the same.
    state.setAuthQueue(2, [new Uint8Array(32).fill(0x22)]);
    const saved = stateToJson(state) as Record<string, unknown>;
    assert.deepEqual(saved.privileges, chain.privileges);
    assert.deepEqual(saved.authQueues, { ...chain.authQueues, "2": ["0x" + "22".repeat(32)] });
    assert.deepEqual(saved.stagingSet, chain.stagingSet);
    assert.deepEqual(stateToJson(stateFromJson(saved)), saved);
    // A state without them is written without them.
    assert.deepEqual(Object.keys(stateToJson(stateFromJson({ services: { "1": {} } })) as object), ["services"]);
  });
});
