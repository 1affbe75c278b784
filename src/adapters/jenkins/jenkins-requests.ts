import type { z } from 'zod';
import { PermanentError, networkErrorCode } from '../../core/errors';
import type { Logger } from '../../ports/logger';
import { CrumbCache, crumbIssuerOption, isCrumbRejection } from './crumb-cache';
import { openJenkinsCall, type JenkinsCall, type JenkinsClient } from './jenkins-client';
import type { ErrorContext } from './jenkins-errors';
import type { JenkinsSettings } from './jenkins-options';

/**
 * Runs `jenkins` client operations for the adapter: one client per operation carrying the caller's
 * AbortSignal (papi has no `signal` option; its `ctx` cancel event aborts the socket, so nothing
 * dangles), the crumb policy, and one retry after a crumb rejection in `auto` mode. Errors come
 * back untranslated (callers know which statuses they expect) except aborts, which rethrow the
 * signal's reason like fetch does.
 */
export class JenkinsRequests {
  private readonly crumbs = new CrumbCache();

  constructor(
    readonly settings: JenkinsSettings,
    private readonly logger: Logger,
  ) {}

  context(what: string): ErrorContext {
    return { what, user: this.settings.user };
  }

  async run<T>(signal: AbortSignal | undefined, operation: (client: JenkinsClient, call: JenkinsCall) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const call = openJenkinsCall(this.settings, crumbIssuerOption(this.settings.crumb, this.crumbs), signal);
      try {
        return await operation(call.client, call);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (this.settings.crumb === 'auto' && attempt === 0 && isCrumbRejection(error)) {
          // The cached crumb's session expired (or Jenkins restarted): one fresh crumb, then give up.
          this.logger.info('Jenkins rejected the cached crumb; fetching a new one');
          this.crumbs.invalidate();
          continue;
        }
        // Keep Node's own error (with its ECONNRESET/ECONNREFUSED code) when papi wrapped it.
        const transport = call.transportError;
        if (networkErrorCode(error) === undefined && networkErrorCode(transport) !== undefined) throw transport;
        throw error;
      } finally {
        call.close();
      }
    }
  }

  /** Validates a Jenkins JSON document; a mismatch means the URL does not lead to a (compatible) Jenkins. */
  parse<S extends z.ZodType>(schema: S, body: unknown, ctx: ErrorContext): z.infer<S> {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new PermanentError(
      `Jenkins at ${this.settings.base.href} answered an unexpected document while ${ctx.what}` +
        (issue ? ` (${issue.path.join('.') || 'root'}: ${issue.message})` : ''),
      'ConfigurationError',
    );
  }

  /** Absolute URL under the configured base (never under a Location header's host). */
  url(path: string): URL {
    return new URL(path, this.settings.base);
  }
}
