/**
 * Notification plugin endpoints for the Jenkins simulator (jenkins.md §4, NOTIF). Real Jenkins
 * configures them per job (HudsonNotificationProperty); here they apply to every job, or to `jobs`.
 */

/** NOTIF `Phase` values that reach an endpoint. */
export type SimNotificationPhase = 'QUEUED' | 'STARTED' | 'COMPLETED' | 'FINALIZED';

/**
 * NOTIF Endpoint "event": `all`; one phase by name (`queued`, `started`, `completed`,
 * `finalized`; Phase#isRun compares the lower-cased phase); `failed` = FINALIZED of a FAILURE.
 */
export type SimNotificationEvent = 'all' | 'queued' | 'started' | 'completed' | 'finalized' | 'failed';

export interface SimNotificationEndpoint {
  /**
   * HTTP(S) URL, e.g. `http://127.0.0.1:8080/webhooks/jenkins?token=…`. Userinfo
   * (`http://user:pass@host/…`) becomes `Authorization: Basic` of the raw, still percent-encoded
   * userinfo, as the plugin does (Protocol.HTTP); the request goes to the URL without it.
   */
  url: string;
  /** Default `all` (the plugin's default). */
  event?: SimNotificationEvent;
  /** HTTP Basic credentials; when given they replace any userinfo in `url`. */
  credentials?: { user: string; password: string };
  /** Connect and read timeout (plugin default 30 000 ms). */
  timeoutMs?: number;
  /** Extra attempts after a failed delivery (plugin default 0). A non-2xx answer is not a failure. */
  retries?: number;
  /**
   * Models the plugin's "Secret text" URL (UrlType.SECRET): the console then names this credential
   * id instead of printing the URL, token and all, as it does for a plain URL.
   */
  credentialsId?: string;
  /** Full job names this endpoint is configured on; default every job. */
  jobs?: string[];
}

/** One delivery attempt chain for one endpoint and phase, for tests and the demo. */
export interface SimNotificationRecord {
  /** Endpoint URL without userinfo (the token in the query stays: it is what was requested). */
  url: string;
  phase: SimNotificationPhase;
  job: string;
  number: number;
  /** HTTP status of the final answer; 0 when no answer arrived (refused, timed out, bad URL). */
  status: number;
  /** Where a 307 sent the notification (followed once). */
  redirectedTo?: string;
  error?: string;
  attempts: number;
  /** Whether an `Authorization: Basic` header was sent. */
  basicAuth: boolean;
  /** The exact JSON sent (Gson style: snake_case, nulls omitted, HTML characters escaped). */
  body: string;
  sentAt: number;
}
