// What a cell tag means to the compiler, from the vocabulary the server sends
// (workbench.compiler.parse's own tables); the default below is used until it arrives.
import { IVocabulary } from './api';

export let vocabulary: IVocabulary = {
  roles: ['functions', 'imports', 'parameters', 'pipeline-metrics', 'pipeline-parameters', 'skip'],
  step_prefixes: ['step:', 'block:'],
  after_prefixes: ['after:', 'prev:'],
  quiet: ['hide-input', 'hide-output', 'remove-cell', 'remove-input'],
  kale_settings: ['image:', 'cache:', 'annotation:', 'label:', 'limit:', 'secret:', 'report:']
};

export function setVocabulary(value: IVocabulary): void {
  vocabulary = value;
}

/** The CSS kind of a tag: step, after, role (with its name), quiet, kale, or unknown. */
export function tagKind(tag: string): string {
  if (vocabulary.step_prefixes.some(p => tag.startsWith(p))) {
    return 'step';
  }
  if (vocabulary.after_prefixes.some(p => tag.startsWith(p))) {
    return 'after';
  }
  if (vocabulary.roles.includes(tag)) {
    return tag === 'skip' ? 'skip' : 'role';
  }
  if (vocabulary.quiet.includes(tag)) {
    return 'quiet';
  }
  if (vocabulary.kale_settings.some(p => tag.startsWith(p))) {
    return 'kale';
  }
  return 'unknown';
}

/** Tags offered in the editor: the roles, plus step:/after: for every known step. */
export function suggestions(steps: string[]): string[] {
  const out = [...vocabulary.roles];
  for (const step of steps) {
    out.push(`step:${step}`, `after:${step}`);
  }
  return out;
}

/** "a, b ,,c" -> ["a", "b", "c"] (order kept, duplicates dropped). */
export function parseTags(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[,\s]+/)) {
    const tag = part.trim();
    if (tag && !out.includes(tag)) {
      out.push(tag);
    }
  }
  return out;
}
