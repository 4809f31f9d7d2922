// Shared by the export tests (tests/unit/export-*.test.ts).

/** The error a promise rejects with (fails the test if it resolves), to check its class and text. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}
