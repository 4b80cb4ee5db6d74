import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { LadderError } from '../core/errors.js';
import { rulebookJsonSchema } from '../core/rulebook/schema.js';
import { SHIPPED_RULEBOOKS } from '../core/rulebook/shipped.js';
import { formatInstant } from '../core/time.js';
import {
  carryMonthlyRates,
  compileOrThrow,
  loadRulebooks,
  publishRulebook,
  shippedRulebook,
} from '../services/rulebooks.js';
import { type StoreFlags, withExistingStore, withStore, withStoreOption } from './store-options.js';

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new LadderError(
      'INVALID_INPUT',
      `cannot read ${file} as JSON: ${(err as Error).message}`,
    );
  }
}

export function rulebookCommands(program: Command): void {
  const rulebook = program
    .command('rulebook')
    .description('read, validate and publish rulebook versions');

  rulebook
    .command('show')
    .description('print a shipped rulebook as JSON (the starting point of a draft)')
    .argument('[name]', 'shipped rulebook', '3n-2024-07')
    .action((name: string) => {
      process.stdout.write(`${JSON.stringify(shippedRulebook(name), null, 2)}\n`);
    });

  rulebook
    .command('validate')
    .description('check a rulebook file against the schema; exit 2 naming each bad field')
    .argument('<file>')
    .action(async (file: string) => {
      const compiled = compileOrThrow(await readJson(file), '');
      process.stdout.write(
        `${compiled.key} is valid, effective from ${formatInstant(compiled.effectiveFrom)}\n`,
      );
    });

  withStoreOption(
    rulebook
      .command('current')
      .description(
        'print the latest published version of the store (the starting point of a draft to simulate)',
      ),
  ).action(async (flags: StoreFlags) => {
    await withExistingStore(flags, async (db) => {
      const versions = await loadRulebooks(db);
      const latest = versions[versions.length - 1];
      if (!latest) throw new LadderError('UNKNOWN_RULEBOOK', 'the store has no published rulebook');
      process.stdout.write(`${JSON.stringify(latest.document, null, 2)}\n`);
    });
  });

  withStoreOption(
    rulebook.command('list').description('the versions published in the store'),
  ).action(async (flags: StoreFlags) => {
    await withExistingStore(flags, async (db) => {
      for (const v of await loadRulebooks(db)) {
        process.stdout.write(
          `${v.key}\teffective ${formatInstant(v.effectiveFrom)}\t${v.document.title ?? ''}\n`,
        );
      }
    });
  });

  withStoreOption(
    rulebook
      .command('publish')
      .description('publish a new rulebook version (never edits one)')
      .argument('<file>'),
  ).action(async (file: string, flags: StoreFlags) => {
    const draft = await readJson(file);
    await withStore(flags, async (db) => {
      const { document, carriedMonths } = await carryMonthlyRates(db, draft);
      if (carriedMonths.length > 0) {
        process.stderr.write(
          `note: the draft had no monthly USD/CNY rate for ${carriedMonths.join(', ')}; ` +
            'carried over from the latest published version\n',
        );
      }
      const before = (await loadRulebooks(db)).map((v) => v.key);
      const published = await db.transaction((tx) => publishRulebook(tx, document));
      const verb = before.includes(published.key) ? 'already published' : 'published';
      process.stdout.write(
        `${verb} ${published.key}, effective from ${formatInstant(published.effectiveFrom)}\n`,
      );
      const runs = await db.query<{ effective_at: string }>(
        'SELECT effective_at FROM assessment_runs WHERE effective_at >= $1 ORDER BY effective_at',
        [new Date(published.effectiveFrom).toISOString()],
      );
      if (runs.length > 0) {
        process.stderr.write(
          `note: ${runs.length} assessment(s) already ran after ${formatInstant(published.effectiveFrom)}; ` +
            'what was computed keeps its rulebook version, this one applies to what is computed from now on\n',
        );
      }
    });
  });

  rulebook
    .command('schema')
    .description('print the rulebook format as JSON Schema (docs/rulebook.schema.json)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(rulebookJsonSchema(), null, 2)}\n`);
    });

  rulebook
    .command('names')
    .description('the rulebooks Ladder ships')
    .action(() => {
      for (const name of Object.keys(SHIPPED_RULEBOOKS)) process.stdout.write(`${name}\n`);
    });
}
