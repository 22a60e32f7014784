/**
 * Reading the project's Markdown the way GitHub renders it, for the docs
 * test: the relative links of a page (outside code), its headings' anchors
 * (GitHub's slug rules, duplicates numbered), a table's rows, and the links
 * of a set of pages that point at no file or no heading.
 *
 * @module
 */

/** One link of a page: where it points and the line it is on. */
export interface Link {
  target: string;
  line: number;
}

/** Lines outside fenced code blocks, with inline code blanked (links there are not links). */
function proseLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let fence: string | undefined;
  text.split("\n").forEach((raw, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(raw)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      return;
    }
    if (fence !== undefined) return;
    out.push({ text: raw.replace(/`[^`]*`/g, (code) => " ".repeat(code.length)), line: index + 1 });
  });
  return out;
}

/** Every inline link and image target of a page, `<...>` and titles stripped. */
export function links(text: string): Link[] {
  const found: Link[] = [];
  for (const { text: line, line: number } of proseLines(text)) {
    for (const match of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ target: match[1], line: number });
    }
  }
  return found;
}

/** A heading's anchor as GitHub makes it: the rendered text, lower-cased, punctuation dropped. */
export function slug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/`([^`]*)`/g, "$1") // code: its text
    .replace(/(\*\*|\*|~~)/g, "") // emphasis markers
    .replace(/<[^>]+>/g, ""); // inline HTML
  return rendered.trim().toLowerCase().replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, "").replace(
    / /g,
    "-",
  );
}

/** Every anchor a page has: its headings' slugs, a repeated slug numbered `-1`, `-2`, ... */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence: string | undefined;
  for (const raw of text.split("\n")) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(raw)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      continue;
    }
    const heading = fence === undefined
      ? /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw)?.[1]
      : undefined;
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

/** The rows of the first table after the heading `heading`, as arrays of trimmed cells. */
export function tableAfter(text: string, heading: string): string[][] {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.replace(/^#+\s*/, "") === heading);
  if (start < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,6}\s/.test(line)) break;
    if (!line.startsWith("|")) {
      if (rows.length > 0) break;
      continue;
    }
    if (/^\|[\s|:-]+\|$/.test(line)) continue;
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim()));
  }
  return rows.slice(1); // the header row
}

/** README.md and every Markdown file under docs/, as paths from the repository root. */
export async function pages(root: URL): Promise<string[]> {
  const found = ["README.md"];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, root))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".md")) found.push(path);
    }
  };
  await walk("docs");
  return found.sort();
}

/** Broken links of `pages`: missing files (with who links them) and missing anchors. */
export async function brokenLinks(
  paths: string[],
  read: (path: string) => Promise<string>,
  present: (path: string) => Promise<boolean>,
) {
  const missingFiles = new Map<string, string[]>();
  const missingAnchors: string[] = [];
  for (const page of paths) {
    const text = await read(page);
    for (const { target, line } of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
      const [file, anchor] = target.split("#", 2);
      const resolved = file === ""
        ? page
        : decodeURIComponent(new URL(file, new URL(page, "file:///")).pathname.slice(1));
      const where = `${page}:${line}`;
      if (!await present(resolved)) {
        missingFiles.set(resolved, [...missingFiles.get(resolved) ?? [], where]);
      } else if (anchor !== undefined && resolved.endsWith(".md")) {
        if (!anchors(await read(resolved)).has(anchor)) {
          missingAnchors.push(`${where}: ${target} (no heading "#${anchor}" in ${resolved})`);
        }
      }
    }
  }
  return { missingFiles, missingAnchors };
}
