// SQL for stack configuration elements. Values go in and out sealed; the associated data is
// "<stack>/<id>", so a value cannot be moved to another element.
import type { Sql } from "../db/connect.ts";
import { seal, unseal } from "../crypto_seal.ts";
import { checksum, type ConfigElement, type ConfigType } from "./element.ts";

const bound = (stackId: string, id: string) => `${stackId}/${id}`;

function toElement(row: Record<string, unknown>, key: Buffer, reveal: boolean): ConfigElement {
  const writeOnly = row.write_only as boolean;
  return {
    stackId: row.stack_id as string,
    id: row.id as string,
    type: row.type as ConfigType,
    value: reveal || !writeOnly ? unseal(key, row.value_sealed as Uint8Array, bound(row.stack_id as string, row.id as string)) : null,
    writeOnly,
    description: (row.description as string | null) ?? null,
    checksum: row.checksum as string,
    createdAt: row.created_at as Date,
  };
}

/** Adds or replaces one element. */
export async function putConfigElement(
  sql: Sql,
  key: Buffer,
  e: Readonly<{ stackId: string; id: string; type: ConfigType; value: string; writeOnly: boolean; description: string | null }>,
): Promise<ConfigElement> {
  const [row] = await sql<Record<string, unknown>[]>`
    insert into stack_config (stack_id, id, type, value_sealed, checksum, write_only, description)
    values (${e.stackId}, ${e.id}, ${e.type}, ${seal(key, e.value, bound(e.stackId, e.id))}, ${checksum(e.value)}, ${e.writeOnly}, ${e.description})
    on conflict (stack_id, id) do update set type = excluded.type, value_sealed = excluded.value_sealed, checksum = excluded.checksum,
      write_only = excluded.write_only, description = excluded.description, created_at = now()
    returning *`;
  return toElement(row, key, false);
}

export async function deleteConfigElement(sql: Sql, key: Buffer, stackId: string, id: string): Promise<ConfigElement | null> {
  const [row] = await sql<Record<string, unknown>[]>`delete from stack_config where stack_id = ${stackId} and id = ${id} returning *`;
  return row ? toElement(row, key, false) : null;
}

/** The stack's elements by id; reveal: write-only values too (only for the worker running the stack). */
export async function listConfigElements(sql: Sql, key: Buffer, stackId: string, reveal = false): Promise<ConfigElement[]> {
  const rows = await sql<Record<string, unknown>[]>`select * from stack_config where stack_id = ${stackId} order by id`;
  return rows.map((r) => toElement(r, key, reveal));
}
