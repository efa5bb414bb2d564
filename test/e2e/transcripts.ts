/**
 * Transcripts the end-to-end tests record and the documentation shows: a block of a docs page marked
 * `<!-- <marker>: <name> -->` followed by a fenced block is what the test named `<name>` printed (clock times and
 * durations aside). Each test file has a marker of its own, so each checks that the set of its blocks in the page is
 * exactly the set of transcripts it recorded.
 */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { normalise, REPO_ROOT } from './cli';

export class Transcripts {
  private readonly recorded = new Map<string, string>();

  constructor(
    /** e.g. `e2e-stages`: the page's blocks marked `<!-- e2e-stages: <name> -->`. */
    private readonly marker: string,
  ) {}

  /** Keeps what a test printed under the name the docs use; returns it. */
  record(name: string, text: string): string {
    this.recorded.set(name, text);
    return text;
  }

  /** The blocks of the page carrying this marker, by name, in order; and the recorded transcripts, normalised. */
  compare(page: string): { documented: [string, string][]; recorded: [string, string][] } {
    const docs = readFileSync(path.join(REPO_ROOT, page), 'utf8');
    const pattern = new RegExp(`<!-- ${this.marker}: ([a-z-]+) -->\\n\`\`\`\\n([\\s\\S]*?)\\n\`\`\``, 'g');
    const documented = [...docs.matchAll(pattern)].map(
      (m) => [m[1] as string, normalise(m[2] as string)] as [string, string],
    );
    if (process.env.E2E_WRITE_TRANSCRIPTS)
      writeFileSync(process.env.E2E_WRITE_TRANSCRIPTS, JSON.stringify(Object.fromEntries(this.recorded), null, 2));
    const recorded = [...this.recorded].map(([name, text]) => [name, normalise(text)] as [string, string]);
    return { documented: sortByName(documented), recorded: sortByName(recorded) };
  }
}

const sortByName = (entries: [string, string][]): [string, string][] =>
  [...entries].sort(([a], [b]) => a.localeCompare(b));
