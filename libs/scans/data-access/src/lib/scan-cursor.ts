// Opaque list cursor: the (createdAt, scanId) of the last item on a page, base64url-encoded.
export interface ScanCursor {
  createdAt: Date;
  scanId: string;
}

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this server issued');
    this.name = 'InvalidCursorError';
  }
}

const CURSOR_TEXT = /^(\d{1,15}):([0-9a-f-]{36})$/;

export const scanCursor = {
  encode(cursor: ScanCursor): string {
    return Buffer.from(
      `${cursor.createdAt.getTime()}:${cursor.scanId}`,
      'utf8',
    ).toString('base64url');
  },

  decode(text: string): ScanCursor {
    if (text.length > 128 || !/^[A-Za-z0-9_-]+$/.test(text))
      throw new InvalidCursorError();
    const match = CURSOR_TEXT.exec(
      Buffer.from(text, 'base64url').toString('utf8'),
    );
    if (!match) throw new InvalidCursorError();
    return { createdAt: new Date(Number(match[1])), scanId: match[2] };
  },
};
