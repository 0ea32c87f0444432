import { z } from 'zod';

/**
 * Blank means unset: an empty or all-blank value (`X=` in a compose file) reads
 * as if the variable were absent, so its default applies or it stays undefined.
 */
export const blankIsUnset = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** An optional variable where blank means unset. */
export const optionalEnv = <T extends z.ZodType>(schema: T) => z.preprocess(blankIsUnset, schema.optional());
