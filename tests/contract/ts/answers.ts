// What every step of the flows does with an answer: the typed body when the status is the expected one.

/** The typed body of an answer with this status; anything else stops the flow with what the server said. */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }, status: number, step: string): T {
  if (result.response.status !== status || result.data === undefined) {
    throw new Error(`${step}: HTTP ${result.response.status} ${JSON.stringify(result.error ?? null)}`);
  }
  return result.data;
}
