import './zod-messages.js';
import { z } from 'zod';

/**
 * The text fields every input schema shares. PostgreSQL's `text` and `jsonb`
 * cannot hold the NUL character (U+0000): a string carrying one would reach
 * the store and fail there as "invalid byte sequence", so it is refused at the
 * edge, as a field of the input, with the other checks of that field.
 */

export const NUL_MESSAGE = 'must not contain the NUL character (U+0000)';

export const hasNoNul = (text: string): boolean => !text.includes('\0');

/** A string without NUL: `z.string()` for fields that go to the store. */
export const plainText = (): z.ZodString => z.string().refine(hasNoNul, { message: NUL_MESSAGE });

/** A string of 1 to `max` characters without NUL. */
export const boundedText = (max: number): z.ZodString => plainText().min(1).max(max);
