import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** NODE_OPTIONS that also load `file` (a module beside this one) into a process before its entry point. */
export function nodeOptionsImporting(file: string): string {
  return `${process.env.NODE_OPTIONS ?? ''} --import ${join(dirname(fileURLToPath(import.meta.url)), file)}`.trim();
}
