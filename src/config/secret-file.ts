/**
 * A secret from a file a setting names (`X_FILE`, a mounted secret): one trailing newline is
 * ignored, as `echo` and most secret stores write one. A problem names the setting and the path,
 * never the content.
 */
import { readFileSync } from 'node:fs';

/** The file's content, or undefined with a line added to `problems`. */
export function readSecretFile(path: string, name: string, problems: string[]): string | undefined {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    problems.push(`${name} names a file that cannot be read (${path}: ${String(code ?? 'error')})`);
    return undefined;
  }
  const value = content.replace(/\r?\n$/, '');
  if (value.trim() === '') {
    problems.push(`${name} names an empty file (${path})`);
    return undefined;
  }
  return value;
}
