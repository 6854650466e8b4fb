// E11000: the unique-index violation that decides every race in the claim protocol.
export function isDuplicateKey(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    code === 11000 ||
    code === 11001 ||
    (typeof message === 'string' && message.startsWith('E11000'))
  );
}
