import { z } from 'zod';

/**
 * Plain messages for the schema checks zod words on its own, so that every
 * refusal reads the same way: "is required", "must be a string"…, each
 * printed after the field's path. Checks with a message of ours keep it.
 */
z.config({
  customError: (issue) => {
    switch (issue.code) {
      case 'invalid_type':
        if (issue.input === undefined) return 'is required';
        if (issue.input === null) return 'must not be null';
        return `must be ${article(String(issue.expected))}`;
      case 'too_small':
        return issue.origin === 'string' && issue.minimum === 1
          ? 'must not be empty'
          : `must be at least ${String(issue.minimum)}`;
      case 'too_big':
        return `must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : ''}`;
      case 'unrecognized_keys':
        return `has unknown field(s) ${issue.keys.join(', ')}`;
      case 'invalid_value':
        return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      default:
        return undefined;
    }
  },
});

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
