/** What the bash, zsh and fish scripts share: `case` patterns over the tree, and shell quoting. */
import type { CompletionNode } from './tree.js';

/** `'path --flag'|'path -f'` patterns of every option that takes a value, for a `case`. */
export function valueOptionPatterns(nodes: CompletionNode[], quote: (s: string) => string): string[] {
  return nodes.flatMap((n) => n.options.filter((o) => o.takesValue).flatMap((o) => o.names.map((name) => quote(`${n.path} ${name}`))));
}

/** `'parent/child'` patterns: a word that moves the walk one level down. */
export function subcommandPatterns(nodes: CompletionNode[], quote: (s: string) => string): string[] {
  return nodes.flatMap((n) => n.subcommands.map((s) => quote(s.path)));
}

export function singleQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function words(list: string[]): string {
  return list.join(' ');
}
