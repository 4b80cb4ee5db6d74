import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rulebookJsonSchema } from './schema.js';

describe('the published JSON Schema of the rulebook format', () => {
  it('is the one generated from the schema the engine validates with', () => {
    // Regenerate with: ./bin/ladder rulebook schema > docs/rulebook.schema.json
    const committed = JSON.parse(
      readFileSync(new URL('../../../docs/rulebook.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(rulebookJsonSchema());
  });

  it('names the decimal pattern of thresholds, so other tools can validate drafts', () => {
    const text = JSON.stringify(rulebookJsonSchema());
    expect(text).toContain('fromUsd');
    expect(text).toContain('\\\\d{4}-Q[1-4]');
  });
});
