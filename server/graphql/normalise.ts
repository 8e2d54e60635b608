// Spacelift's clients send empty argument lists (`spaces()`), which the GraphQL grammar rejects
// and Spacelift's server accepts. normaliseEmptyArguments() removes `()` that follows a name,
// outside strings, block strings and comments, before the document is parsed.
export function normaliseEmptyArguments(source: string): string {
  let out = "";
  let i = 0;
  let lastSignificant = ""; // the last character outside strings/comments that is not whitespace or a comma
  while (i < source.length) {
    const c = source[i];
    if (c === "#") {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? source.length : end;
      out += source.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === '"') {
      const block = source.startsWith('"""', i);
      let j = i + (block ? 3 : 1);
      while (j < source.length) {
        if (source[j] === "\\") j += 2;
        else if (block ? source.startsWith('"""', j) : source[j] === '"' || source[j] === "\n") break;
        else j++;
      }
      const stop = Math.min(source.length, j + (block ? 3 : 1));
      out += source.slice(i, stop);
      i = stop;
      lastSignificant = '"';
      continue;
    }
    if (c === "(" && /[_A-Za-z0-9]/.test(lastSignificant)) {
      let j = i + 1;
      while (j < source.length && /[\s,\uFEFF]/.test(source[j])) j++;
      if (source[j] === ")") {
        i = j + 1;
        continue;
      }
    }
    if (!/[\s,\uFEFF]/.test(c)) lastSignificant = c;
    out += c;
    i++;
  }
  return out;
}
