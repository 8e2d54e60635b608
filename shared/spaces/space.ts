// Spaces: a tree rooted at `root` that holds stacks; roles bound to a space apply to its subspaces.
import { invalid } from "../errors.ts";

export const ROOT_SPACE = "root";

export type Space = Readonly<{
  id: string;
  name: string;
  description: string;
  parentSpaceId: string | null;
  inheritEntities: boolean;
  labels: readonly string[];
  createdAt: Date;
}>;

export type SpaceInput = Readonly<{ name: string; description?: string | null; parentSpace: string; inheritEntities?: boolean | null; labels?: readonly string[] | null }>;

/** A slug from a name: lower case, runs of other characters become one dash. */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 100)
    .replace(/-+$/, "");
  return slug;
}

export function checkSlug(slug: string, what: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,99}$/.test(slug)) throw invalid(`${what} id "${slug}" must be lower-case letters, digits and dashes (up to 100)`);
  return slug;
}

export function checkName(name: string, what: string): string {
  if (name.trim() === "") throw invalid(`${what} name must not be empty`);
  if (name.length > 500) throw invalid(`${what} name is longer than 500 characters`);
  return name;
}

/** Refuses a new parent that would put a space under itself. */
export function checkNoCycle(tree: ReadonlyMap<string, string | null>, spaceId: string, newParent: string): void {
  for (let at: string | null | undefined = newParent; at != null; at = tree.get(at)) {
    if (at === spaceId) throw invalid(`space ${spaceId} cannot be moved under its own subspace ${newParent}`);
  }
}
