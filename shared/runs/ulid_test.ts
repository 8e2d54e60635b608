import { test } from "uvu";
import * as assert from "uvu/assert";
import { isUlid, ulid } from "./ulid.ts";

test("ULIDs are 26 Crockford characters and sort by creation, even within one millisecond", () => {
  const ids = Array.from({ length: 1000 }, () => ulid(1_700_000_000_000));
  for (const id of ids) assert.ok(isUlid(id), id);
  assert.equal([...ids].sort(), ids);
  assert.is(new Set(ids).size, ids.length);
  assert.ok(ulid() > ids[ids.length - 1]);
});

test.run();
