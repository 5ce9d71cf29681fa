/** @module policy/yaml-source: YAML text with source positions, so every issue names file, line and field. */
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { InputIssue } from '../errors.js';

export type FieldPath = readonly PropertyKey[];

/** `rules[3].match.dst_cidr[1]` */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

interface Ranged {
  range?: [number, number, number] | null;
}

export class YamlSource {
  readonly file: string;
  readonly value: unknown;
  private readonly doc: Document;
  private readonly lines: LineCounter;

  private constructor(file: string, doc: Document, lines: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
    this.value = doc.toJS({ maxAliasCount: 1000 });
  }

  /** Parses YAML 1.2 (duplicate keys are errors); returns the parse issues instead when there are any. */
  static parse(text: string, file: string): YamlSource | InputIssue[] {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      return doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0].line ?? 1,
        // yaml appends "at line N, column M:" and a code frame; we already say where.
        message: `bad YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      }));
    }
    return new YamlSource(file, doc, lines);
  }

  private lineAt(node: unknown): number | undefined {
    const r = (node as Ranged | null)?.range;
    return r ? this.lines.linePos(r[0]).line : undefined;
  }

  /**
   * The line of the node at `path` (or of the deepest existing ancestor), and the path as the user wrote it:
   * a scalar given where a list is accepted is reported without the `[0]` the parser added.
   * With `key`, the line of that key inside the map at `path` (for unknown keys).
   */
  locate(path: FieldPath, key?: string): { line: number; field: string } {
    let node: unknown = this.doc.contents;
    let line = this.lineAt(node) ?? 1;
    const shown: PropertyKey[] = [];
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
        if (!pair) {
          shown.push(...path.slice(i));
          break;
        }
        line = this.lineAt(pair.value) ?? this.lineAt(pair.key) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) {
          shown.push(...path.slice(i));
          break;
        }
        line = this.lineAt(item) ?? line;
        node = item;
      } else if (typeof seg === 'number') {
        continue;
      } else {
        shown.push(...path.slice(i));
        break;
      }
      shown.push(seg);
    }
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
      if (pair) line = this.lineAt(pair.key) ?? line;
      shown.push(key);
    } else if (key !== undefined) {
      shown.push(key);
    }
    return { line, field: formatFieldPath(shown) };
  }

  issue(path: FieldPath, message: string, key?: string): InputIssue {
    const { line, field } = this.locate(path, key);
    return { file: this.file, line, ...(field ? { field } : {}), message };
  }
}
