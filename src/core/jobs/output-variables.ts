import { PermanentError } from '../errors';

/** PutJobSuccessResult limits (API model / user guide quotas). */
export const OUTPUT_VARIABLES_MAX_BYTES = 122_880;
const KEY_PATTERN = /^[A-Za-z0-9@\-_]+$/;

/**
 * Parses the build's codepipeline-outputs.json into outputVariables: a flat JSON object whose
 * values are strings (numbers and booleans are stringified). Anything else is a build error the
 * user must see, so it fails the job with the reason instead of being dropped.
 */
export function parseOutputVariables(text: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PermanentError(`codepipeline-outputs.json is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PermanentError('codepipeline-outputs.json must hold a JSON object of key/value pairs');
  }
  const out: Record<string, string> = {};
  let bytes = 0;
  for (const [key, raw] of Object.entries(value)) {
    if (!KEY_PATTERN.test(key)) throw new PermanentError(`codepipeline-outputs.json: key "${key}" is not allowed (letters, digits, @, - and _ only)`);
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      throw new PermanentError(`codepipeline-outputs.json: value of "${key}" must be a string, number or boolean`);
    }
    out[key] = String(raw);
    bytes += Buffer.byteLength(key) + Buffer.byteLength(out[key]);
  }
  if (bytes > OUTPUT_VARIABLES_MAX_BYTES) {
    throw new PermanentError(`codepipeline-outputs.json holds ${bytes} bytes of output variables; CodePipeline accepts at most ${OUTPUT_VARIABLES_MAX_BYTES}`);
  }
  return out;
}
